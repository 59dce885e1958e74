"""Values that will go into mail headers and URLs are one line without control characters: a CR/LF
in a subject, a name, an order or tracking number or a handle is refused wherever it comes in,
and nothing is written."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from premura.agents.models import Agent
from premura.agents.services import AgentError, create_agent
from premura.conversations.models import Case
from premura.core.text import InvalidText, single_line
from premura.customers.services import CustomerError, NewIdentity, create_customer
from tests.api.conftest import row_counts
from tests.api.test_orders import order_body

INJECTIONS = [
    "Ciao\r\nBcc: tutti@example.it",
    "Ciao\nBcc: x",
    "Ciao\x00",
    "Ciao\x1b[2J",
    "Ciao\u2028x",
    "a\tb",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_line_breaks_and_control_characters_are_refused(value):
    with translation.override("en"), pytest.raises(InvalidText) as refused:
        single_line(value, field="subject")
    assert (
        str(refused.value) == "The subject must be a single line, without line breaks or control characters."
    )


@pytest.mark.parametrize("value", ["Dov'è il mio pacco? 📦", "Ordine PRM-100001 — rimborso", "نام‌خانوادگی"])
def test_ordinary_text_passes_unchanged(value):
    assert single_line(value, field="subject") == value


def test_the_api_refuses_a_case_subject_with_a_line_break(agent_api, customer):
    before = row_counts()
    response = agent_api.post(
        "/api/v1/cases", {"customer_id": customer.pk, "subject": "Pacco\r\nBcc: x@example.it", "body": "Ciao"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The subject must be a single line, without line breaks or control characters."
    }
    assert row_counts() == before


def test_the_console_refuses_a_case_subject_with_a_line_break(client, agent, customer):
    client.force_login(agent.user)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("console:new_case"),
        {
            "customer": str(customer.pk),
            "channel": "phone",
            "priority": "normal",
            "subject": "Telefonata\r\nBcc: x@example.it",
            "body": "Chiede del pacco",
        },
    )
    assert response.status_code == 422
    assert "Enter a single line, without line breaks or control characters." in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "Sara\r\nBcc: x@example.it"),
        ("username", "sara\n"),
        ("email", "sara@example.it\r\nBcc: x@example.it"),
        ("email", "sara"),
    ],
)
def test_agents_are_refused_with_a_broken_name_or_e_mail(db, field, value):
    before = row_counts()
    fields = {"username": "sara", "password": "una-password-lunga-2026", "display_name": "Sara Verdi"}
    with pytest.raises(AgentError):
        create_agent(**{**fields, field: value})
    assert row_counts() == before


def test_the_api_refuses_an_agent_with_a_line_break_in_the_name(admin_api):
    before = row_counts()
    response = admin_api.post(
        "/api/v1/agents",
        {
            "username": "sara",
            "password": "una-password-lunga-2026",
            "display_name": "Sara\r\nBcc: x@example.it",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "The display name must be a single line, without line breaks or control characters."
    )
    assert row_counts() == before


def test_an_agent_e_mail_is_validated_and_normalised(db):
    agent = create_agent(
        username="sara",
        password="una-password-lunga-2026",
        display_name="Sara Verdi",
        email="Sara@ESEMPIO.it",
    )
    assert agent.user.email == "sara@esempio.it"
    with pytest.raises(AgentError):
        create_agent(username="luca", password="una-password-lunga-2026", display_name="Luca", email="luca@")
    assert not Agent.objects.filter(display_name="Luca").exists()
    assert not get_user_model().objects.filter(username="luca").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"number": "PRM-1\r\nBcc: x"},
        {
            "address": {
                "name": "Anna\r\nBcc: x",
                "street": "Via Roma 1",
                "postcode": "20121",
                "city": "Milano",
            }
        },
        {"address": {"name": "Anna", "street": "Via Roma 1\n", "postcode": "20121", "city": "Milano"}},
    ],
    ids=["order_number", "shipping_name", "street"],
)
def test_the_api_refuses_an_order_with_a_line_break(agent_api, customer, overrides):
    before = row_counts()
    response = agent_api.post("/api/v1/orders", order_body(customer.pk, **overrides))
    assert response.status_code == 422
    assert "must be a single line" in response.json()["detail"]
    assert row_counts() == before


def test_the_api_refuses_a_tracking_number_with_a_control_character(agent_api, bruno_order):
    before = row_counts()
    response = agent_api.post(
        "/api/v1/shipments", {"order_id": bruno_order.pk, "carrier": "brt", "tracking_number": "ZX1\x1b"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "The tracking number must be a single line, without line breaks or control characters."
    )
    assert row_counts() == before


@pytest.mark.parametrize("kind", ["instagram", "x", "facebook"])
def test_social_handles_and_names_are_one_line(db, kind):
    before = row_counts()
    with pytest.raises(CustomerError):
        create_customer(full_name="Anna", identities=[NewIdentity(kind, "anna\r\nBcc: x")])
    with pytest.raises(CustomerError):
        create_customer(full_name="Anna\x00Colombo", identities=[NewIdentity(kind, "anna")])
    assert row_counts() == before


def test_a_portal_message_with_a_control_character_still_opens_its_case(client, anna_portal):
    """The portal's subject is derived from the message: it is made one line, never refused."""
    body = "La moka\x1b è arrivata\u2028rotta.\r\nGrazie"
    response = client.post(f"{anna_portal}contact/", {"category": "damaged", "message": body, "website": ""})
    assert response.status_code == 302
    assert Case.objects.get().subject == "La moka è arrivata rotta. Grazie"
