"""Coupons, re-shipments and address changes through the REST API (POST and GET
/api/v1/orders/{number}/coupons, /reshipments, /address): the console's actions (care.money) as
the token's agent, the Idempotency-Key required and the action's key, against the fake Shopify."""

import json
from decimal import Decimal

import pytest

from premura.agents.models import RefundLimit, Role
from premura.channels.models import OutboundEmail, OutboundKind
from premura.commerce.models import AddressChange, Coupon, OrderStatus, Reshipment
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

pytestmark = pytest.mark.django_db

COUPON = {"kind": "percentage", "value": "15", "reason": "Ritardo", "category": "Cucina"}
ADDRESS = {
    "address": {
        "name": "Anna Colombo",
        "street": "Corso Buenos Aires 12",
        "postcode": "20124",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
    },
    "reason": "Trasloco",
}


def post(api, path, body, key="k-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.client.post(
        path, json.dumps(body), content_type="application/json", **{**api.headers, **headers}
    )


@pytest.fixture
def order(shopify, shop_connection, customer):
    order = shop_order(shopify, customer)
    order.lines.update(category="Cucina")
    shopify.add_collection("Cucina")
    make_case(customer, order=order)
    return order


def path(order, action: str) -> str:
    return f"/api/v1/orders/{order.number}/{action}"


def test_a_coupon_sent_twice_is_made_once_and_listed_with_its_code(
    agent_api, order, shopify, django_capture_on_commit_callbacks
):
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(agent_api, path(order, "coupons"), COUPON)
        assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["value"], data["category"], data["status"]) == (
        "percentage",
        "15.00",
        "Cucina",
        "requested",
    )
    assert data["message"].startswith("Coupon (15% off) asked of the shop")
    assert Coupon.objects.count() == 1 and len(shopify.price_rules) == 1
    (listed,) = agent_api.get(path(order, "coupons")).json()
    assert listed["status"] == "done" and listed["code"] == shopify.discount_codes[0]["code"]
    assert OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).count() == 1


def test_the_same_key_from_another_user_is_another_action(
    agent_api, admin_api, order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(agent_api, path(order, "coupons"), COUPON, key="same").status_code == 201
        assert post(admin_api, path(order, "coupons"), COUPON, key="same").status_code == 201
    assert Coupon.objects.count() == 2 and len(shopify.discount_codes) == 2


def test_an_amount_coupon_over_the_limit_is_refused_with_nothing_written(agent_api, order, shopify):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("10"))
    response = post(
        agent_api, path(order, "coupons"), {"kind": "amount", "value": "12.00", "reason": "Scuse"}
    )
    assert response.status_code == 422
    assert "is over your limit of €10.00" in response.json()["detail"]
    assert Coupon.objects.count() == 0 and shopify.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {**COUPON, "kind": "gift"},
        {**COUPON, "value": "-1"},
        {**COUPON, "value": 15},
        {**COUPON, "expires_on": "2000-01-01T00:00:00"},
        {**COUPON, "expires_on": "2099-01-01"},
        {**COUPON, "reason": ""},
        {**COUPON, "code": "MINE"},
    ],
)
def test_malformed_coupons_are_refused_with_nothing_written(agent_api, order, shopify, body):
    response = post(agent_api, path(order, "coupons"), body)
    assert response.status_code == 422, response.content
    assert Coupon.objects.count() == 0 and shopify.requests == []


def test_a_reshipment_of_chosen_lines_and_its_refusals(
    agent_api, order, shopify, django_capture_on_commit_callbacks
):
    sku = order.lines.get().sku
    bad = post(
        agent_api, path(order, "reshipments"), {"reason": "Perso", "lines": [{"sku": sku, "quantity": 3}]}
    )
    assert bad.status_code == 422 and "Send again from 1 to 1 of" in bad.json()["detail"]
    body = {"reason": "Perso", "lines": [{"sku": sku, "quantity": 1}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_api, path(order, "reshipments"), body, key="k-2")
        again = post(agent_api, path(order, "reshipments"), body, key="k-2")
    assert response.status_code == 201 and again.status_code == 201
    assert response.json()["lines"] == [{"sku": sku, "quantity": 1}]
    assert Reshipment.objects.count() == 1 and len(shopify.made_orders()) == 1
    (listed,) = agent_api.get(path(order, "reshipments")).json()
    assert listed["replacement_number"] == "#1002" and listed["status"] == "done"
    another = post(agent_api, path(order, "reshipments"), {"reason": "Ancora"}, key="k-3")
    assert another.status_code == 422 and "was already sent again (#1002)" in another.json()["detail"]


def test_an_address_change_before_shipment_and_not_after(
    agent_api, order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_api, path(order, "address"), ADDRESS)
    assert response.status_code == 201, response.content
    assert response.json()["address"]["street"] == "Corso Buenos Aires 12"
    order.refresh_from_db()
    assert order.shipping_street == "Corso Buenos Aires 12"
    (listed,) = agent_api.get(path(order, "address")).json()
    assert listed["status"] == "done"
    order.status = OrderStatus.SHIPPED
    order.save()
    late = {**ADDRESS, "address": {**ADDRESS["address"], "street": "Via Po 2"}}
    response = post(agent_api, path(order, "address"), late, key="k-late")
    assert response.status_code == 422 and "can no longer change" in response.json()["detail"]
    assert AddressChange.objects.count() == 1
    assert len(shopify.posts("orders/450789469.json", method="PUT")) == 1


@pytest.mark.parametrize(
    ("action", "body"), [("coupons", COUPON), ("reshipments", {"reason": "Perso"}), ("address", ADDRESS)]
)
def test_the_key_is_required_and_unknown_orders_are_404(
    agent_api, anonymous_api, order, shopify, action, body
):
    response = post(agent_api, path(order, action), body, key=None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert post(agent_api, f"/api/v1/orders/PRM-404/{action}", body).status_code == 404
    assert agent_api.get(f"/api/v1/orders/PRM-404/{action}").status_code == 404
    assert post(anonymous_api, path(order, action), body).status_code == 401
    assert shopify.requests == []
    assert Coupon.objects.count() + Reshipment.objects.count() + AddressChange.objects.count() == 0
