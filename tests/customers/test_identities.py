"""A customer's identities after they were created: one more address (add_identity), an address our
mail bounces from (mark/clear_identity_failing) and the address we write to (email_address_for)."""

import datetime

import pytest

from premura.core import clock
from premura.core.audit import events_for
from premura.core.models import AuditEvent
from premura.customers.exceptions import CustomerError, IdentityTaken
from premura.customers.models import CustomerIdentity, IdentityKind
from premura.customers.queries import email_address_for
from premura.customers.services import add_identity, clear_identity_failing, mark_identity_failing
from tests.factories.customers import EmailIdentityFactory

AT = datetime.datetime(2025, 3, 5, 16, 0, tzinfo=datetime.UTC)


def test_add_identity_adds_a_normalised_second_address(customer, agent):
    identity, created = add_identity(
        customer, IdentityKind.EMAIL, " Anna.Ufficio@Lavoro.EXAMPLE ", actor=agent.user
    )
    assert created is True
    assert (identity.customer, identity.value, identity.is_primary) == (
        customer,
        "anna.ufficio@lavoro.example",
        False,
    )
    assert customer.primary_email == "anna.colombo@example.it"
    event = events_for(customer).get(action="customer.identity_added")
    assert (event.actor, event.data) == (agent.user, {"identity": "email:anna.ufficio@lavoro.example"})


def test_add_identity_is_idempotent(customer):
    first, _ = add_identity(customer, IdentityKind.EMAIL, "anna.ufficio@lavoro.example")
    events = AuditEvent.objects.count()
    again, created = add_identity(customer, IdentityKind.EMAIL, "ANNA.UFFICIO@lavoro.example")
    assert (again, created) == (first, False)
    assert AuditEvent.objects.count() == events
    assert customer.identities.count() == 2


def test_the_first_identity_of_a_kind_is_primary(customer):
    identity, _ = add_identity(customer, IdentityKind.PHONE, "333 123 4567")
    assert (identity.value, identity.is_primary) == ("+393331234567", True)


def test_an_address_of_another_customer_is_never_taken_over(customer, other_customer):
    events = AuditEvent.objects.count()
    with pytest.raises(IdentityTaken):
        add_identity(customer, IdentityKind.EMAIL, "Bruno.Ferri@example.it")
    assert CustomerIdentity.objects.get(value="bruno.ferri@example.it").customer == other_customer
    assert customer.identities.count() == 1
    assert AuditEvent.objects.count() == events


def test_add_identity_refuses_what_is_no_address(customer):
    with pytest.raises(CustomerError):
        add_identity(customer, IdentityKind.EMAIL, "anna@\r\nBcc: x@evil.example")
    assert customer.identities.count() == 1


def test_an_identity_marked_failing_keeps_its_first_failure_and_the_newest_reason(customer):
    with clock.frozen_at(AT):
        identity = mark_identity_failing(
            IdentityKind.EMAIL, "Anna.Colombo@example.it", reason="5.1.1\n550 gone"
        )
    assert (identity.failing_since, identity.failing_reason) == (AT, "5.1.1 550 gone")
    with clock.frozen_at(AT + datetime.timedelta(days=1)):
        mark_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it", reason="5.2.1 disabled")
    identity.refresh_from_db()
    assert (identity.failing_since, identity.failing_reason, identity.is_failing) == (
        AT,
        "5.2.1 disabled",
        True,
    )
    assert [e.data for e in events_for(customer).filter(action="customer.identity_failing")] == [
        {"identity": "email:anna.colombo@example.it", "reason": "5.1.1 550 gone"}
    ]


def test_marking_an_address_nobody_has_does_nothing(customer):
    assert mark_identity_failing(IdentityKind.EMAIL, "nessuno@example.it", reason="5.1.1") is None
    assert mark_identity_failing(IdentityKind.EMAIL, "not an address", reason="5.1.1") is None
    assert not CustomerIdentity.objects.filter(failing_since__isnull=False).exists()


def test_a_failing_identity_is_cleared_once(customer):
    mark_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it", reason="5.1.1")
    assert clear_identity_failing(IdentityKind.EMAIL, "ANNA.COLOMBO@example.it") is True
    assert clear_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it") is False
    identity = customer.identities.get()
    assert (identity.failing_since, identity.failing_reason) == (None, "")
    assert events_for(customer).filter(action="customer.identity_recovered").count() == 1
    assert clear_identity_failing(IdentityKind.EMAIL, "not an address") is False


def test_mail_goes_to_the_primary_address_while_it_works(customer):
    EmailIdentityFactory(customer=customer, value="anna.ufficio@lavoro.example", is_primary=False)
    assert email_address_for(customer) == "anna.colombo@example.it"
    assert email_address_for(customer, "Lucia@Example.it") == "Lucia@Example.it"  # a Reply-To of no one's


def test_mail_goes_to_a_working_address_instead_of_a_failing_one(customer):
    EmailIdentityFactory(customer=customer, value="anna.ufficio@lavoro.example", is_primary=False)
    mark_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it", reason="5.1.1")
    assert email_address_for(customer) == "anna.ufficio@lavoro.example"
    assert email_address_for(customer, "Anna.Colombo@example.it") == "anna.ufficio@lavoro.example"
    mark_identity_failing(IdentityKind.EMAIL, "anna.ufficio@lavoro.example", reason="5.1.1")
    # Everything fails: the primary address is still the best guess.
    assert email_address_for(customer) == "anna.colombo@example.it"


def test_a_customer_without_an_email_has_no_address(db):
    from tests.factories.customers import CustomerFactory

    assert email_address_for(CustomerFactory()) == ""
