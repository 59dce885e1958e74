"""Customers through the API."""

import datetime

from premura.core import clock
from premura.core.audit import events_for
from premura.customers.models import Customer, IdentityKind
from premura.customers.services import mark_identity_failing
from tests.api.conftest import row_counts


def test_it_creates_a_customer_with_normalised_identities(agent_api, agent):
    response = agent_api.post(
        "/api/v1/customers",
        {
            "full_name": "  Carla   Neri ",
            "language": "en",
            "preferred_channel": "whatsapp",
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:30",
            "marketing_consent": True,
            "identities": [
                {"kind": "email", "value": "Carla.Neri@Example.IT"},
                {"kind": "phone", "value": "333 123-4567"},
                {"kind": "whatsapp", "value": "0039 333 1234567", "is_primary": True},
                {"kind": "instagram", "value": "@Carla.Neri"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(full_name="Carla Neri")
    data = response.json()
    assert data["id"] == customer.pk
    assert (data["full_name"], data["language"], data["preferred_channel"], data["time_zone"]) == (
        "Carla Neri",
        "en",
        "whatsapp",
        "Europe/Rome",
    )
    assert (data["quiet_hours_start"], data["quiet_hours_end"]) == ("21:00:00", "08:30:00")
    assert data["marketing_consent"] is True
    assert data["marketing_consent_at"] is not None
    assert [(i["kind"], i["value"], i["is_primary"]) for i in data["identities"]] == [
        ("email", "carla.neri@example.it", True),
        ("phone", "+393331234567", True),
        ("whatsapp", "+393331234567", True),
        ("instagram", "carla.neri", True),
    ]
    [created] = events_for(customer)
    assert (created.action, created.actor) == ("customer.created", agent.user)


def test_an_identity_of_another_customer_is_a_conflict(agent_api, customer):
    before = row_counts()
    response = agent_api.post(
        "/api/v1/customers",
        {"full_name": "Anna Bis", "identities": [{"kind": "email", "value": "ANNA.COLOMBO@example.it"}]},
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The E-mail anna.colombo@example.it already belongs to another customer."
    }
    assert row_counts() == before


def test_invalid_customer_input_names_the_field(agent_api):
    cases = [
        ({"identities": []}, "body.full_name: Field required"),
        (
            {"full_name": "Carla", "time_zone": "Europe/Atlantis"},
            "body.time_zone: unknown time zone 'Europe/Atlantis'",
        ),
        (
            {"full_name": "Carla", "identities": [{"kind": "fax", "value": "1"}]},
            "body.identities.0.kind: Input should be",
        ),
        (
            {"full_name": "Carla", "identities": [{"kind": "email", "value": "not-an-email"}]},
            "not-an-email is not an e-mail address.",
        ),
        (
            {"full_name": "Carla", "identities": [{"kind": "phone", "value": "12ab"}]},
            "12ab is not a phone number.",
        ),
        ({"full_name": "Carla", "quiet_hours_start": "22:00"}, "Quiet hours need both a start and an end."),
    ]
    for body, detail in cases:
        response = agent_api.post("/api/v1/customers", body)
        assert response.status_code == 422, body
        assert response.json()["detail"].startswith(detail), response.json()
    assert not Customer.objects.exists()


def test_list_finds_customers_by_email_and_name_prefix(agent_api, customer, other_customer):
    def names(**params):
        response = agent_api.get("/api/v1/customers", params)
        assert response.status_code == 200
        return [item["full_name"] for item in response.json()["items"]]

    assert names() == ["Anna Colombo", "Bruno Ferri"]
    assert names(email=" Bruno.Ferri@Example.it") == ["Bruno Ferri"]
    assert names(email="nessuno@example.it") == []
    assert names(q="anna c") == ["Anna Colombo"]
    assert names(q="BRU") == ["Bruno Ferri"]
    assert names(q="colombo") == []


def test_get_a_customer_and_404_for_an_unknown_one(agent_api, customer):
    response = agent_api.get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 200
    assert response.json()["identities"] == [
        {
            "id": customer.identities.get().pk,
            "kind": "email",
            "value": "anna.colombo@example.it",
            "is_primary": True,
            "failing_since": None,
            "failing_reason": "",
        }
    ]
    assert agent_api.get("/api/v1/customers/999999").status_code == 404


def test_an_address_our_mail_bounces_from_is_failing_in_the_api(agent_api, customer):
    with clock.frozen_at(datetime.datetime(2025, 3, 5, 16, 0, tzinfo=datetime.UTC)):
        mark_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it", reason="5.1.1 User unknown")
    identity = agent_api.get(f"/api/v1/customers/{customer.pk}").json()["identities"][0]
    assert (identity["failing_since"], identity["failing_reason"]) == (
        "2025-03-05T16:00:00Z",
        "5.1.1 User unknown",
    )


def test_patch_changes_preferences_and_stamps_consent(agent_api, agent, customer):
    response = agent_api.patch(
        f"/api/v1/customers/{customer.pk}",
        {
            "language": "en",
            "preferred_channel": "sms",
            "time_zone": "Europe/London",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "marketing_consent": True,
        },
    )
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.language, customer.preferred_channel, customer.time_zone) == (
        "en",
        "sms",
        "Europe/London",
    )
    assert (str(customer.quiet_hours_start), str(customer.quiet_hours_end)) == ("22:00:00", "07:00:00")
    assert customer.marketing_consent is True
    assert customer.marketing_consent_at is not None
    [updated] = [e for e in events_for(customer) if e.action == "customer.updated"]
    assert updated.actor == agent.user
    assert updated.data["changes"]["language"] == ["it", "en"]
    assert updated.data["changes"]["quiet_hours_start"] == [None, "22:00:00"]

    response = agent_api.patch(f"/api/v1/customers/{customer.pk}", {"marketing_consent": False})
    assert response.status_code == 200
    assert (response.json()["marketing_consent"], response.json()["marketing_consent_at"]) == (False, None)


def test_patch_refuses_half_quiet_hours_and_changes_nothing(agent_api, customer):
    response = agent_api.patch(
        f"/api/v1/customers/{customer.pk}", {"language": "en", "quiet_hours_start": "22:00"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Quiet hours need both a start and an end."}
    customer.refresh_from_db()
    assert (customer.language, customer.quiet_hours_start) == ("it", None)


def test_patch_refuses_a_null_language(agent_api, customer):
    response = agent_api.patch(f"/api/v1/customers/{customer.pk}", {"language": None})
    assert response.status_code == 422
    assert response.json()["detail"] == "body.language: Input should be 'it' or 'en'"
    customer.refresh_from_db()
    assert customer.language == "it"
