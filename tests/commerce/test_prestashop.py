"""The PrestaShop connector against the fake Webservice (tests/commerce/fake_prestashop.py): orders
read by the reconciliation with their customer, address, lines, discounts and slips, order
states mapped from the shop's own ids; cancel, coupon and address change written in XML; a
refund refused with what to do instead, shown on the Refund row; the key, the errors, 5xx and
429; no webhooks."""

import datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils import translation

from premura.commerce import reconcile, services
from premura.commerce.connectors import connector_for
from premura.commerce.connectors.base import NewCoupon, PermanentError, TransientError
from premura.commerce.connectors.prestashop import REFUND_REFUSED, coupon_code
from premura.commerce.models import (
    CancellationStatus,
    CouponKind,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundDestination,
    RefundStatus,
    ShopWebhook,
)
from premura.commerce.services import ShippingAddress
from premura.core import clock

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)
CHECKPOINT = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now_in_english():
    with clock.frozen_at(NOW), translation.override("en"):
        yield


@pytest.fixture
def connection(prestashop_connection):
    prestashop_connection.reconciled_until = CHECKPOINT
    prestashop_connection.save()
    return prestashop_connection


def test_orders_are_read_with_customer_address_lines_and_mapped_states(prestashop, connection):
    prestashop.add_order(1, state=2, changed="2026-12-01 10:00:00")
    prestashop.add_order(
        2,
        email="marco@example.it",
        state=10,
        changed="2026-12-01 10:05:00",
        rows=[("TAZZA", "Tazza", "8.196721", 3), ("PIATTO", "Piatto", "12.00", 1)],
        discounts="4.59",
        module="ps_wirepayment",
    )
    prestashop.add_order(3, email="anna@example.it", state=4, changed="2026-12-01 10:10:00")
    prestashop.add_order(4, email="luca@example.it", state=6, changed="2026-12-01 10:15:00")
    result = reconcile.reconcile(connection)
    assert (result.read, result.failed) == (4, [])
    paid = Order.objects.get(external_id="1")
    assert (paid.number, paid.source, paid.status, paid.total, paid.shipping_total) == (
        "REF000001",
        "emporio",
        OrderStatus.PAID,
        Decimal("54.80"),
        Decimal("5.00"),
    )
    assert [(line.sku, line.name, line.quantity, line.total) for line in paid.lines.all()] == [
        ("MOKA-3", "Moka 3 tazze", 2, Decimal("49.80"))
    ]
    assert (paid.shipping_name, paid.shipping_street, paid.shipping_postcode, paid.shipping_city) == (
        "Giulia Verdi",
        "Via Roma 1",
        "10121",
        "Torino",
    )
    assert (paid.shipping_province, paid.shipping_country, paid.currency) == ("TO", "IT", "EUR")
    assert paid.customer.full_name == "Giulia Verdi" and paid.customer.language == "it"
    # Dates are the shop's local time (Europe/Rome).
    assert paid.placed_at == datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
    payment = paid.payments.get()
    assert (payment.state, payment.amount) == (PaymentState.CAPTURED, Decimal("54.80"))
    awaiting = Order.objects.get(external_id="2")
    assert awaiting.status == OrderStatus.PENDING
    assert awaiting.payments.get().method == PaymentMethod.BANK_TRANSFER
    assert awaiting.payments.get().state == PaymentState.PENDING
    # 3 × 8.196721 → 24.59 and 12.00, less 4.59 of discounts, first line first.
    assert [line.total for line in awaiting.lines.order_by("pk")] == [Decimal("20.00"), Decimal("12.00")]
    assert awaiting.total == Decimal("37.00")
    assert Order.objects.get(external_id="3").status == OrderStatus.SHIPPED
    cancelled = Order.objects.get(external_id="4")
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.payments.get().state == PaymentState.VOIDED
    connection.refresh_from_db()
    assert connection.reconciled_until == datetime.datetime(2026, 12, 1, 9, 15, tzinfo=datetime.UTC)
    # The listing: by change time in the shop's time, from the checkpoint less the overlap.
    listing = next(query for method, path, query, _ in prestashop.requests if path == "orders")
    assert listing["filter[date_upd]"] == ["[2026-12-01 08:50:00,2026-12-04 13:00:00]"]
    assert listing["sort"] == ["[date_upd_ASC,id_ASC]"] and listing["date"] == ["1"]


