"""WooCommerce: its webhooks through the real endpoint (signature good, wrong, missing, tampered;
the unsigned ping; a replay stored once; orders imported and moved along; refunds recorded once)
and its REST API v3 against a fake shop on 127.0.0.1 (tests/commerce/fake_woocommerce.py): the
money actions end to end through commerce.services and commerce.submission, the other actions at
the connector, the reconciliation's paging, the admin's check of the credentials."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import translation

from premura.commerce import services, submission
from premura.commerce.connectors import connector_for, woocommerce
from premura.commerce.connectors.base import (
    NewCoupon,
    PermanentError,
    ReplacementLine,
    TransientError,
    key_marker,
)
from premura.commerce.models import (
    CancellationOutcome,
    CancellationStatus,
    CouponKind,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundDestination,
    RefundStatus,
    ShopConnection,
    ShopWebhook,
    WebhookStatus,
)
from premura.commerce.services import ShippingAddress
from premura.core import clock
from tests.commerce.fake_woocommerce import FakeWooCommerce, order_resource, start
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory

SECRET = "wc-webhook-segreto"
SLUG = "negozio"
URL = f"/api/v1/shop/webhooks/woocommerce/{SLUG}"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def woo():
    shop = FakeWooCommerce()
    server = start(shop)
    yield shop
    server.shutdown()
    server.server_close()


@pytest.fixture
def connection(db, woo) -> ShopConnection:
    connection = ShopConnection(
        platform="woocommerce", name="Negozio on WooCommerce", slug=SLUG, api_url=woo.url
    )
    connection.access_token = woo.token
    connection.webhook_secret = SECRET
    connection.save()
    return connection


def later(minutes: float) -> datetime.datetime:
    return clock.now() + datetime.timedelta(minutes=minutes)


def post(client, body: bytes, *, topic: str = "order.created", **extra):
    resource, _, event = topic.partition(".")
    headers = {
        "X-WC-Webhook-Source": "https://negozio.example.it/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": woocommerce.sign(body, SECRET),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "36e520ebabc2fa725092ff4a47acedf2",
        **extra,
    }
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def send(client, order: dict, topic: str = "order.updated"):
    response = post(client, json.dumps(order).encode(), topic=topic)
    assert response.status_code == 200, response.content
    return response.json()


# --- webhooks ---------------------------------------------------------------------------------


def test_a_signed_order_is_imported_with_its_lines_payment_and_address(client, connection):
    body = json.dumps(order_resource()).encode()
    response = post(client, body)
    assert response.status_code == 200
    assert response.json()["status"] == "processed" and response.json()["duplicate"] is False
    order = Order.objects.get(source=SLUG, external_id="727")
    assert order.number == "727" and order.status == OrderStatus.PAID and order.currency == "EUR"
    assert (order.total, order.shipping_total, order.subtotal) == (
        Decimal("115.70"),
        Decimal("5.90"),
        Decimal("109.80"),
    )
    assert [
        (line.sku, line.quantity, line.unit_price, line.total) for line in order.lines.order_by("pk")
    ] == [
        ("MOKA-6", 2, Decimal("49.90"), Decimal("99.80")),
        ("COFFEE-250", 1, Decimal("10.00"), Decimal("10.00")),
    ]
    payment = order.payments.get()
    assert (payment.method, payment.state, payment.amount) == (
        PaymentMethod.CARD,
        PaymentState.CAPTURED,
        order.total,
    )
    assert payment.provider == "woocommerce:stripe" and payment.external_id == "pi_3QabcXYZ"
    assert payment.captured_at == datetime.datetime(2026, 12, 1, 9, 31, tzinfo=datetime.UTC)
    assert order.placed_at == datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    assert (order.shipping_name, order.shipping_street, order.shipping_city, order.shipping_province) == (
        "Giulia Ferri",
        "Via Roma 12 Scala B",
        "Milano",
        "MI",
    )
    assert order.customer.primary_email == "giulia.ferri@example.it"
    webhook = ShopWebhook.objects.get()
    assert bytes(webhook.body) == body and webhook.topic == "order.created"
    assert "X-Wc-Webhook-Signature" in webhook.headers or "X-WC-Webhook-Signature" in webhook.headers


def test_a_replayed_delivery_is_stored_once(client, connection):
    body = json.dumps(order_resource()).encode()
    assert post(client, body).json()["duplicate"] is False
    # A replay with another delivery id (it is not signed) is the same delivery all the same.
    again = post(client, body, **{"X-WC-Webhook-Delivery-ID": "f00dfeed"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert ShopWebhook.objects.count() == 1 and Order.objects.count() == 1


@pytest.mark.parametrize("case", ["wrong secret", "missing", "tampered", "no secret stored"])
def test_an_unsigned_or_tampered_webhook_is_refused_and_nothing_is_stored(client, connection, case):
    body = json.dumps(order_resource()).encode()
    headers = {}
    if case == "wrong secret":
        headers["X-WC-Webhook-Signature"] = woocommerce.sign(body, "another-secret")
    elif case == "missing":
        headers["X-WC-Webhook-Signature"] = ""
    elif case == "tampered":
        changed = order_resource()
        changed["total"] = "1.00"
        headers["X-WC-Webhook-Signature"] = woocommerce.sign(body, SECRET)
        body = json.dumps(changed).encode()
    else:
        connection.webhook_secret = ""
        connection.save()
    response = post(client, body, **headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "The request is not signed with this shop's secret."
    assert ShopWebhook.objects.count() == 0 and Order.objects.count() == 0


def test_the_ping_of_a_new_webhook_is_answered_and_never_stored(client, connection):
    # What WooCommerce sends when an administrator saves the webhook: unsigned, a form body.
    response = client.post(URL, data=b"webhook_id=3", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json() == {"webhook_id": None, "duplicate": False, "status": "ping", "error": ""}
    # The same body claiming a topic, or with a bad signature, is not a ping: refused.
    for headers in ({"X-WC-Webhook-Topic": "order.created"}, {"X-WC-Webhook-Signature": "bm9wZQ=="}):
        refused = client.post(
            URL, data=b"webhook_id=3", content_type="application/x-www-form-urlencoded", headers=headers
        )
        assert refused.status_code == 401
    # A ping for a shop that is not connected is a 404: the administrator sees the URL is wrong.
    elsewhere = client.post(
        "/api/v1/shop/webhooks/woocommerce/elsewhere", data=b"webhook_id=3", content_type="text/plain"
    )
    assert elsewhere.status_code == 404
    assert ShopWebhook.objects.count() == 0


def test_updates_move_the_order_and_its_payment_along(client, connection):
    on_hold = order_resource(status="on-hold", paid=False)
    send(client, on_hold, "order.created")
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID and order.payments.get().state == PaymentState.AUTHORIZED
    captured = {**order_resource(status="processing"), "date_modified_gmt": "2026-12-01T10:00:00"}
    send(client, captured)
    assert order.payments.get().state == PaymentState.CAPTURED
    completed = {**captured, "status": "completed", "date_modified_gmt": "2026-12-02T08:00:00"}
    send(client, completed)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    # A late update that still says processing does not move it back; a deletion changes nothing.
    send(client, {**captured, "date_modified_gmt": "2026-12-01T10:00:01"})
    assert send(client, {"id": 727}, "order.deleted")["status"] == "processed"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert set(ShopWebhook.objects.values_list("status", flat=True)) == {WebhookStatus.PROCESSED}


def test_a_cancelled_unpaid_order_has_its_authorisation_voided(client, connection):
    send(client, order_resource(status="on-hold", paid=False), "order.created")
    send(client, order_resource(status="cancelled", paid=False))
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED and order.payments.get().state == PaymentState.VOIDED


def test_a_bank_transfer_on_hold_is_waiting_for_the_money(client, connection):
    send(client, order_resource(status="on-hold", payment_method="bacs", paid=False), "order.created")
    order = Order.objects.get()
    payment = order.payments.get()
    assert order.status == OrderStatus.PENDING
    assert (payment.method, payment.state) == (PaymentMethod.BANK_TRANSFER, PaymentState.PENDING)


def test_a_back_office_refund_is_recorded_once(client, connection):
    send(client, order_resource(), "order.created")
    refunded = order_resource()
    refunded["refunds"] = [{"id": 901, "reason": "Graffio sul coperchio", "total": "-20.00"}]
    send(client, refunded)
    # The next update lists the same refund again.
    send(client, {**refunded, "date_modified_gmt": "2026-12-02T08:00:00"})
    order = Order.objects.get()
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.external_id) == (
        Decimal("20.00"),
        RefundStatus.SUBMITTED,
        "901",
    )
    assert refund.idempotency_key == f"{SLUG}:901"
    assert order.payments.get().state == PaymentState.PARTIALLY_REFUNDED


def test_an_order_first_seen_with_its_refunds_has_them_recorded(client, connection):
    order_json = order_resource(status="refunded")
    order_json["refunds"] = [
        {"id": 901, "reason": "", "total": "-15.70"},
        {"id": 902, "reason": "", "total": "-100.00"},
    ]
    send(client, order_json, "order.created")
    order = Order.objects.get()
    assert order.status == OrderStatus.REFUNDED
    assert order.payments.get().state == PaymentState.REFUNDED
    assert sorted(order.refunds.values_list("external_id", flat=True)) == ["901", "902"]


def test_our_own_refund_comes_back_and_is_not_recorded_twice(
    client, connection, woo, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-own", actor=agent.user, reason="Scratched"
        )
    send(client, woo.orders[727])
    assert Refund.objects.get().pk == refund.pk


def test_a_signed_body_that_is_not_an_order_is_kept_failed_with_the_reason(client, connection):
    order = {**order_resource(), "line_items": "none"}
    assert post(client, json.dumps(order).encode()).status_code == 200
    webhook = ShopWebhook.objects.get()
    assert webhook.status == WebhookStatus.FAILED
    assert webhook.error == "order.line_items is not a list of objects"
    post(client, json.dumps({**order_resource(), "total": None}).encode())
    assert ShopWebhook.objects.order_by("pk").last().error == "order.total: None is not an amount"
    assert Order.objects.count() == 0


# --- the money actions, end to end ---------------------------------------------------------------


def woo_order(
    woo: FakeWooCommerce, customer, *, status: str = "processing", state: str = PaymentState.CAPTURED
) -> Order:
    """Order 727 of 115.70, known to both sides."""
    paid = state != PaymentState.AUTHORIZED
    woo.add_order(order_resource(status=status, paid=paid))
    order = OrderFactory(
        customer=customer,
        source=SLUG,
        external_id="727",
        status=OrderStatus.PAID,
        subtotal=Decimal("109.80"),
        shipping_total=Decimal("5.90"),
        total=Decimal("115.70"),
    )
    OrderLineFactory(order=order, unit_price=Decimal("109.80"), total=Decimal("109.80"))
    PaymentFactory(order=order, state=state, amount=Decimal("115.70"))
    return order


def test_a_partial_refund_reaches_woocommerce_through_the_gateway(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-1", actor=agent.user, reason="Scratched lid"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.attempts == 1
    (made,) = woo.refunds[727]
    assert refund.external_id == str(made["id"])
    assert woo.calls("POST", "orders/727/refunds") == [
        {"amount": "20.00", "reason": "Scratched lid [premura:r-1]", "api_refund": True}
    ]
    assert order.payments.get().state == PaymentState.PARTIALLY_REFUNDED


def test_a_double_submission_and_a_retried_job_refund_once(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            refund = services.refund(
                order, Decimal("20"), idempotency_key="r-2", actor=agent.user, reason="Scratched"
            )
    submission.submit("refund", refund.pk)
    with clock.frozen_at(later(90)):
        assert submission.submit_due_actions() == 0
    assert Refund.objects.count() == 1 and len(woo.refunds[727]) == 1
    assert len(woo.calls("POST", "orders/727/refunds")) == 1


def test_a_worker_that_died_after_woocommerce_refunded_finds_the_refund(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    connector = connector_for(connection)
    # The platform refunded, but the answer never reached the worker.
    made = connector.refund("727", amount=Decimal("20.00"), currency="EUR", key="r-3", note="Scratched")
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-3", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.external_id == made
    assert len(woo.refunds[727]) == 1 and len(woo.calls("POST", "orders/727/refunds")) == 1


def test_an_outage_is_retried_and_never_duplicated(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    woo.fail_next(
        "POST", "orders/727/refunds", 503, body={"code": "unavailable", "message": "Service Unavailable"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-4", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED and refund.error == "Service Unavailable"
    with clock.frozen_at(later(1)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.attempts == 2
    assert len(woo.refunds[727]) == 1


def test_a_throttled_call_waits_as_long_as_woocommerce_asks(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    woo.fail_next(
        "POST",
        "orders/727/refunds",
        429,
        body={"code": "too_many_requests", "message": "Too many requests.", "data": {"status": 429}},
        headers={"Retry-After": "120"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-5", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED and refund.error == "Too many requests."
    assert refund.next_attempt_at >= clock.now() + datetime.timedelta(seconds=110)


def test_a_gateway_that_refuses_fails_the_refund_with_its_message_at_once(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    woo.gateway_refuses_refunds = True
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-6", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    # A 500 from WooCommerce, but a refusal: not retried.
    assert refund.status == RefundStatus.FAILED and refund.attempts == 1
    assert refund.error == "The payment gateway for this order does not support automatic refunds."
    assert services.refundable_amount(order) == Decimal("115.70")


def test_cancelling_an_authorised_order_releases_it_through_the_cancellation(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer, status="on-hold", state=PaymentState.AUTHORIZED)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-1", actor=agent.user, reason="Ordered twice")
    cancellation.refresh_from_db()
    order.refresh_from_db()
    assert cancellation.outcome == CancellationOutcome.VOID
    assert cancellation.status == CancellationStatus.DONE and cancellation.external_id == ""
    assert order.status == OrderStatus.CANCELLED and order.payments.get().state == PaymentState.VOIDED
    assert woo.calls("PUT", "orders/727") == [{"status": "cancelled"}]
    assert woo.released == {727} and woo.refunds[727] == []


def test_cancelling_a_captured_order_refunds_it_once(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    woo.fail_next("PUT", "orders/727", 502, body={"code": "bad_gateway", "message": "Bad Gateway"})
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-2", actor=agent.user, reason="Changed mind")
    for minutes in (1, 5):
        with clock.frozen_at(later(minutes)), django_capture_on_commit_callbacks(execute=True):
            submission.submit_due_actions()
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.DONE
    refund = Refund.objects.get(idempotency_key="c-2:refund")
    assert refund.status == RefundStatus.SUBMITTED and refund.amount == Decimal("115.70")
    assert woo.orders[727]["status"] == "refunded" and len(woo.refunds[727]) == 1
    assert order.payments.get().state == PaymentState.REFUNDED


def test_an_order_already_cancelled_on_woocommerce_is_not_put_again(woo, connection):
    woo.add_order(order_resource(status="cancelled", paid=False))
    connector = connector_for(connection)
    connector.cancel_order("727", reason="customer")
    assert connector.void_authorization("727") == ""
    assert woo.calls("PUT", "orders/727") == []


def test_a_completed_order_is_refused_with_a_clear_message(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer, status="completed")
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-3", actor=agent.user, reason="Too late")
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.FAILED
    assert cancellation.error == "WooCommerce has order 727 as completed: it cannot be cancelled"
    assert woo.calls("PUT", "orders/727") == []


def test_a_captured_payment_is_not_voided(woo, connection):
    woo.add_order(order_resource(status="cancelled"))
    with pytest.raises(PermanentError, match="it can be refunded, not voided"):
        connector_for(connection).void_authorization("727")


def test_store_credit_is_a_single_use_coupon_made_once(
    woo, connection, customer, agent, django_capture_on_commit_callbacks
):
    order = woo_order(woo, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order,
            Decimal("10"),
            to=RefundDestination.STORE_CREDIT,
            idempotency_key="r-credit",
            actor=agent.user,
            reason="Late delivery",
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    (coupon,) = woo.coupons
    assert refund.external_id == coupon["code"] == woocommerce.coupon_code("r-credit")
    assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"]) == ("fixed_cart", "10.00", 1)
    assert coupon["description"] == key_marker("r-credit")
    # A retry after a lost answer finds the coupon by its code.
    again = connector_for(connection).create_coupon(
        NewCoupon(key="r-credit", kind=CouponKind.AMOUNT, value=Decimal("10.00"), currency="EUR", email="")
    )
    assert again == coupon["code"] and len(woo.coupons) == 1
    assert woo.refunds[727] == [] and order.payments.get().state == PaymentState.CAPTURED


def test_an_unknown_shop_or_bad_credentials_are_refused_with_woocommerce_s_message(woo, connection):
    connection.access_token = f"{woo.consumer_key}:cs_wrong"
    connection.save()
    with pytest.raises(PermanentError, match=r"^Sorry, you cannot list resources\.$"):
        connector_for(connection).cancel_order("727", reason="customer")
    connection.access_token = "not-a-key"
    with pytest.raises(PermanentError, match="ck_...:cs_..."):
        connector_for(connection).cancel_order("727", reason="customer")
    connection.access_token = woo.token
    with pytest.raises(PermanentError, match=r"^Invalid ID\.$"):
        connector_for(connection).cancel_order("999", reason="customer")


# --- the other actions, at the connector ---------------------------------------------------------


def test_a_coupon_can_be_a_percentage_on_one_category_for_one_customer(woo, connection):
    coupon = NewCoupon(
        key="coupon-1",
        kind=CouponKind.PERCENTAGE,
        value=Decimal("15"),
        currency="EUR",
        email="giulia.ferri@example.it",
        category="caffè",
        expires_on=datetime.date(2027, 3, 31),
    )
    code = connector_for(connection).create_coupon(coupon)
    (made,) = woo.coupons
    assert made["code"] == code
    assert (made["discount_type"], made["amount"], made["free_shipping"]) == ("percent", "15", False)
    assert made["product_categories"] == [15] and made["email_restrictions"] == ["giulia.ferri@example.it"]
    assert made["date_expires"] == "2027-03-31" and made["usage_limit"] == 1
    assert connector_for(connection).create_coupon(coupon) == code and len(woo.coupons) == 1


def test_free_shipping_and_an_unknown_category(woo, connection):
    connector = connector_for(connection)
    free = NewCoupon(
        key="coupon-2", kind=CouponKind.FREE_SHIPPING, value=Decimal("0"), currency="EUR", email=""
    )
    connector.create_coupon(free)
    assert (woo.coupons[0]["amount"], woo.coupons[0]["free_shipping"]) == ("0", True)
    unknown = NewCoupon(
        key="coupon-3", kind=CouponKind.AMOUNT, value=Decimal("5"), currency="EUR", email="", category="Tè"
    )
    with pytest.raises(PermanentError, match="WooCommerce has no product category named 'Tè'"):
        connector.create_coupon(unknown)
    assert len(woo.coupons) == 1


def test_a_replacement_order_is_made_once_free_with_the_original_addresses(woo, connection):
    original = woo.add_order(order_resource())
    connector = connector_for(connection)
    lines = [ReplacementLine(sku="COFFEE-250", quantity=1)]
    number = connector.create_replacement_order("727", key="reship-1", lines=lines, note="Lost parcel")
    (made,) = [order for order in woo.orders.values() if order["parent_id"] == 727]
    assert number == made["number"] != "727"
    (body,) = woo.calls("POST", "orders")
    assert body["parent_id"] == 727 and body["set_paid"] is True
    assert body["shipping"] == original["shipping"] and body["billing"] == original["billing"]
    assert body["line_items"] == [
        {"product_id": 22, "variation_id": 23, "quantity": 1, "subtotal": "0.00", "total": "0.00"}
    ]
    assert body["meta_data"] == [
        {"key": "premura_key", "value": "reship-1"},
        {"key": "premura_note", "value": "Lost parcel"},
    ]
    assert "customer_note" not in body
    # A retried job finds it; all the lines when none were chosen.
    assert (
        connector.create_replacement_order("727", key="reship-1", lines=lines, note="Lost parcel") == number
    )
    connector.create_replacement_order("727", key="reship-2", lines=[], note="Lost parcel")
    assert len(woo.calls("POST", "orders")) == 2
    assert [item["quantity"] for item in woo.calls("POST", "orders")[1]["line_items"]] == [2, 1]
    with pytest.raises(PermanentError, match="has no line with SKU 'TEA-1'"):
        connector.create_replacement_order(
            "727", key="reship-3", lines=[ReplacementLine("TEA-1", 1)], note=""
        )


def test_the_delivery_address_changes_until_the_order_is_shipped(woo, connection):
    woo.add_order(order_resource())
    connector = connector_for(connection)
    address = ShippingAddress(
        name="Giulia Ferri", street="Corso Vercelli 5", postcode="20144", city="Milano", province="MI"
    )
    connector.change_shipping_address("727", address=address)
    shipping = woo.orders[727]["shipping"]
    assert (shipping["first_name"], shipping["last_name"], shipping["address_1"], shipping["address_2"]) == (
        "Giulia",
        "Ferri",
        "Corso Vercelli 5",
        "",
    )
    assert (shipping["postcode"], shipping["state"], shipping["country"]) == ("20144", "MI", "IT")
    woo.orders[727]["status"] = "completed"
    with pytest.raises(PermanentError, match="as completed: its address cannot change"):
        connector.change_shipping_address("727", address=address)


def test_orders_changed_since_reads_every_page_oldest_change_first(woo, connection):
    for order_id in range(1000, 1205):
        woo.add_order(order_resource(order_id))
    connector = connector_for(connection)
    orders = list(connector.orders_changed_since(None))
    assert [order.external_id for order in orders] == [str(order_id) for order_id in range(1000, 1205)]
    pages = [call for call in woo.requests if call[0] == "GET" and call[1] == "orders"]
    assert len(pages) == 3
    # Since a moment: the orders changed at or after it.
    woo.requests.clear()
    since = datetime.datetime.fromisoformat(woo.orders[1200]["date_modified_gmt"]).replace(
        tzinfo=datetime.UTC
    )
    assert [order.external_id for order in connector.orders_changed_since(since)] == [
        "1200",
        "1201",
        "1202",
        "1203",
        "1204",
    ]


def test_a_page_that_fails_is_a_transient_error(woo, connection):
    woo.add_order(order_resource())
    woo.fail_next("GET", "orders", 503)
    with pytest.raises(TransientError, match="Internal Server Error"):
        list(connector_for(connection).orders_changed_since(None))


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_checks_woocommerce_credentials_and_https(client, admin):
    client.force_login(admin.user)
    form = {
        "platform": "woocommerce",
        "name": "Negozio",
        "slug": "negozio",
        "api_url": "http://negozio.example.it",
        "api_version": "",
        "is_active": "on",
        "new_access_token": "ck_abc",
        "new_webhook_secret": "segreto",
    }
    page = client.post("/admin/commerce/shopconnection/add/", form)
    assert page.status_code == 200 and not ShopConnection.objects.exists()
    assert set(page.context["adminform"].form.errors) == {"new_access_token", "api_url"}
    form.update(api_url="negozio.example.it", new_access_token="ck_abc123:cs_def456")
    assert client.post("/admin/commerce/shopconnection/add/", form).status_code == 302
    connection = ShopConnection.objects.get()
    assert (
        connection.api_url == "https://negozio.example.it"
        and connection.access_token == "ck_abc123:cs_def456"
    )
