"""Issue 13 and 14 together: a carrier's events go through the tracking ingest, the delay
detector and care, with nobody sending risk_changed by hand."""

import datetime

from django.test import TestCase

from premura.care import services as care
from premura.care.models import Grant, Incident, Situation
from premura.channels.inbound import accept_inbound
from premura.channels.ingest import process_inbound
from premura.channels.models import OutboundEmail, OutboundKind
from premura.conversations.models import Case
from premura.core.clock import frozen_at
from premura.shipping.models import ExceptionReason, TrackingStatus
from premura.shipping.services import NewTrackingEvent, record_tracking_events
from tests.care.conftest import ROME


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, tzinfo=ROME)


def scan(shipment, when, status, code, reason="", external_id="", *, signal=True):
    """Record one scan at `when`; with `signal`, what its commit sets off (the detector's risk
    signal, care's notice) runs then too, at `when`, not at the test's real time."""
    with frozen_at(when), TestCase.captureOnCommitCallbacks(execute=signal):
        record_tracking_events(
            shipment, [NewTrackingEvent(when, status, code, exception_reason=reason, external_id=external_id)]
        )


def notices() -> list[str]:
    return [row.subject for row in OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk")]


def test_a_carrier_exception_then_a_late_delivery_tell_the_customer_twice_and_no_more(
    mailbox, shipment, coupon_rule
):
    scan(shipment, at(1, 9), TrackingStatus.IN_TRANSIT, "IN TRANSITO", external_id="e1")
    assert not Incident.objects.exists()  # moving on time: nothing to say

    scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e2")
    # The provider delivers the same event again, and then another scan of the same trouble.
    scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e2")
    incident = Incident.objects.get()
    assert (incident.situation, incident.case.order_id) == (Situation.EXCEPTION, shipment.order_id)
    assert len(notices()) == 1 and Grant.objects.filter(incident=incident).count() == 1

    scan(shipment, at(5, 11), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="e3")
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert len(notices()) == 2 and "consegnato" in notices()[1]
    shipment.refresh_from_db()
    assert shipment.delay_level == ""  # the journey's risk is over

    scan(shipment, at(5, 12), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="e4")
    assert len(notices()) == 2


def test_a_parcel_delivered_late_without_any_warning_gets_its_apology(mailbox, shipment):
    scan(shipment, at(7, 11), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="late")
    assert Incident.objects.get().situation == Situation.DELIVERED_LATE
    assert len(notices()) == 1


def test_a_late_delivery_imported_weeks_later_tells_nobody(
    mailbox, shipment, django_capture_on_commit_callbacks
):
    """A shop loading its tracking history must not send apologies for parcels long received."""
    delivered = NewTrackingEvent(at(7, 11), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="old")
    with frozen_at(at(28, 10)):
        with django_capture_on_commit_callbacks(execute=True):
            record_tracking_events(shipment, [delivered])
        assert not Incident.objects.exists() and notices() == []
        assert care.reconcile_incidents() == 0


def test_a_carrier_exception_imported_weeks_later_tells_nobody_and_is_not_picked_up_again(
    mailbox, shipment, django_capture_on_commit_callbacks
):
    """A parcel stuck in an exception weeks ago, loaded today (a tracking import, the demo's
    history): no notice about it today ("expected on 2 December", on the 28th), and neither the
    reconciliation nor its presumed loss at the end of the day picks it up again: otherwise such
    parcels would fill every reconciliation batch."""
    from premura.shipping.delays.services import assess_open_shipments

    stuck = NewTrackingEvent(at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", exception_reason="delay")
    with frozen_at(at(28, 10)):
        with django_capture_on_commit_callbacks(execute=True):
            record_tracking_events(shipment, [stuck])
        assert not Incident.objects.exists() and notices() == []
        assert care.reconcile_incidents() == 0
    with frozen_at(at(28, 23)), django_capture_on_commit_callbacks(execute=True):
        assess_open_shipments()
    shipment.refresh_from_db()
    assert (shipment.delay_signal, shipment.delay_level) == ("lost", "high")  # the desk sees it
    with frozen_at(at(29, 9)):
        assert care.reconcile_incidents() == 0
    assert not Incident.objects.exists() and notices() == []


def test_a_recent_carrier_exception_loaded_late_is_still_told(
    mailbox, shipment, django_capture_on_commit_callbacks
):
    """Two days late (a provider's backlog) is still news: the parcel may be stuck now."""
    stuck = NewTrackingEvent(at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", exception_reason="delay")
    with frozen_at(at(3, 15)), django_capture_on_commit_callbacks(execute=True):
        record_tracking_events(shipment, [stuck])
    assert Incident.objects.get().situation == Situation.EXCEPTION
    assert len(notices()) == 1


def test_a_return_after_the_delivery_is_told(mailbox, shipment):
    scan(shipment, at(2, 11), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="d")
    assert not Incident.objects.exists()  # on time
    scan(shipment, at(4, 9), TrackingStatus.EXCEPTION, "RESO", ExceptionReason.RETURNED, "r")
    assert Incident.objects.get().situation == Situation.RETURNED
    assert len(notices()) == 1


def test_the_customer_writing_about_the_order_meanwhile_lands_in_the_proactive_case(mailbox, shipment):
    """A new e-mail (not a reply to the notice) naming the order joins its proactive case, and
    from then on the agent answers: the detector's next news sends no notice."""
    scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e1")
    case = Incident.objects.get().case
    raw = (
        b"From: Anna Colombo <anna.colombo@example.it>\r\nTo: assistenza@bottega.example\r\n"
        b"Subject: Ordine PRM-300001 ancora fermo?\r\nMessage-ID: <dove-1@example.it>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nBuongiorno, il pacco arriva per sabato?\r\n"
    )
    with frozen_at(at(2, 9)):
        row, _created = accept_inbound(mailbox, raw, source="lmtp", envelope_sender="anna.colombo@example.it")
        process_inbound(row.pk)
    row.refresh_from_db()
    assert (row.classification, row.case_id, Case.objects.count()) == ("genuine", case.pk, 1)
    scan(shipment, at(2, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.WEATHER, "e2")
    assert len(notices()) == 1


def test_a_failing_signal_leaves_the_events_stored_and_the_reconciliation_catches_up(
    mailbox, shipment, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("the mail server's settings are being edited")

    with monkeypatch.context() as patched:
        patched.setattr(care, "handle_risk", broken)
        scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e1")
    assert shipment.events.count() == 1 and not Incident.objects.exists()
    assert f"the risk signal of shipment {shipment.pk} failed" in caplog.text

    with frozen_at(at(1, 16)):
        assert care.reconcile_incidents() == 1
        assert Incident.objects.get().situation == Situation.EXCEPTION and len(notices()) == 1
        assert care.reconcile_incidents() == 0  # done: nothing left to catch up


def test_a_lost_delivery_signal_still_closes_the_incident(mailbox, shipment):
    scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e1")
    # Delivered, and the signal never reached care (a worker killed right after the commit).
    scan(shipment, at(5, 11), TrackingStatus.DELIVERED, "CONSEGNATA", external_id="e2", signal=False)
    assert Incident.objects.get().closed_at is None

    with frozen_at(at(5, 12)):
        assert care.reconcile_incidents() == 1
    assert Incident.objects.get().closed_at is not None
    assert len(notices()) == 2
    assert care.reconcile_incidents() == 0


def test_a_parcel_silent_past_the_lost_threshold_is_told_lost_once_and_goes_to_an_agent(
    mailbox, shipment, django_capture_on_commit_callbacks
):
    """No scan for ten business days after the carrier's exception: the end-of-day run presumes
    the parcel lost, the customer hears it once (not that the carrier lost it: that it has no
    news), and an agent takes the case. Counting from Tuesday 1 December, 8 December is a
    holiday: the tenth business day is Wednesday 16."""
    from premura.shipping.delays.services import assess_open_shipments

    shipment.shipped_at = at(1, 8)
    shipment.save(update_fields=["shipped_at"])
    scan(shipment, at(1, 15), TrackingStatus.EXCEPTION, "GIACENZA", ExceptionReason.DELAY, "e1")

    def end_of_day(day: int) -> None:
        with frozen_at(at(day, 23)), django_capture_on_commit_callbacks(execute=True):
            assess_open_shipments()

    end_of_day(15)
    incident = Incident.objects.get()
    assert incident.situation == Situation.EXCEPTION
    told = len(notices())  # the exception, and the new expected date if the run moved it
    end_of_day(16)
    incident.refresh_from_db()
    assert (incident.situation, incident.closed_at is not None) == (Situation.LOST, True)
    lost = OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk").last()
    assert len(notices()) == told + 1
    assert "smarrito" in lost.subject and "non ha più notizie" in lost.body_text
    incident.case.refresh_from_db()
    assert incident.case.status == "open"  # an agent decides: send again, refund, claim
    shipment.refresh_from_db()
    assert shipment.delay_signal == "lost"

    end_of_day(17)
    with frozen_at(at(17, 23)):
        assert care.reconcile_incidents() == 0  # told already: never picked up again
    assert len(notices()) == told + 1
