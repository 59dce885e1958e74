"""Creating and updating customers: identities normalised and unique, preferences validated."""

import datetime

import pytest
from django.utils import translation

from premura.core.audit import events_for
from premura.customers.models import Customer, CustomerIdentity
from premura.customers.services import (
    CustomerError,
    IdentityTaken,
    NewIdentity,
    create_customer,
    normalise_identity,
    update_customer,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; the desk's default language is Italian."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("email", " Anna.Colombo@Example.IT ", "anna.colombo@example.it"),
        ("phone", "333 123 4567", "+393331234567"),
        ("phone", "+39 333 123-4567", "+393331234567"),
        ("phone", "0039 (333) 123.4567", "+393331234567"),
        ("phone", "+41 79 123 45 67", "+41791234567"),
        ("whatsapp", "3331234567", "+393331234567"),
        ("instagram", "@Anna.Colombo", "anna.colombo"),
        ("x", "@AnnaC", "annac"),
        ("facebook", "@Anna.Colombo.77", "Anna.Colombo.77"),
    ],
)
def test_identities_are_normalised(kind, value, normalised):
    assert normalise_identity(kind, value) == normalised


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("email", "anna.colombo", "anna.colombo is not an e-mail address."),
        ("phone", "12", "12 is not a phone number."),
        ("phone", "333-CALL-ME", "333-CALL-ME is not a phone number."),
        ("phone", "  ", "The Phone is empty."),
        ("pigeon", "x", "Unknown identity kind: pigeon"),
    ],
)
def test_malformed_identities_are_refused(kind, value, message):
    with pytest.raises(CustomerError, match=message):
        normalise_identity(kind, value)


def test_create_customer_makes_one_primary_identity_per_kind(db, agent):
    customer = create_customer(
        full_name="Carla Neri",
        identities=[
            NewIdentity("email", "carla@example.it"),
            NewIdentity("email", "carla.neri@lavoro.example", is_primary=True),
            NewIdentity("phone", "333 000 1111"),
        ],
        actor=agent.user,
    )
    rows = list(customer.identities.order_by("pk").values_list("kind", "value", "is_primary"))
    assert rows == [
        ("email", "carla@example.it", False),
        ("email", "carla.neri@lavoro.example", True),
        ("phone", "+393330001111", True),
    ]
    assert customer.primary_email == "carla.neri@lavoro.example"
    [created] = events_for(customer)
    assert (created.action, created.actor_label) == ("customer.created", "Marco Rossi")


def test_an_identity_of_another_customer_refuses_the_whole_customer(customer):
    with pytest.raises(IdentityTaken, match="anna.colombo@example.it already belongs to another customer"):
        create_customer(
            full_name="Anna Bis",
            identities=[NewIdentity("phone", "3330001111"), NewIdentity("email", "ANNA.COLOMBO@example.it")],
        )
    assert list(Customer.objects.values_list("full_name", flat=True)) == ["Anna Colombo"]
    assert not CustomerIdentity.objects.filter(kind="phone").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"identities": [NewIdentity("phone", "333 123 4567"), NewIdentity("phone", "+39 3331234567")]},
            "listed twice",
        ),
        (
            {
                "identities": [
                    NewIdentity("email", "a@example.it", True),
                    NewIdentity("email", "b@example.it", True),
                ]
            },
            "Only one E-mail can be primary.",
        ),
        ({"full_name": "   "}, "The customer's name is empty."),
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone: Mars/Olympus"),
        ({"quiet_hours_end": datetime.time(8)}, "Quiet hours need both a start and an end."),
        ({"language": "de"}, "Unknown language: de"),
    ],
)
def test_invalid_customers_are_refused(db, kwargs, message):
    arguments = {"full_name": "Carla Neri", **kwargs}
    with pytest.raises(CustomerError, match=message):
        create_customer(**arguments)
    assert not Customer.objects.exists()


def test_update_customer_stamps_and_clears_marketing_consent(customer, agent):
    update_customer(customer, changes={"marketing_consent": True}, actor=agent.user)
    customer.refresh_from_db()
    given_at = customer.marketing_consent_at
    assert customer.marketing_consent is True and given_at is not None
    update_customer(customer, changes={"marketing_consent": True}, actor=agent.user)
    customer.refresh_from_db()
    assert customer.marketing_consent_at == given_at
    update_customer(customer, changes={"marketing_consent": False}, actor=agent.user)
    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.marketing_consent_at) == (False, None)
    assert [e.data["changes"] for e in events_for(customer)] == [
        {"marketing_consent": [False, True]},
        {"marketing_consent": [True, False]},
    ]


def test_update_customer_changes_quiet_hours_and_time_zone(customer):
    update_customer(
        customer,
        changes={
            "quiet_hours_start": datetime.time(22),
            "quiet_hours_end": datetime.time(7),
            "time_zone": "Europe/London",
        },
    )
    customer.refresh_from_db()
    assert (customer.quiet_hours_start, customer.quiet_hours_end, customer.time_zone) == (
        datetime.time(22),
        datetime.time(7),
        "Europe/London",
    )
    # 23:30 in London is inside 22:00–07:00.
    assert customer.is_in_quiet_hours(datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)) is True


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": "Anna B."}, "These fields cannot be changed: full_name"),
        ({"quiet_hours_start": datetime.time(22)}, "Quiet hours need both a start and an end."),
        ({"preferred_channel": "fax"}, "Unknown channel: fax"),
        ({"time_zone": None}, "time zone cannot be empty."),
    ],
)
def test_update_customer_refuses_invalid_changes(customer, changes, message):
    with pytest.raises(CustomerError, match=message):
        update_customer(customer, changes=changes)
    customer.refresh_from_db()
    assert (customer.full_name, customer.quiet_hours_start, customer.preferred_channel) == (
        "Anna Colombo",
        None,
        "email",
    )
    assert not events_for(customer).exists()
