"""Shops' webhooks: Shopify's signature (good, wrong, missing, tampered), a replayed delivery
accepted once, raw bodies kept, orders imported and moved along; the generic connector's signed
JSON with its timestamp. The Shopify payloads have the shapes of its documented examples
(tests/fixtures/shopify/)."""

import copy
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from premura.commerce import services
from premura.commerce.connectors import shopify
from premura.commerce.exceptions import OrderError
from premura.commerce.models import (
    Order,
    OrderStatus,
    PaymentState,
    Refund,
    RefundStatus,
    ShopConnection,
    ShopWebhook,
    WebhookStatus,
)
from premura.core import signing
from premura.customers.models import Customer
from tests.commerce.shop import SHOPIFY_SECRET

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
URL = "/api/v1/shop/webhooks/shopify/bottega"
GENERIC_URL = "/api/v1/shop/webhooks/generic/custom"
GENERIC_SECRET = "segreto-del-gestionale"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def post(
    client, body: bytes, *, topic: str, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", **extra
):
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify.sign(body, SHOPIFY_SECRET),
        "X-Shopify-Shop-Domain": "bottega.myshopify.com",
        "X-Shopify-API-Version": "2025-01",
        "X-Shopify-Webhook-Id": webhook_id,
        **extra,
    }
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_a_signed_order_is_imported_with_its_customer(client, shop_connection):
    body = json.dumps(payload("orders_create.json")).encode()
    response = post(client, body, topic="orders/create")
    assert response.status_code == 200
    assert response.json()["duplicate"] is False and response.json()["status"] == "processed"
    order = Order.objects.get(source="bottega", external_id="820982911946154508")
    assert order.number == "9999" and order.status == OrderStatus.PAID
    assert order.total == Decimal("115.70") and order.shipping_total == Decimal("5.90")
    assert [(line.sku, line.quantity, line.total) for line in order.lines.order_by("pk")] == [
        ("MOKA-6", 2, Decimal("99.80")),
        ("COFFEE-250", 1, Decimal("10.00")),
    ]
    payment = order.payments.get()
    assert payment.state == PaymentState.AUTHORIZED and payment.amount == Decimal("115.70")
    assert order.customer.full_name == "Jon Snow" and order.customer.language == "en"
    assert order.customer.primary_email == "jon@example.com"
    webhook = ShopWebhook.objects.get()
    assert bytes(webhook.body) == body and webhook.topic == "orders/create"


def test_a_replayed_delivery_is_accepted_once(client, shop_connection):
    body = json.dumps(payload("orders_create.json")).encode()
    assert post(client, body, topic="orders/create").status_code == 200
    again = post(client, body, topic="orders/create")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert ShopWebhook.objects.count() == 1
    assert Order.objects.count() == 1 and Customer.objects.count() == 1


@pytest.mark.parametrize("case", ["wrong secret", "missing", "tampered", "empty secret"])
def test_an_unsigned_or_tampered_webhook_is_refused_and_nothing_is_stored(client, shop_connection, case):
    body = json.dumps(payload("orders_create.json")).encode()
    headers = {}
    if case == "wrong secret":
        headers["X-Shopify-Hmac-Sha256"] = shopify.sign(body, "another-app-secret")
    elif case == "missing":
        headers["X-Shopify-Hmac-Sha256"] = ""
    elif case == "tampered":
        changed = copy.deepcopy(payload("orders_create.json"))
        changed["total_price"] = "1.00"
        headers["X-Shopify-Hmac-Sha256"] = shopify.sign(body, SHOPIFY_SECRET)
        body = json.dumps(changed).encode()
    else:
        shop_connection.webhook_secret = ""
        shop_connection.save()
    response = post(client, body, topic="orders/create", **headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "The request is not signed with this shop's secret."
    assert ShopWebhook.objects.count() == 0 and Order.objects.count() == 0


def test_an_unknown_shop_is_a_404(client, shop_connection):
    body = json.dumps(payload("orders_create.json")).encode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": shopify.sign(body, SHOPIFY_SECRET),
    }
    response = client.post(
        "/api/v1/shop/webhooks/shopify/elsewhere", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 404
    assert ShopWebhook.objects.count() == 0


def test_cancellation_payment_and_fulfilment_move_the_order_along(client, shop_connection):
    order_json = payload("orders_create.json")
    post(client, json.dumps(order_json).encode(), topic="orders/create", webhook_id="w-1")
    order = Order.objects.get()
    paid = {**order_json, "financial_status": "paid"}
    post(client, json.dumps(paid).encode(), topic="orders/paid", webhook_id="w-2")
    assert order.payments.get().state == PaymentState.CAPTURED
    fulfilment = {"id": 255858046, "order_id": 820982911946154508, "status": "success"}
    post(client, json.dumps(fulfilment).encode(), topic="fulfillments/create", webhook_id="w-3")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    # A late "updated" that still says unfulfilled does not move it back.
    post(client, json.dumps(paid).encode(), topic="orders/updated", webhook_id="w-4")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert set(ShopWebhook.objects.values_list("status", flat=True)) == {WebhookStatus.PROCESSED}


def test_a_cancelled_order_has_its_authorisation_voided(client, shop_connection):
    order_json = payload("orders_create.json")
    post(client, json.dumps(order_json).encode(), topic="orders/create", webhook_id="w-1")
    cancelled = {**order_json, "cancelled_at": "2026-12-01T11:00:00+01:00", "financial_status": "voided"}
    post(client, json.dumps(cancelled).encode(), topic="orders/cancelled", webhook_id="w-2")
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.VOIDED


def test_a_refund_from_the_back_office_is_recorded_once_and_ours_is_not_recorded_twice(
    client, shop_connection
):
    order_json = {**payload("orders_create.json"), "financial_status": "paid"}
    post(client, json.dumps(order_json).encode(), topic="orders/create", webhook_id="w-1")
    order = Order.objects.get()
    refund_json = payload("refunds_create.json")
    post(client, json.dumps(refund_json).encode(), topic="refunds/create", webhook_id="w-2")
    post(client, json.dumps(refund_json).encode(), topic="refunds/create", webhook_id="w-3")
    refund = Refund.objects.get()
    assert refund.amount == Decimal("20.00") and refund.external_id == "929361462"
    assert refund.status == RefundStatus.SUBMITTED
    assert order.payments.get().state == PaymentState.PARTIALLY_REFUNDED
    # One of ours coming back (its note carries our key) is not a second refund.
    ours = {**refund_json, "id": 929361463, "note": "Scratched [premura:" + refund.idempotency_key + "]"}
    post(client, json.dumps(ours).encode(), topic="refunds/create", webhook_id="w-4")
    assert Refund.objects.count() == 1


def test_an_order_that_does_not_add_up_is_kept_with_the_reason(client, shop_connection):
    order_json = {**payload("orders_create.json"), "total_price": "999.00"}
    response = post(client, json.dumps(order_json).encode(), topic="orders/create")
    assert response.status_code == 200
    webhook = ShopWebhook.objects.get()
    assert webhook.status == WebhookStatus.FAILED
    assert webhook.error == "The total 999.00 is not the lines' sum 109.80 plus shipping 5.90."
    assert Order.objects.count() == 0


# --- the generic connector -----------------------------------------------------------------------


@pytest.fixture
def custom_shop(db) -> ShopConnection:
    connection = ShopConnection(platform="generic", name="Gestionale", slug="custom")
    connection.webhook_secret = GENERIC_SECRET
    connection.save()
    return connection


GENERIC_ORDER = {
    "event_id": "evt-1",
    "topic": "order",
    "order": {
        "id": "A-77",
        "number": "W-77",
        "email": "lucia@example.it",
        "customer_name": "Lucia Neri",
        "currency": "EUR",
        "placed_at": "2026-12-01T09:00:00+01:00",
        "status": "paid",
        "lines": [{"sku": "TEA-1", "name": "Tè verde", "unit_price": "8.50", "quantity": 2}],
        "shipping_total": "4.00",
        "total": "21.00",
        "address": {"name": "Lucia Neri", "street": "Via Po 3", "postcode": "10124", "city": "Torino"},
        "payment": {"method": "card", "state": "captured", "amount": "21.00", "reference": "ch_1"},
    },
}


def post_generic(client, body: bytes, *, secret: str = GENERIC_SECRET, timestamp: int | None = None):
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        signing.TIMESTAMP_HEADER: str(stamp),
        signing.SIGNATURE_HEADER: signing.sign(body, secret, stamp),
    }
    return client.post(GENERIC_URL, data=body, content_type="application/json", headers=headers)


