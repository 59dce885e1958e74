"""Every endpoint, every persona: who may call it, and that a refused call writes nothing."""

import itertools
from dataclasses import dataclass

import pytest

from premura.shipping.models import Shipment
from tests.api.conftest import row_counts
from tests.factories.conversations import make_case

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with the ids of the `world` fixture
    admin_only: bool = False
    # Acts on a shop's platform: any agent's success is tested against the fake shop in
    # tests/api/test_order_money.py (here the order's shop is not connected, a 422).
    on_shop: bool = False

    def body(self, world: dict) -> dict | None:
        n = next(_numbers)
        return {
            ("POST", "/api/v1/customers"): {
                "full_name": f"Carla Neri {n}",
                "identities": [{"kind": "email", "value": f"carla{n}@example.it"}],
            },
            ("PATCH", "/api/v1/customers/{customer}"): {"language": "en"},
            ("POST", "/api/v1/orders"): {
                "number": f"PRM-9{n:05d}",
                "customer_id": world["customer"],
                "lines": [{"sku": "MOKA-6", "name": "Moka", "unit_price": "49.90"}],
                "shipping_total": "5.00",
                "total": "54.90",
                "address": {
                    "name": "Anna Colombo",
                    "street": "Via Roma 1",
                    "postcode": "20121",
                    "city": "Milano",
                },
            },
            ("POST", "/api/v1/shipments"): {
                "order_id": world["order"],
                "carrier": "brt",
                "tracking_number": f"0850{n:08d}",
            },
            ("POST", "/api/v1/shipments/{shipment}/events"): {
                "occurred_at": "2026-03-02T09:00:00+01:00",
                "status": "out_for_delivery",
                "raw_code": "IN CONSEGNA",
            },
            ("POST", "/api/v1/cases"): {
                "customer_id": world["customer"],
                "subject": "Reso",
                "body": "Vorrei un reso.",
            },
            ("POST", "/api/v1/orders/{order_number}/refunds"): {
                "amount": "5.00",
                "to": "card",
                "reason": "Graffio",
            },
            ("POST", "/api/v1/orders/{order_number}/cancel"): {"reason": "Ordine doppio"},
            ("POST", "/api/v1/orders/{order_number}/coupons"): {
                "kind": "amount",
                "value": "5.00",
                "reason": "Ritardo",
            },
            ("POST", "/api/v1/orders/{order_number}/reshipments"): {"reason": "Pacco perso"},
            ("POST", "/api/v1/orders/{order_number}/address"): {
                "address": {
                    "name": "Anna Colombo",
                    "street": "Via Po 2",
                    "postcode": "10123",
                    "city": "Torino",
                },
                "reason": "Trasloco",
            },
            ("PATCH", "/api/v1/cases/{case}"): {"priority": "high"},
            ("POST", "/api/v1/cases/{case}/messages"): {"body": "Gentile Anna, verifichiamo subito."},
            ("POST", "/api/v1/cases/{case}/inbound"): {"body": "Grazie!"},
            ("PUT", "/api/v1/agents/me/availability"): {"is_available": False},
            ("POST", "/api/v1/agents"): {
                "username": f"nuovo{n}",
                "password": "una-password-lunga-2026",
                "display_name": "Nuovo Agente",
            },
        }.get((self.method, self.path))

    def url(self, world: dict) -> str:
        return self.path.format(**world)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/api/v1/customers"),
    Endpoint("POST", "/api/v1/customers"),
    Endpoint("GET", "/api/v1/customers/{customer}"),
    Endpoint("PATCH", "/api/v1/customers/{customer}"),
    Endpoint("GET", "/api/v1/orders"),
    Endpoint("POST", "/api/v1/orders"),
    Endpoint("GET", "/api/v1/orders/{order}"),
    Endpoint("GET", "/api/v1/orders/by-number/{order_number}"),
    Endpoint("GET", "/api/v1/orders/{order_number}/refunds"),
    Endpoint("POST", "/api/v1/orders/{order_number}/refunds", on_shop=True),
    Endpoint("POST", "/api/v1/orders/{order_number}/cancel", on_shop=True),
    Endpoint("GET", "/api/v1/orders/{order_number}/coupons"),
    Endpoint("POST", "/api/v1/orders/{order_number}/coupons", on_shop=True),
    Endpoint("GET", "/api/v1/orders/{order_number}/reshipments"),
    Endpoint("POST", "/api/v1/orders/{order_number}/reshipments", on_shop=True),
    Endpoint("GET", "/api/v1/orders/{order_number}/address"),
    Endpoint("POST", "/api/v1/orders/{order_number}/address", on_shop=True),
    Endpoint("GET", "/api/v1/shipments"),
    Endpoint("POST", "/api/v1/shipments"),
    Endpoint("GET", "/api/v1/shipments/{shipment}"),
    Endpoint("GET", "/api/v1/shipments/{shipment}/events"),
    Endpoint("POST", "/api/v1/shipments/{shipment}/events"),
    Endpoint("GET", "/api/v1/cases"),
    Endpoint("POST", "/api/v1/cases"),
    Endpoint("GET", "/api/v1/cases/{case}"),
    Endpoint("PATCH", "/api/v1/cases/{case}"),
    Endpoint("GET", "/api/v1/cases/{case}/messages"),
    Endpoint("POST", "/api/v1/cases/{case}/messages"),
    Endpoint("POST", "/api/v1/cases/{case}/inbound"),
    Endpoint("GET", "/api/v1/agents", admin_only=True),
    Endpoint("POST", "/api/v1/agents", admin_only=True),
    Endpoint("PUT", "/api/v1/agents/me/availability"),
    Endpoint("GET", "/api/v1/teams"),
    Endpoint("GET", "/api/v1/messages?message_id=m1@anna.example"),
]
ADMIN_ONLY = [e for e in ENDPOINTS if e.admin_only]
ANY_AGENT = [e for e in ENDPOINTS if not e.admin_only]
ANY_AGENT_HERE = [e for e in ANY_AGENT if not e.on_shop]


