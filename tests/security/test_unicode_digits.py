"""Numbers from outside are read as ASCII digits only: str.isdigit() is also true of "²", which
int() refuses, so a superscript in a query, a header or an address was a 500 (found in the attacker's
pass of 2026-12-02)."""

import json
import time

import pytest
from django.test import Client

from premura.channels.outbox import case_id_from_plus_token
from premura.core.text import is_ascii_number
from premura.shipping.adapters import generic
from premura.shipping.models import TrackingSource


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", True), ("0", True), ("", False), ("²", False), ("١٢", False), ("1²", False)],
)
def test_only_ascii_digits_are_a_number(value, expected):
    assert is_ascii_number(value) is expected


def test_a_plus_address_with_a_superscript_names_no_case():
    assert case_id_from_plus_token("²-abcdef") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/console/mail/unreadable/?page=²", "/console/care/incidents/?carrier=²", "/console/?owner=²&team=²"],
)
def test_console_pages_take_a_superscript_for_no_number(agent, path):
    client = Client(raise_request_exception=False)
    client.force_login(agent.user)
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_a_generic_webhook_with_a_superscript_timestamp_is_refused_not_a_500(client):
    source = TrackingSource(provider="generic", name="Gestionale", slug="gestionale")
    source.secret = "segreto-del-gestionale"
    source.save()
    body = json.dumps({"event_id": "x", "events": []}).encode()
    signature = generic.sign(body, "segreto-del-gestionale", int(time.time()))
    response = Client(raise_request_exception=False).post(
        "/api/v1/tracking/webhooks/generic/gestionale",
        data=body,
        content_type="application/json",
        headers={generic.TIMESTAMP_HEADER: "²", generic.SIGNATURE_HEADER: signature},
    )
    assert response.status_code == 401
