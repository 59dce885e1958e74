"""Tell them first: risk signals open one incident and one proactive case per parcel problem, the
customer hears each piece of news once, outside their quiet hours, and not after writing first."""

import datetime

from premura.care.models import Grant, Incident, Notice, Situation
from premura.care.services import quiet_hours_end
from premura.channels import outbox
from premura.channels.models import OutboundEmail, OutboundKind, OutboundStatus
from premura.conversations import services as conversations
from premura.conversations.models import Case, CaseStatus, Direction, Message
from premura.core.audit import events_for
from premura.core.clock import frozen_at
from premura.customers.models import Customer
from premura.shipping.models import ExceptionReason, TrackingStatus
from tests.care.conftest import MORNING, PROMISED, ROME, signal
from tests.factories.conversations import make_case

EXPECTED = datetime.date(2026, 12, 7)


def notices() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk"))


def test_a_late_parcel_gets_one_proactive_case_and_one_notice_before_the_promise(
    mailbox, shipment, coupon_rule, customer, agent, morning
):
    previous = make_case(customer)
    conversations.assign(previous, agent)
    conversations.change_status(previous, CaseStatus.CLOSED, actor_label="test")
    for _ in range(3):
        signal(shipment, "predicted", EXPECTED)
    signal(shipment, "stalled", EXPECTED)

    incident = Incident.objects.get()
    case = incident.case
    assert (case.order, case.status, case.owner, case.channel) == (
        shipment.order,
        CaseStatus.WAITING_ON_CARRIER,
        agent,
        "email",
    )
    assert Case.objects.exclude(pk=previous.pk).count() == 1
    assert not case.messages.filter(direction=Direction.INBOUND).exists()
    assert events_for(case).get(action="case.opened").data["proactive"] is True
    [notice] = notices()
    assert notice.next_attempt_at < datetime.datetime.combine(PROMISED, datetime.time(), tzinfo=ROME)
    assert notice.case == case and notice.to_address == "anna.colombo@example.it"
    assert notice.message.case == case and notice.message.direction == Direction.OUTBOUND
    grant = Grant.objects.get()
    assert (grant.incident, grant.rule, grant.value, grant.category) == (incident, coupon_rule, 10, "Cucina")
    assert "lunedì 7 dicembre" in notice.body_text
    assert grant.code in notice.body_text
    assert "giovedì 3 dicembre" in notice.body_text


def test_the_same_expected_date_again_sends_nothing_a_moved_date_sends_again(mailbox, shipment, morning):
    signal(shipment, "predicted", EXPECTED)
    signal(shipment, "stalled", EXPECTED)
    signal(shipment, "exception", EXPECTED, exception_reason=ExceptionReason.DELAY)
    assert len(notices()) == 1
    signal(shipment, "exception", EXPECTED + datetime.timedelta(days=1))
    assert len(notices()) == 2
    assert "martedì 8 dicembre" in notices()[1].body_text
    assert Incident.objects.count() == 1


def test_delivered_after_a_delay_sends_one_closing_notice_and_closes_the_incident(mailbox, shipment, morning):
    signal(shipment, "predicted", EXPECTED)
    delivered = datetime.datetime(2026, 12, 5, 11, 0, tzinfo=ROME)
    with frozen_at(delivered):
        signal(shipment, "", None, status=TrackingStatus.DELIVERED, delivered_at=delivered)
        signal(shipment, "", None)
    first, closing = notices()
    assert closing.subject.startswith("Il tuo ordine PRM-300001 è stato consegnato")
    incident = Incident.objects.get()
    assert incident.closed_at == delivered
    assert list(incident.notices.values_list("situation", flat=True)) == [
        Situation.PREDICTED,
        Situation.DELIVERED_LATE,
    ]
    incident.case.refresh_from_db()
    assert incident.case.status == CaseStatus.SOLVED


def test_a_parcel_delivered_on_time_after_a_scare_opens_nothing(mailbox, shipment, morning):
    signal(shipment, "", None, status=TrackingStatus.DELIVERED, delivered_at=MORNING)
    assert not Incident.objects.exists() and notices() == []


def test_the_risk_clearing_while_travelling_tells_the_customer_nothing(mailbox, shipment, morning):
    signal(shipment, "predicted", EXPECTED)
    signal(shipment, "", None)
    assert len(notices()) == 1
    assert Incident.objects.get().closed_at is None


def test_quiet_hours_hold_the_notice_until_they_end(smtp_mailbox, peer, shipment, customer):
    Customer.objects.filter(pk=customer.pk).update(
        quiet_hours_start=datetime.time(21, 0), quiet_hours_end=datetime.time(8, 0)
    )
    shipment.order.customer.refresh_from_db()
    night = datetime.datetime(2026, 12, 1, 22, 30, tzinfo=ROME)
    with frozen_at(night):
        signal(shipment, "predicted", EXPECTED)
    [notice] = notices()
    end = datetime.datetime(2026, 12, 2, 8, 0, tzinfo=ROME)
    assert Notice.objects.get().held_until == end
    with frozen_at(end - datetime.timedelta(minutes=1)):
        assert outbox.deliver_due() == 0
    assert peer.received == []
    with frozen_at(end):
        assert outbox.deliver_due() == 1
    notice.refresh_from_db()
    assert notice.status == OutboundStatus.SENT
    assert peer.received[0].rcpt_tos == ["anna.colombo@example.it"]