def test_the_listing_pages_by_change_time_and_a_second_run_changes_nothing(
    prestashop, connection, monkeypatch
):
    from premura.commerce.connectors import prestashop as module

    monkeypatch.setattr(module, "PAGE_SIZE", 2)
    for number in range(1, 6):
        # Two orders in the same second across a page break.
        second = min(number, 4)
        prestashop.add_order(number, email=f"c{number}@example.it", changed=f"2026-12-01 10:00:0{second}")
    assert reconcile.reconcile(connection).read == 5
    assert Order.objects.count() == 5
    again = reconcile.reconcile(connection)
    assert again.failed == [] and Order.objects.count() == 5


def test_an_order_that_cannot_be_read_is_reported_and_the_listing_goes_on(prestashop, connection):
    prestashop.add_order(1, changed="2026-12-01 10:00:00")
    prestashop.add_order(2, email="marco@example.it", changed="2026-12-01 10:05:00")
    prestashop.add_order(3, email="anna@example.it", changed="2026-12-01 10:10:00")
    del prestashop.tables["customers"]["42"]  # order 2's customer, deleted in the shop
    result = reconcile.reconcile(connection)
    assert result.failed == ["2: order 2: customers 42 is not in the shop (deleted?)"]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["1", "3"]
    assert result.reconciled_until == datetime.datetime(2026, 12, 1, 9, 10, tzinfo=datetime.UTC)


def test_a_state_change_and_a_back_office_refund_are_applied(prestashop, connection):
    prestashop.add_order(1, state=2, changed="2026-12-01 10:00:00")
    reconcile.reconcile(connection)
    prestashop.tables["orders"]["1"].update(current_state=7, date_upd="2026-12-01 11:00:00")
    prestashop.put(
        "order_slip",
        {"id": 9, "id_order": 1, "total_products_tax_incl": "49.80", "total_shipping_tax_incl": "5.00"},
    )
    connection.refresh_from_db()
    reconcile.reconcile(connection)
    reconcile.reconcile(connection)
    order = Order.objects.get()
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.external_id) == (
        Decimal("54.80"),
        RefundStatus.SUBMITTED,
        "slip-9",
    )
    assert order.status == OrderStatus.REFUNDED and order.payments.get().state == PaymentState.REFUNDED


def test_cancel_posts_the_shops_canceled_state_once(prestashop, connection):
    prestashop.add_order(1, state=2)
    connector = connector_for(connection)
    connector.cancel_order("1", reason="customer")
    connector_for(connection).cancel_order("1", reason="customer")
    writes = prestashop.writes("order_histories")
    assert len(writes) == 1
    history = ElementTree.fromstring(writes[0][1]).find("order_history")
    assert (history.findtext("id_order"), history.findtext("id_order_state")) == ("1", "6")
    assert prestashop.tables["orders"]["1"]["current_state"] == 6


def test_cancelling_a_paid_order_cancels_it_there_and_its_refund_asks_for_the_back_office(
    prestashop, connection, customer, agent, django_capture_on_commit_callbacks
):
    prestashop.add_order(1, email=customer.primary_email, state=2)
    reconcile.reconcile(connection)
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-1", actor=agent.user, reason="Ordered twice")
    cancellation.refresh_from_db()
    order.refresh_from_db()
    assert cancellation.status == CancellationStatus.DONE and order.status == OrderStatus.CANCELLED
    assert prestashop.tables["orders"]["1"]["current_state"] == 6
    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.FAILED and refund.error == REFUND_REFUSED


def test_a_coupon_is_a_cart_rule_made_once(prestashop, connection):
    prestashop.add_order(1)
    coupon = NewCoupon(
        key="coupon-1",
        kind=CouponKind.AMOUNT,
        value=Decimal("10.00"),
        currency="EUR",
        email="giulia@example.it",
        expires_on=datetime.date(2027, 1, 31),
    )
    code = connector_for(connection).create_coupon(coupon)
    assert code == coupon_code("coupon-1") and connector_for(connection).create_coupon(coupon) == code
    [(method, body)] = prestashop.writes("cart_rules")
    rule = ElementTree.fromstring(body).find("cart_rule")
    assert (rule.findtext("code"), rule.findtext("reduction_amount"), rule.findtext("id_customer")) == (
        code,
        "10.00",
        "41",
    )
    assert rule.findtext("date_to") == "2027-01-31 23:59:59" and rule.findtext("quantity") == "1"
    assert [item.get("id") for item in rule.find("name")] == ["1", "2"]
    with pytest.raises(PermanentError, match="cannot limit a cart rule to a category"):
        connector_for(connection).create_coupon(
            NewCoupon(
                key="c-2",
                kind=CouponKind.PERCENTAGE,
                value=Decimal("10"),
                currency="EUR",
                email="",
                category="Caffè",
            )
        )


