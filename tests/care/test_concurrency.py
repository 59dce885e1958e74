"""The same signal twice at once (two workers of the detector): one incident, one notice."""

import datetime
import threading

import pytest
from django.db import connection

from premura.care import services
from premura.care.models import Incident, Notice
from premura.channels.models import Mailbox
from premura.shipping.models import Shipment
from tests.factories.customers import CustomerFactory, EmailIdentityFactory
from tests.factories.shipping import ShipmentFactory
from tests.locks import wait_until_a_session_waits_for_a_lock


def race(work, *, paused: threading.Event, release: threading.Event) -> None:
    """Run `work` in a thread named "first" until it sets `paused` (holding its lock), then in one
    named "second" until that one waits for the lock; release the first and let both finish."""
    first = threading.Thread(target=work, name="first")
    second = threading.Thread(target=work, name="second")
    first.start()
    assert paused.wait(timeout=30)
    second.start()
    wait_until_a_session_waits_for_a_lock()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's BEGIN IMMEDIATE (decision 0002) lets no two handlings interleave",
)
def test_the_same_signal_twice_at_once_opens_one_incident_and_sends_one_notice(transactional_db, monkeypatch):
    """The first handling pauses after opening the incident, holding the shipment's lock; the
    second waits for its commit and finds the work done. Without the lock the second would open
    a second incident (refused by the one-open-incident constraint) or notify twice."""
    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega")
    customer = CustomerFactory(full_name="Anna Colombo")
    EmailIdentityFactory(customer=customer, value="anna.colombo@example.it")
    shipment_id = ShipmentFactory(order__customer=customer).pk
    opened, release = threading.Event(), threading.Event()
    grant_for = services.compensation.grant_for
    errors = []

    def pausing_grant_for(incident):
        if threading.current_thread().name == "first":
            opened.set()
            release.wait(timeout=30)
        return grant_for(incident)

    monkeypatch.setattr(services.compensation, "grant_for", pausing_grant_for)

    def handle() -> None:
        try:
            shipment = Shipment.objects.get(pk=shipment_id)
            services.handle_risk(shipment, risk_signal="predicted", expected_date=datetime.date(2030, 1, 7))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    race(handle, paused=opened, release=release)
    assert errors == []
    assert Incident.objects.count() == 1 and Notice.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's BEGIN IMMEDIATE (decision 0002) lets no two approvals interleave",
)
def test_two_agents_approving_the_refund_at_once_request_one_refund(transactional_db, monkeypatch, agent):
    """The first approval pauses inside request_refund, holding the grant's lock; the second waits
    and finds the grant approved. Without the lock both would pass the check: two events, and
    the second refund refused by the key's unique index or recorded twice."""
    from decimal import Decimal

    from django.db import transaction

    from premura.care import parcel
    from premura.care.models import Approval, Compensation, CompensationRule, Grant
    from premura.commerce.models import Refund
    from premura.core.audit import events_for
    from tests.factories.commerce import PaymentFactory

    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega")
    CompensationRule.objects.create(
        name="15 back", compensation=Compensation.PARTIAL_REFUND, value=Decimal("15")
    )
    customer = CustomerFactory(full_name="Anna Colombo")
    EmailIdentityFactory(customer=customer, value="anna.colombo@example.it")
    shipment = ShipmentFactory(order__customer=customer)
    PaymentFactory(order=shipment.order, amount=Decimal("80"))
    incident = services.handle_risk(
        shipment, risk_signal="predicted", expected_date=datetime.date(2030, 1, 7)
    )
    grant_id = Grant.objects.get(incident=incident).pk
    inside, release = threading.Event(), threading.Event()
    request_refund = parcel.request_refund
    errors = []

    def pausing_request_refund(*args, **kwargs):
        refund = request_refund(*args, **kwargs)
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(timeout=30)
        return refund

    monkeypatch.setattr(parcel, "request_refund", pausing_request_refund)

    def approve() -> None:
        try:
            with transaction.atomic():
                parcel.approve_refund(Grant.objects.get(pk=grant_id), agent)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    race(approve, paused=inside, release=release)
    assert errors == []
    assert Refund.objects.count() == 1 and Grant.objects.get().approval == Approval.APPROVED
    assert events_for(incident.case).filter(action="care.refund_approved").count() == 1