def test_a_custom_shop_signed_order_is_imported_once(client, custom_shop):
    body = json.dumps(GENERIC_ORDER).encode()
    assert post_generic(client, body).json()["status"] == "processed"
    assert post_generic(client, body).json()["duplicate"] is True
    order = Order.objects.get()
    assert (order.number, order.source, order.external_id, order.total) == (
        "W-77",
        "custom",
        "A-77",
        Decimal("21.00"),
    )
    assert order.payments.get().external_id == "ch_1"


def test_a_nul_in_a_signed_body_is_cleaned_or_refused_with_the_reason_never_a_500(client, custom_shop):
    """PostgreSQL stores no NUL in text: the event id is made one line, and a failure's reason that
    quotes the sender's NUL is stored with it written as \\x00 (CI runs this on PostgreSQL)."""
    order = {**GENERIC_ORDER["order"], "email": "lucia\x00@example.it"}
    body = json.dumps({**GENERIC_ORDER, "event_id": "evt\x00-1", "order": order}).encode()
    response = post_generic(client, body)
    assert response.status_code == 200 and response.json()["status"] == "failed"
    webhook = ShopWebhook.objects.get()
    assert webhook.webhook_id == "evt -1"
    assert webhook.error == "lucia\\x00@example.it is not an e-mail address."
    assert bytes(webhook.body) == body and not Order.objects.exists()


@pytest.mark.parametrize("case", ["wrong secret", "stale", "tampered"])
def test_a_custom_shop_webhook_badly_signed_or_stale_is_refused(client, custom_shop, case):
    body = json.dumps(GENERIC_ORDER).encode()
    if case == "wrong secret":
        response = post_generic(client, body, secret="not-it")
    elif case == "stale":
        response = post_generic(client, body, timestamp=int(time.time()) - 301)
    else:
        stamp = int(time.time())
        headers = {
            signing.TIMESTAMP_HEADER: str(stamp),
            signing.SIGNATURE_HEADER: signing.sign(body, GENERIC_SECRET, stamp),
        }
        response = client.post(
            GENERIC_URL,
            data=body.replace(b"21.00", b"2.00"),
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 401
    assert ShopWebhook.objects.count() == 0 and Order.objects.count() == 0


def test_a_custom_shop_body_that_is_not_our_format_fails_with_the_reason(client, custom_shop):
    body = json.dumps({"event_id": "evt-2", "topic": "order"}).encode()
    assert post_generic(client, body).json()["error"] == "order: required for this topic"


def test_a_custom_shop_takes_no_actions(custom_shop, client, agent):
    post_generic(client, json.dumps(GENERIC_ORDER).encode())
    order = Order.objects.get()
    with pytest.raises(OrderError, match="do it in the shop's back office"):
        services.refund(order, Decimal("5"), idempotency_key="g-1", actor=agent.user, reason="Broken")
    assert Refund.objects.count() == 0