@pytest.fixture
def world(customer, anna_order) -> dict:
    case = make_case(customer, order=anna_order)
    shipment = Shipment.objects.get(order=anna_order)
    return {
        "customer": customer.pk,
        "order": anna_order.pk,
        "order_number": anna_order.number,
        "shipment": shipment.pk,
        "case": case.pk,
    }


def _shape(operation: str) -> str:
    """ "GET /api/v1/cases/{case_id}" -> "GET /api/v1/cases/{}": path parameters are named differently."""
    operation = operation.partition("?")[0]
    return "/".join("{}" if part.startswith("{") else part for part in operation.split("/"))


def test_the_matrix_covers_every_operation_of_the_api():
    from premura.api.api import api

    schema = api.get_openapi_schema()
    # Tracking and shop webhooks take no token: their senders sign them
    # (tests/shipping/test_tracking_webhooks.py, tests/commerce/test_shop_webhooks.py).
    operations = [
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if not path.startswith(("/api/v1/tracking/webhooks/", "/api/v1/shop/webhooks/"))
    ]
    assert sorted(map(_shape, operations)) == sorted(_shape(str(e)) for e in ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_endpoint_refuses_a_request_without_a_token(endpoint, anonymous_api, world):
    before = row_counts()
    response = anonymous_api.request(endpoint.method, endpoint.url(world), endpoint.body(world))
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing API token: send 'Authorization: Bearer <token>'."}
    assert response["WWW-Authenticate"] == 'Bearer realm="premura"'
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_endpoint_refuses_a_user_who_is_not_an_agent(endpoint, outsider_api, world):
    before = row_counts()
    response = outsider_api.request(endpoint.method, endpoint.url(world), endpoint.body(world))
    assert response.status_code == 403
    assert response.json() == {"detail": "Only agents of the desk may use the API."}
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ADMIN_ONLY, ids=str)
def test_an_agent_without_admin_rights_is_refused_admin_endpoints(endpoint, agent_api, world):
    before = row_counts()
    response = agent_api.request(endpoint.method, endpoint.url(world), endpoint.body(world))
    assert response.status_code == 403
    assert response.json() == {"detail": "This needs the administrator role."}
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ADMIN_ONLY, ids=str)
def test_an_admin_may_use_admin_endpoints(endpoint, admin_api, world):
    response = admin_api.request(endpoint.method, endpoint.url(world), endpoint.body(world))
    assert response.status_code == (201 if endpoint.method == "POST" else 200), response.content


@pytest.mark.parametrize("endpoint", ANY_AGENT_HERE, ids=str)
def test_any_agent_may_use_the_other_endpoints(endpoint, agent_api, world):
    response = agent_api.request(endpoint.method, endpoint.url(world), endpoint.body(world))
    assert response.status_code == (201 if endpoint.method == "POST" else 200), response.content


def test_an_agent_is_refused_an_admin_endpoint_before_the_body_is_validated(agent_api):
    response = agent_api.request("POST", "/api/v1/agents", {"name": "not what the schema wants"})
    assert response.status_code == 403
    assert response.json() == {"detail": "This needs the administrator role."}
