"""Orders through the API: import from a shop, read with lines, payments and shipments."""

from decimal import Decimal

import pytest

from premura.commerce.models import Order
from premura.core.audit import events_for
from tests.api.conftest import row_counts


def order_body(customer_id: int, **overrides) -> dict:
    return {
        "number": "prm-300001",
        "customer_id": customer_id,
        "placed_at": "2026-03-01T10:15:00+01:00",
        "lines": [
            {"sku": "MOKA-6", "name": "Moka Bialetti 6 tazze", "quantity": 2, "unit_price": "24.95"},
            {
                "sku": "CAFFE-250",
                "name": "Caffè 250 g",
                "quantity": 3,
                "unit_price": "6.00",
                "total": "15.00",
            },
        ],
        "shipping_total": "4.90",
        "total": "69.80",
        "payment": {"method": "card", "state": "captured", "amount": "69.80", "provider": "stripe"},
        "address": {
            "name": "Anna Colombo",
            "street": "Via Roma 1",
            "postcode": "20121",
            "city": "Milano",
            "province": "MI",
        },
        **overrides,
    }


def test_it_imports_an_order_with_lines_and_payment(agent_api, agent, customer):
    response = agent_api.post("/api/v1/orders", order_body(customer.pk))
    assert response.status_code == 201, response.content
    order = Order.objects.get(number="PRM-300001")
    data = response.json()
    assert data["id"] == order.pk
    assert (data["number"], data["customer_id"], data["status"], data["email"]) == (
        "PRM-300001",
        customer.pk,
        "paid",
        "anna.colombo@example.it",
    )
    assert (data["subtotal"], data["shipping_total"], data["total"], data["currency"]) == (
        "64.90",
        "4.90",
        "69.80",
        "EUR",
    )
    assert data["placed_at"] == "2026-03-01T09:15:00Z"
    assert data["address"] == {
        "name": "Anna Colombo",
        "street": "Via Roma 1",
        "postcode": "20121",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
    }
    assert [(li["sku"], li["quantity"], li["unit_price"], li["total"]) for li in data["lines"]] == [
        ("MOKA-6", 2, "24.95", "49.90"),
        ("CAFFE-250", 3, "6.00", "15.00"),
    ]
    [payment] = data["payments"]
    assert (payment["method"], payment["state"], payment["amount"], payment["captured_at"]) == (
        "card",
        "captured",
        "69.80",
        "2026-03-01T09:15:00Z",
    )
    assert data["refunds"] == [] and data["shipments"] == []
    assert order.total == Decimal("69.80")
    [imported] = events_for(order)
    assert (imported.action, imported.actor) == ("order.imported", agent.user)


def test_a_duplicate_number_is_a_conflict(agent_api, customer):
    assert agent_api.post("/api/v1/orders", order_body(customer.pk)).status_code == 201
    before = row_counts()
    response = agent_api.post("/api/v1/orders", order_body(customer.pk, number="PRM-300001 "))
    assert response.status_code == 409
    assert response.json() == {"detail": "The order PRM-300001 was already imported."}
    assert row_counts() == before


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"total": "70.00"}, "The total 70.00 is not the lines' sum 64.90 plus shipping 4.90."),
        ({"lines": []}, "body.lines: List should have at least 1 item"),
        (
            {"shipping_total": "-1"},
            "body.shipping_total: an amount is a string such as '19.90', not negative, "
            "with at most two decimals",
        ),
        ({"customer_id": 987654}, "body.customer_id: There is no customer with id 987654."),
        (
            {"payment": {"method": "card", "state": "captured", "amount": "80.00"}},
            "The payment of 80.00 is not between 0 and the order total 69.80.",
        ),
        (
            {"payment": {"method": "cash", "state": "captured", "amount": "1"}},
            "body.payment.method: Input should be",
        ),
        ({"address": {"name": "Anna"}}, "body.address.street: Field required"),
        ({"email": "anna"}, "anna is not an e-mail address."),
    ],
    ids=[
        "wrong total",
        "no lines",
        "negative shipping",
        "unknown customer",
        "overpaid",
        "bad method",
        "no street",
        "bad email",
    ],
)
def test_it_refuses_an_invalid_order_naming_the_problem(agent_api, customer, overrides, detail):
    before = row_counts()
    response = agent_api.post("/api/v1/orders", {**order_body(customer.pk), **overrides})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail), response.json()
    assert row_counts() == before


def test_get_by_id_and_by_number_include_shipments(agent_api, anna_order):
    by_id = agent_api.get(f"/api/v1/orders/{anna_order.pk}")
    by_number = agent_api.get("/api/v1/orders/by-number/prm-100001")
    assert by_id.status_code == by_number.status_code == 200
    assert by_id.json() == by_number.json()
    data = by_id.json()
    assert data["number"] == "PRM-100001"
    assert [li["name"] for li in data["lines"]] == ["Moka Bialetti 6 tazze"]
    assert [(p["method"], p["amount"]) for p in data["payments"]] == [("card", "54.90")]
    assert [(s["carrier"], s["tracking_number"], s["status"]) for s in data["shipments"]] == [
        ("brt", "084012345678", "in_transit")
    ]
    assert agent_api.get("/api/v1/orders/by-number/PRM-404").status_code == 404
    assert agent_api.get("/api/v1/orders/424242").status_code == 404


def test_list_filters_by_customer_and_number(agent_api, customer, anna_order, bruno_order):
    def numbers(**params):
        return [o["number"] for o in agent_api.get("/api/v1/orders", params).json()["items"]]

    assert sorted(numbers()) == ["PRM-100001", "PRM-100002"]
    assert numbers(customer=customer.pk) == ["PRM-100001"]
    assert numbers(number="prm-100002") == ["PRM-100002"]
    assert numbers(customer=customer.pk, number="PRM-100002") == []