def test_the_delivery_address_changes_through_a_new_address_once(prestashop, connection):
    prestashop.add_order(1)
    address = ShippingAddress(
        name="Giulia Verdi", street="Corso Francia 5", postcode="10138", city="Torino", province="TO"
    )
    connector_for(connection).change_shipping_address("1", address=address)
    connector_for(connection).change_shipping_address("1", address=address)
    assert len(prestashop.writes("addresses")) == 1 and len(prestashop.writes("orders/1")) == 1
    new = next(
        row for row in prestashop.tables["addresses"].values() if row.get("address1") == "Corso Francia 5"
    )
    assert (new["id_state"], new["id_country"], new["id_customer"]) == ("140", "10", "41")
    assert str(prestashop.tables["orders"]["1"]["id_address_delivery"]) == str(new["id"])


def test_a_refund_is_refused_with_what_to_do_shown_on_the_refund(
    prestashop, connection, customer, django_capture_on_commit_callbacks
):
    prestashop.add_order(1, email=customer.primary_email)
    reconcile.reconcile(connection)
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.request_refund(
            order, amount=Decimal("10.00"), idempotency_key="r-1", reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED and refund.error == REFUND_REFUSED
    assert "PrestaShop back office" in refund.error
    assert not [write for write in prestashop.requests if write[0] != "GET"]


def test_store_credit_is_a_cart_rule(prestashop, connection, customer, django_capture_on_commit_callbacks):
    prestashop.add_order(1, email=customer.primary_email)
    reconcile.reconcile(connection)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.request_refund(
            Order.objects.get(),
            amount=Decimal("10.00"),
            idempotency_key="r-2",
            reason="Late",
            destination=RefundDestination.STORE_CREDIT,
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED and refund.external_id == coupon_code("r-2")
    [(method, body)] = prestashop.writes("cart_rules")
    assert ElementTree.fromstring(body).find("cart_rule").findtext("reduction_amount") == "10.00"


def test_the_key_errors_outages_and_throttling(prestashop, connection):
    connector = connector_for(connection)
    prestashop.fail_next("GET", "orders", 400, body={"errors": [{"code": 32, "message": "Invalid filter"}]})
    with pytest.raises(PermanentError, match="^Invalid filter$"):
        list(connector.orders_changed_since(CHECKPOINT))
    prestashop.fail_next("GET", "orders", 503)
    with pytest.raises(TransientError, match="Internal error"):
        list(connector_for(connection).orders_changed_since(CHECKPOINT))
    prestashop.fail_next("GET", "orders", 429)
    with pytest.raises(TransientError) as throttled:
        list(connector_for(connection).orders_changed_since(CHECKPOINT))
    assert throttled.value.retry_after == 30
    connection.access_token = "WRONGKEY"
    connection.save()
    with pytest.raises(PermanentError, match="Authentication key is empty"):
        list(connector_for(connection).orders_changed_since(CHECKPOINT))


def test_an_xml_refusal_shows_prestashops_message(prestashop, connection):
    prestashop.add_order(1)
    # The order is read in XML for its PUT: PrestaShop refuses in XML then.
    prestashop.fail_next("GET", "orders/1", 404, body={"errors": [{"code": 87, "message": "Invalid ID 1"}]})
    with pytest.raises(PermanentError, match="^Invalid ID 1$"):
        connector_for(connection).change_shipping_address(
            "1", address=ShippingAddress("A B", "Via C 1", "10100", "Torino")
        )


def test_the_webhook_endpoint_refuses_a_shop_that_sends_none(client, connection):
    response = client.post(
        "/api/v1/shop/webhooks/prestashop/emporio", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "This shop's platform sends no webhooks: Premura reads its orders every 15 minutes."
    )
    assert ShopWebhook.objects.count() == 0
