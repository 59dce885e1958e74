"""Idempotency-Key on the API's create POSTs (premura.api.idempotency; decision 0007), case by case
as Zulip's docs/subsystems/idempotency.md lists them."""

import datetime
import json

import pytest

from premura.api.idempotency import IDEMPOTENCY_KEY_TTL, purge_idempotent_requests
from premura.api.models import IdempotentRequest
from premura.api.tasks import purge_idempotent_requests_task
from premura.conversations import services
from premura.conversations.models import Case, Message
from premura.core import clock
from tests.api.conftest import client_for, row_counts
from tests.factories.conversations import make_case

KEY = "6f1c2a9e-0b7d-4f1e-9a33-5d2b8c7e1f00"


def post(client, path, body, key=KEY):
    return client.client.post(
        path, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **client.headers
    )


def case_body(customer, **overrides):
    return {"customer_id": customer.pk, "subject": "Pacco rotto", "body": "La moka è rotta.", **overrides}


def test_the_same_key_and_body_return_the_first_response_and_create_once(agent_api, customer):
    first = post(agent_api, "/api/v1/cases", case_body(customer))
    assert first.status_code == 201, first.content
    counts = row_counts()
    # Key order and spacing do not make another request.
    again = agent_api.client.post(
        "/api/v1/cases",
        f'{{ "body": "La moka è rotta.", "subject": "Pacco rotto", "customer_id": {customer.pk} }}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
        **agent_api.headers,
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == counts
    assert Case.objects.count() == 1
    stored = IdempotentRequest.objects.get()
    assert (stored.key, stored.operation, stored.response_status) == (KEY, "POST /api/v1/cases", 201)


def test_without_a_key_every_post_creates(agent_api, customer):
    for _ in range(2):
        assert agent_api.post("/api/v1/cases", case_body(customer)).status_code == 201
    assert Case.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(agent_api, customer):
    assert post(agent_api, "/api/v1/cases", case_body(customer)).status_code == 201
    counts = row_counts()
    response = post(agent_api, "/api/v1/cases", case_body(customer, subject="Un altro caso"))
    assert response.status_code == 422
    assert response.json() == {
        "detail": "header.Idempotency-Key: This Idempotency-Key was already used for another request.",
        "errors": [
            {
                "field": "header.Idempotency-Key",
                "message": "This Idempotency-Key was already used for another request.",
                "type": "idempotency_key_reused",
            }
        ],
    }
    assert row_counts() == counts


def test_the_same_key_on_another_operation_is_a_422(agent_api, customer):
    case = make_case(customer)
    assert post(agent_api, f"/api/v1/cases/{case.pk}/messages", {"body": "Arriva domani."}).status_code == 201
    response = post(agent_api, f"/api/v1/cases/{case.pk}/inbound", {"body": "Arriva domani."})
    assert response.status_code == 422
    assert case.messages.count() == 2


def test_keys_are_per_user(agent_api, admin, customer):
    assert post(agent_api, "/api/v1/cases", case_body(customer)).status_code == 201
    response = post(client_for(admin.user), "/api/v1/cases", case_body(customer))
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


def test_a_duplicate_while_the_first_is_in_flight_is_a_409(agent_api, customer, monkeypatch):
    """The second request arrives while the first is inside its handler."""
    inner = {}
    open_case = services.open_case

    def open_case_and_meanwhile_retry(**kwargs):
        inner["response"] = post(agent_api, "/api/v1/cases", case_body(customer))
        inner["cases_meanwhile"] = Case.objects.count()
        return open_case(**kwargs)

    monkeypatch.setattr(services, "open_case", open_case_and_meanwhile_retry)
    first = post(agent_api, "/api/v1/cases", case_body(customer))
    assert first.status_code == 201
    assert inner["response"].status_code == 409
    assert inner["response"].json() == {"detail": "A request with this Idempotency-Key is in progress."}
    assert inner["cases_meanwhile"] == 0
    assert Case.objects.count() == 1


def test_a_refusal_in_the_handler_is_stored_and_replayed(agent_api, customer, bruno_order):
    body = case_body(customer, order_id=bruno_order.pk)
    first = post(agent_api, "/api/v1/cases", body)
    assert (first.status_code, first.json()) == (422, {"detail": "The order belongs to another customer."})
    again = post(agent_api, "/api/v1/cases", body)
    assert (again.status_code, again.json()) == (422, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert not Case.objects.exists()


def test_an_invalid_body_is_refused_before_the_key_is_taken(agent_api, customer):
    response = post(agent_api, "/api/v1/cases", {"customer_id": customer.pk})
    assert response.status_code == 422
    assert not IdempotentRequest.objects.exists()
    # The key is still free for the corrected request.
    assert post(agent_api, "/api/v1/cases", case_body(customer)).status_code == 201


def test_a_server_error_releases_the_key_and_keeps_nothing(agent_api, customer, monkeypatch):
    open_case = services.open_case

    def open_case_then_crash(**kwargs):
        open_case(**kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "open_case", open_case_then_crash)
    response = post(agent_api, "/api/v1/cases", case_body(customer))
    assert response.status_code == 500
    assert not Case.objects.exists()  # the handler's transaction was rolled back
    assert not IdempotentRequest.objects.exists()
    monkeypatch.setattr(services, "open_case", open_case)
    retry = post(agent_api, "/api/v1/cases", case_body(customer))
    assert retry.status_code == 201
    assert Case.objects.count() == 1


def test_a_key_left_in_flight_by_a_dead_process_is_taken_over(agent_api, agent, customer):
    long_ago = clock.now() - datetime.timedelta(minutes=10)
    IdempotentRequest.objects.create(
        user=agent.user,
        key=KEY,
        operation="POST /api/v1/cases",
        request_hash=_hash_of(case_body(customer)),
        created_at=long_ago,
        started_at=long_ago,
    )
    response = post(agent_api, "/api/v1/cases", case_body(customer))
    assert response.status_code == 201
    assert Case.objects.count() == 1
    assert IdempotentRequest.objects.get().response_status == 201


def test_a_key_older_than_a_day_counts_as_new(agent_api, customer):
    with clock.frozen_at(clock.now() - IDEMPOTENCY_KEY_TTL - datetime.timedelta(minutes=1)):
        assert post(agent_api, "/api/v1/cases", case_body(customer)).status_code == 201
    response = post(agent_api, "/api/v1/cases", case_body(customer))
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


def test_the_hourly_task_purges_keys_older_than_a_day(agent_api, customer):
    with clock.frozen_at(clock.now() - IDEMPOTENCY_KEY_TTL - datetime.timedelta(minutes=1)):
        assert post(agent_api, "/api/v1/cases", case_body(customer), key="old").status_code == 201
    assert post(agent_api, "/api/v1/cases", case_body(customer), key="recent").status_code == 201
    assert purge_idempotent_requests_task.call_local() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    assert purge_idempotent_requests() == 0


@pytest.mark.parametrize("key", ["", "a" * 256, "with space", "accentà"])
def test_a_malformed_key_is_refused_naming_the_header(agent_api, customer, key):
    response = post(agent_api, "/api/v1/cases", case_body(customer), key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/customers", {"full_name": "Carla Neri"}),
        ("/api/v1/cases/{case}/messages", {"body": "Arriva domani."}),
        ("/api/v1/cases/{case}/inbound", {"body": "Grazie"}),
        ("/api/v1/shipments/{shipment}/events", None),
    ],
)
def test_every_create_post_honours_the_key(agent_api, customer, anna_order, path, body):
    case = make_case(customer)
    path = path.format(case=case.pk, shipment=anna_order.shipments.get().pk)
    if body is None:
        body = {"occurred_at": "2026-01-02T09:00:00+01:00", "status": "in_transit", "raw_code": "X1"}
    first = post(agent_api, path, body)
    assert first.status_code == 201, first.content
    counts = row_counts()
    again = post(agent_api, path, body)
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert row_counts() == counts
    assert Message.objects.filter(case=case).count() == (2 if "/cases/" in path else 1)


def test_every_create_post_documents_the_header(db):
    from django.test import Client

    schema = Client().get("/api/openapi.json").json()
    # Tracking and shop webhooks are deduplicated on the sender's event id, not a key of ours
    # (tests/shipping/test_tracking_webhooks.py, tests/commerce/test_shop_webhooks.py).
    posts = [
        (path, ops["post"])
        for path, ops in schema["paths"].items()
        if "post" in ops and not path.startswith(("/api/v1/tracking/webhooks/", "/api/v1/shop/webhooks/"))
    ]
    assert len(posts) == 13
    for path, operation in posts:
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert "409" in operation["responses"], path


def _hash_of(body):
    from django.test import RequestFactory

    from premura.api.idempotency import request_hash

    return request_hash(RequestFactory().post("/", json.dumps(body), content_type="application/json"))