def test_news_during_the_night_replaces_the_held_notice_so_the_morning_brings_one(
    smtp_mailbox, peer, shipment, customer
):
    Customer.objects.filter(pk=customer.pk).update(
        quiet_hours_start=datetime.time(21, 0), quiet_hours_end=datetime.time(8, 0)
    )
    shipment.order.customer.refresh_from_db()
    with frozen_at(datetime.datetime(2026, 12, 1, 22, 30, tzinfo=ROME)):
        signal(shipment, "predicted", EXPECTED)
    with frozen_at(datetime.datetime(2026, 12, 2, 1, 0, tzinfo=ROME)):
        signal(shipment, "predicted", EXPECTED)  # the same again: the held notice says it already
        signal(shipment, "predicted", EXPECTED + datetime.timedelta(days=2))
    first, second = notices()
    assert (first.status, second.status) == (OutboundStatus.WITHDRAWN, OutboundStatus.QUEUED)
    assert "mercoledì 9 dicembre" in second.body_text
    with frozen_at(datetime.datetime(2026, 12, 2, 8, 0, tzinfo=ROME)):
        assert outbox.deliver_due() == 1
    assert len(peer.received) == 1
    case = Incident.objects.get().case
    assert events_for(case).filter(action="care.notice_withdrawn").count() == 1
    # A date moving back to what the customer was told last needs no notice: the held one goes.
    with frozen_at(datetime.datetime(2026, 12, 2, 23, 0, tzinfo=ROME)):
        signal(shipment, "predicted", EXPECTED)
        signal(shipment, "predicted", EXPECTED + datetime.timedelta(days=2))
    assert [row.status for row in notices()] == [
        OutboundStatus.WITHDRAWN,
        OutboundStatus.SENT,
        OutboundStatus.WITHDRAWN,
    ]


def test_quiet_hours_end_on_the_customer_s_clock_across_the_change_to_summer_time(customer):
    customer.quiet_hours_start, customer.quiet_hours_end = datetime.time(22, 0), datetime.time(7, 0)
    saturday_night = datetime.datetime(2026, 3, 28, 23, 0, tzinfo=ROME)
    assert quiet_hours_end(customer, saturday_night) == datetime.datetime(
        2026, 3, 29, 5, 0, tzinfo=datetime.UTC
    )
    early = datetime.datetime(2026, 3, 29, 6, 0, tzinfo=ROME)
    assert quiet_hours_end(customer, early) == datetime.datetime(2026, 3, 29, 7, 0, tzinfo=ROME)


def test_a_customer_who_wrote_first_gets_no_automatic_notice(mailbox, shipment, customer, morning):
    theirs = make_case(customer, order=shipment.order)
    signal(shipment, "predicted", EXPECTED)
    signal(shipment, "predicted", EXPECTED + datetime.timedelta(days=2))
    incident = Incident.objects.get()
    assert (incident.case, incident.customer_wrote_first) == (theirs, True)
    assert notices() == [] and Case.objects.count() == 1
    assert events_for(theirs).filter(action="care.incident_opened").count() == 1


def test_once_the_customer_answers_the_agent_speaks_not_the_notices(mailbox, shipment, morning):
    signal(shipment, "predicted", EXPECTED)
    case = Incident.objects.get().case
    conversations.receive_message(case, body="Mi serve per sabato!", channel="email")
    signal(shipment, "predicted", EXPECTED + datetime.timedelta(days=3))
    assert len(notices()) == 1


def test_a_second_exception_on_the_same_parcel_stays_in_the_same_incident(mailbox, shipment, morning):
    signal(
        shipment, "exception", None, status=TrackingStatus.EXCEPTION, exception_reason=ExceptionReason.ADDRESS
    )
    signal(shipment, "exception", None, exception_reason=ExceptionReason.WEATHER)
    incident = Incident.objects.get()
    assert (incident.situation, incident.exception_reason) == (Situation.EXCEPTION, ExceptionReason.WEATHER)
    assert Case.objects.count() == 1 and len(notices()) == 1
    assert "indirizzo" in notices()[0].body_text
    assert events_for(incident.case).filter(action="care.incident_moved").count() == 1


def test_a_lost_parcel_is_told_once_and_goes_to_an_agent(mailbox, shipment, morning):
    signal(shipment, "stalled", EXPECTED)
    signal(shipment, "exception", None, exception_reason=ExceptionReason.LOST)
    signal(shipment, "exception", None, exception_reason=ExceptionReason.LOST)
    assert [n.situation for n in Notice.objects.all()] == [Situation.STALLED, Situation.LOST]
    incident = Incident.objects.get()
    assert incident.closed_at is not None
    incident.case.refresh_from_db()
    assert incident.case.status == CaseStatus.OPEN  # an agent decides: send again or refund


def test_a_customer_without_an_e_mail_address_gets_a_case_and_no_notice(mailbox, shipment, customer, morning):
    customer.identities.all().delete()
    signal(shipment, "predicted", EXPECTED)
    case = Incident.objects.get().case
    assert notices() == [] and not Message.objects.filter(case=case).exists()
    assert events_for(case).filter(action="care.notice_not_sent").count() == 1


def test_a_parcel_returned_to_sender_is_told_once_and_goes_to_an_agent(mailbox, shipment, morning):
    signal(shipment, "exception", None, exception_reason=ExceptionReason.RETURNED)
    signal(shipment, "exception", None)
    [notice] = notices()
    assert "sta tornando da noi" in notice.subject
    incident = Incident.objects.get()
    assert (incident.situation, incident.case.status) == (Situation.RETURNED, CaseStatus.OPEN)
