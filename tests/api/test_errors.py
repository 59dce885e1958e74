"""Errors of the API (premura.api.errors): JSON always, one language, unexpected errors with an id,
unique conflicts named by their constraint."""

import logging

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import translation

from premura.api.errors import known_constraint
from premura.conversations import services
from premura.conversations.models import Case
from tests.api.conftest import ApiClient
from tests.factories.conversations import make_case


def test_an_unexpected_error_is_a_json_500_with_the_id_it_was_logged_under(
    agent_api, customer, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "open_case", broken)
    with caplog.at_level(logging.ERROR, logger="premura.api"):
        response = agent_api.post(
            "/api/v1/cases", {"customer_id": customer.pk, "subject": "Ciao", "body": "Ciao"}
        )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    error_id = data["error_id"]
    assert len(error_id) == 12
    assert data["detail"] == f"An unexpected error occurred. It was logged with the id {error_id}."
    [record] = [r for r in caplog.records if r.name == "premura.api"]
    assert error_id in record.getMessage()
    assert "POST /api/v1/cases" in record.getMessage()
    assert record.exc_info[1].args == ("the disk is full",)


def test_an_unknown_integrity_error_is_a_500_not_a_409(agent_api, customer, monkeypatch):
    def broken(**kwargs):
        raise IntegrityError("NOT NULL constraint failed: conversations_case.subject")

    monkeypatch.setattr(services, "open_case", broken)
    response = agent_api.post(
        "/api/v1/cases", {"customer_id": customer.pk, "subject": "Ciao", "body": "Ciao"}
    )
    assert response.status_code == 500
    assert "error_id" in response.json()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "UNIQUE constraint failed: conversations_message.channel, conversations_message.external_id",
            "A message with this external_id was already recorded on this channel.",
        ),
        (
            "UNIQUE constraint failed: commerce_order.number",
            "An order with this number was already imported.",
        ),
        (
            "UNIQUE constraint failed: shipping_shipment.carrier_id, shipping_shipment.tracking_number",
            "This carrier already has a shipment with this tracking number.",
        ),
        (
            "UNIQUE constraint failed: customers_customeridentity.kind, customers_customeridentity.value",
            "This identity already belongs to a customer.",
        ),
        ("UNIQUE constraint failed: auth_user.username", "This username is taken."),
        ("UNIQUE constraint failed: commerce_order.email", None),
        ("NOT NULL constraint failed: commerce_order.email", None),
    ],
)
def test_sqlite_unique_violations_are_matched_to_known_constraints(message, expected):
    rule = known_constraint(IntegrityError(message))
    with translation.override("en"):
        assert (str(rule.message) if rule else None) == expected


class FakeDiag:
    def __init__(self, constraint_name, table_name, message_detail):
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.message_detail = message_detail


def _postgres_error(constraint_name, table_name, detail):
    cause = Exception("duplicate key value violates unique constraint")
    cause.diag = FakeDiag(constraint_name, table_name, detail)
    exc = IntegrityError("duplicate key")
    exc.__cause__ = cause
    return exc


@translation.override("en")
def test_postgres_unique_violations_are_matched_by_name_then_by_columns():
    by_name = _postgres_error("message_channel_external_id_unique", "conversations_message", "")
    assert str(known_constraint(by_name).message) == (
        "A message with this external_id was already recorded on this channel."
    )
    by_columns = _postgres_error(
        "commerce_order_number_1a2b_uniq", "commerce_order", "Key (number)=(PRM-1) already exists."
    )
    assert str(known_constraint(by_columns).message) == "An order with this number was already imported."
    assert (
        known_constraint(_postgres_error("other", "commerce_order", "Key (email)=(x) already exists."))
        is None
    )


def test_a_repeated_inbound_message_names_the_conflict(agent_api, customer):
    case = make_case(customer)
    body = {"body": "Ecco la foto", "channel": "email", "external_id": "<abc@example.it>"}
    assert agent_api.post(f"/api/v1/cases/{case.pk}/inbound", body).status_code == 201
    response = agent_api.post(f"/api/v1/cases/{case.pk}/inbound", body)
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "A message with this external_id was already recorded on this channel."},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/anything"),
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/nope"),
        ("get", "/api/v1/cases/abc"),
        ("get", "/api/v1/cases/"),
        ("patch", "/api/v1/cases/null,null"),
    ],
)
def test_unknown_api_paths_answer_json_404(agent_api, method, path):
    response = getattr(agent_api.client, method)(path, **agent_api.headers)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_errors_follow_accept_language_in_one_language(agent_api, customer):
    italian = ApiClient()
    italian.client, italian.headers = (
        agent_api.client,
        {**agent_api.headers, "HTTP_ACCEPT_LANGUAGE": "it-IT,it;q=0.9"},
    )
    response = italian.post("/api/v1/cases", {"customer_id": True, "subject": "x" * 201, "extra": 1})
    assert response.status_code == 422
    assert response["Content-Language"] == "it"
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("body.customer_id", "Il valore deve essere un numero intero"),
        ("body.subject", "Il testo deve avere al massimo 200 caratteri"),
        ("body.body", "Campo obbligatorio"),
        ("body.extra", "Campo sconosciuto: non fa parte di questa richiesta"),
    ]
    response = italian.post(
        "/api/v1/cases", {"customer_id": customer.pk, "subject": "Ciao", "body": "x", "channel": "fax"}
    )
    assert response.json()["detail"].startswith("body.channel: Il valore deve essere 'email', ")
    assert response.json()["detail"].endswith(" o 'phone'")
    assert italian.get("/api/v1/nope").json() == {"detail": "Non trovato."}
    assert Client().get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="de").json() == {"detail": "Not found."}
    assert not Case.objects.exists()
