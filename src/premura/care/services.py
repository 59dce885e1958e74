"""Tell them first: incidents opened from shipping's risk signals, a proactive case per
incident, and the notices that tell the customer (docs/architecture.md, "Care").

`on_risk_changed` receives `shipping.signals.risk_changed` (after the tracking write committed)
and calls `handle_risk`, which runs in one transaction holding the shipment's row lock, so two
signals for one parcel are handled one after the other and a replay finds its work done.
"""

import datetime
import logging
import zoneinfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import override

from premura.agents.models import Team
from premura.care import compensation
from premura.care.display import date_phrase
from premura.care.models import FINAL_SITUATIONS, CareActor, Incident, Notice, Situation
from premura.channels import outbox
from premura.channels import services as channels
from premura.channels.exceptions import NoRecipient
from premura.channels.mailboxes import all_mailboxes
from premura.channels.models import OutboundKind, OutboundStatus
from premura.conversations.models import Case, CasePhase, CaseStatus, Direction
from premura.conversations.services import change_status, open_case
from premura.core import clock
from premura.core.audit import record_event
from premura.core.models import Channel
from premura.customers.models import Customer
from premura.shipping.models import DelayLevel, DelaySignal, ExceptionReason, Shipment, TrackingStatus

logger = logging.getLogger(__name__)
NOTICE_TEMPLATE = "care/emails/notice"
# News told by the parcel's last scan (a carrier exception, or an ending: delivered late,
# returned, lost) heard of longer ago than this, with no incident open, is history (a tracking
# import, a provider's backlog): the customer has long known, and a first notice now, about a
# parcel stuck or delivered weeks ago, would be noise. A stall or a prediction is today's news.
SCAN_IS_HISTORY_AFTER = datetime.timedelta(days=3)
TOLD_BY_THE_LAST_SCAN = FINAL_SITUATIONS | {Situation.EXCEPTION}


def on_risk_changed(sender, *, shipment: Shipment, risk_signal: str, expected_date=None, level="", **kwargs):
    """The receiver of shipping.signals.risk_changed (connected in apps.py), run on the tracking
    write's commit, at once: the notice is queued within the second. A failure here must not fail
    the carrier's request (its events are stored): it is logged, and `reconcile_incidents`, every
    few minutes, does what was left undone."""
    try:
        handle_risk(shipment, risk_signal=risk_signal, expected_date=expected_date)
    except Exception:
        logger.exception(
            "care: the risk signal of shipment %s failed; reconcile_incidents will retry", shipment.pk
        )


def reconcile_incidents(*, batch: int = 200) -> int:
    """Handle what a lost or failed risk signal left undone: shipments at high risk and still on
    their way without an open incident, and open incidents whose parcel arrived or went back.
    `handle_risk` is idempotent, so a shipment handled already changes nothing. Returns how many
    shipments it handled (at most `batch` of each kind a run)."""
    open_incident = Incident.objects.filter(shipment=OuterRef("pk"), closed_at__isnull=True)
    # A parcel told lost stays at high risk while it is lost: told already, and left out, or the
    # same shipments would fill every run's batch.
    told_lost = Incident.objects.filter(shipment=OuterRef("pk"), situation=Situation.LOST)
    still_lost = Q(delay_signal=DelaySignal.LOST) | Q(
        delay_signal=DelaySignal.EXCEPTION, exception_reason=ExceptionReason.LOST
    )
    # News of a last scan that is history opens nothing (handle_risk): left out for the same reason.
    history = Q(
        delay_signal__in=[DelaySignal.EXCEPTION, DelaySignal.LOST],
        last_event_at__lt=clock.now() - SCAN_IS_HISTORY_AFTER,
    )
    shipments = Shipment.objects.select_related("order__customer", "carrier").order_by("pk")
    untold = (
        shipments.filter(delay_level=DelayLevel.HIGH, delivered_at__isnull=True)
        .exclude(Exists(open_incident))
        .exclude(Q(Exists(told_lost)) & still_lost)
        .exclude(history)
    )
    ended = shipments.filter(Exists(open_incident)).filter(
        Q(delivered_at__isnull=False) | Q(exception_reason=ExceptionReason.RETURNED)
    )
    handled = 0
    for shipment in list(untold[:batch]):
        handle_risk(
            shipment, risk_signal=shipment.delay_signal, expected_date=shipment.expected_delivery_date
        )
        handled += 1
    for shipment in list(ended[:batch]):
        returned = shipment.exception_reason == ExceptionReason.RETURNED
        handle_risk(shipment, risk_signal="exception" if returned else "", expected_date=None)
        handled += 1
    return handled


def situation_for(shipment: Shipment, risk_signal: str) -> str:
    """What the signal means for the customer, or "" when there is nothing to tell (the risk
    cleared while the parcel is still travelling)."""
    if shipment.status == TrackingStatus.DELIVERED:
        return Situation.DELIVERED_LATE
    if risk_signal == "lost":  # no scan past the lost threshold (shipping.delays)
        return Situation.LOST
    if risk_signal == "exception":
        if shipment.exception_reason == ExceptionReason.LOST:
            return Situation.LOST
        if shipment.exception_reason == ExceptionReason.RETURNED:
            return Situation.RETURNED
        return Situation.EXCEPTION
    if risk_signal == "stalled":
        return Situation.STALLED
    if risk_signal == "predicted":
        return Situation.PREDICTED
    return ""


def scan_is_history(shipment: Shipment) -> bool:
    """Whether the shipment's last scan is older than SCAN_IS_HISTORY_AFTER."""
    return bool(shipment.last_event_at and clock.now() - shipment.last_event_at > SCAN_IS_HISTORY_AFTER)


def delivered_late(shipment: Shipment) -> bool:
    return bool(
        shipment.delivered_at
        and shipment.promised_delivery_date
        and shipment.delivered_at.date() > shipment.promised_delivery_date
    )


@transaction.atomic
def handle_risk(
    shipment: Shipment, *, risk_signal: str, expected_date: datetime.date | None
) -> Incident | None:
    """Open or update the shipment's incident and tell the customer what is news; return the
    incident (None when the signal concerns no incident). Idempotent: the same signal again
    changes nothing and sends nothing.

    `shipment` carries the detector's fields (status, exception_reason, promised date); its row
    is locked for the transaction.
    """
    Shipment.objects.select_for_update().filter(pk=shipment.pk).values_list("pk").get()
    situation = situation_for(shipment, risk_signal)
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(shipment=shipment, closed_at__isnull=True)
        .first()
    )
    if incident is not None:
        incident.shipment = shipment  # with its order and carrier, as the detector read them
    if incident is None:
        if not situation or (situation == Situation.DELIVERED_LATE and not delivered_late(shipment)):
            return None
        if situation in TOLD_BY_THE_LAST_SCAN and scan_is_history(shipment):
            return None  # old news
        if (
            situation in FINAL_SITUATIONS
            and Incident.objects.filter(shipment=shipment, situation=situation).exists()
        ):
            return None  # the end of this story was told already (a replay)
        incident = open_incident(shipment, situation=situation, expected_date=expected_date)
        opened = True
    elif situation:
        move_incident(incident, situation=situation, expected_date=expected_date)
        opened = False
    else:
        if incident.case_id:
            record_event(incident.case, "care.risk_cleared", actor_label=CareActor.TRACKING)
        return incident
    notify(incident, situation=situation, expected_date=expected_date, just_opened=opened)
    if situation in FINAL_SITUATIONS:
        close_incident(incident)
    return incident


def care_team() -> Team | None:
    """The team that answers the shop's mail (the first active mailbox's default team): a
    proactive case is assigned as a case arriving by e-mail would be."""
    team_id = next(
        (
            mailbox.default_team_id
            for mailbox in all_mailboxes()
            if mailbox.is_active and mailbox.default_team_id
        ),
        None,
    )
    return Team.objects.filter(pk=team_id).first() if team_id else None


def written_first_case(shipment: Shipment) -> Case | None:
    """The customer's case about the order, not done, in which they have written: the incident
    joins it and the agent answers there."""
    order = shipment.order
    return (
        Case.objects.filter(customer_id=order.customer_id, order=order)
        .exclude(phase=CasePhase.DONE)
        .filter(messages__direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .first()
    )


def open_incident(shipment: Shipment, *, situation: str, expected_date: datetime.date | None) -> Incident:
    """The incident, its grant and its case: the customer's own when they wrote first, else a
    proactive case assigned by the named-owner rules, waiting on the carrier."""
    order = shipment.order
    now = clock.now()
    existing = written_first_case(shipment)
    case = existing
    if case is None:
        with override(order.customer.language):
            subject = _("Delivery of order %(number)s") % {"number": order.number}
        case = open_case(
            customer=order.customer,
            order=order,
            subject=subject,
            body="",
            channel=Channel.EMAIL,
            team=care_team(),
            proactive=True,
            status=CaseStatus.WAITING_ON_CARRIER,
            actor_label=CareActor.CARE,
        )
    incident = Incident.objects.create(
        shipment=shipment,
        case=case,
        situation=situation,
        exception_reason=shipment.exception_reason if situation == Situation.EXCEPTION else "",
        expected_date=expected_date,
        customer_wrote_first=existing is not None,
        opened_at=now,
    )
    # After the case: a coupon made on the shop's platform is confirmed to its customer.
    compensation.grant_for(incident)
    record_event(
        case,
        "care.incident_opened",
        actor_label=CareActor.TRACKING,
        incident_id=incident.pk,
        situation=situation,
        reason=incident.exception_reason,
        expected_date=expected_date.isoformat() if expected_date else None,
        shipment_id=shipment.pk,
    )
    return incident


def move_incident(incident: Incident, *, situation: str, expected_date: datetime.date | None) -> None:
    """Another signal for the same parcel: the same incident, its situation and date updated."""
    reason = incident.shipment.exception_reason if situation == Situation.EXCEPTION else ""
    if (incident.situation, incident.exception_reason, incident.expected_date) == (
        situation,
        reason,
        expected_date,
    ):
        return
    incident.situation, incident.exception_reason, incident.expected_date = situation, reason, expected_date
    incident.save(update_fields=["situation", "exception_reason", "expected_date"])
    if incident.case_id:
        record_event(
            incident.case,
            "care.incident_moved",
            actor_label=CareActor.TRACKING,
            situation=situation,
            reason=reason,
            expected_date=expected_date.isoformat() if expected_date else None,
        )


def close_incident(incident: Incident) -> None:
    """The parcel's story ended. Delivered: the proactive case is solved (the customer's answer
    reopens it). Lost or returned: the case waits for an agent, who decides what the shop does
    (send again, refund), with the situation on the panel."""
    incident.closed_at = clock.now()
    incident.save(update_fields=["closed_at"])
    case = incident.case
    if case is None or incident.customer_wrote_first:
        return
    status = CaseStatus.SOLVED if incident.situation == Situation.DELIVERED_LATE else CaseStatus.OPEN
    if case.can_move_to(status):
        change_status(case, status, actor_label=CareActor.CARE)


def customer_has_written(incident: Incident) -> bool:
    """Whether the customer wrote about the order (in the incident's case or another case about
    it still in progress): from then on the agent answers, no automatic notice goes out."""
    return incident.customer_wrote_first or written_first_case(incident.shipment) is not None


def is_news(last: Notice | None, *, situation: str, expected_date: datetime.date | None) -> bool:
    """Whether a notice would tell the customer something they have not heard: the first one; a
    delivery, a loss or a return not told yet; an expected date that moved by a day or more (or
    became known)."""
    if last is None:
        return True
    if situation in FINAL_SITUATIONS:
        return last.situation != situation
    if expected_date is None:
        return False
    return last.expected_date is None or abs((expected_date - last.expected_date).days) >= 1


def quiet_hours_end(customer: Customer, at: datetime.datetime) -> datetime.datetime:
    """The first instant after `at` outside the customer's quiet hours that `at` falls in: their
    end, on the customer's wall clock (a daylight-saving change between is their clock's). An end
    that does not exist that night (the clocks jumped over it) is read with the offset before the
    jump: 02:30 on the night clocks go forward is 03:30 summer time."""
    zone = zoneinfo.ZoneInfo(customer.time_zone)
    local = at.astimezone(zone)
    for days in (0, 1):
        end = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=days), customer.quiet_hours_end, tzinfo=zone
        ).astimezone(datetime.UTC)
        if end > at:
            return end
    raise AssertionError("quiet hours end within a day")


def notice_context(incident: Incident, *, situation: str, expected_date: datetime.date | None) -> dict:
    shipment = incident.shipment
    customer = shipment.order.customer
    language = customer.language
    today = clock.now().astimezone(zoneinfo.ZoneInfo(customer.time_zone)).date()
    grant = getattr(incident, "grant", None)
    return {
        "situation": situation,
        "reason": shipment.exception_reason,
        "order_number": shipment.order.number,
        "carrier_name": shipment.carrier.name,
        "tracking_url": shipment.tracking_url,
        "expected_date": date_phrase(expected_date, language, today=today) if expected_date else "",
        "promised_date": date_phrase(shipment.promised_delivery_date, language, today=today)
        if shipment.promised_delivery_date
        else "",
        "grant": grant,
        "grant_expires": date_phrase(grant.expires_on, language, today=today)
        if grant and grant.expires_on
        else "",
    }


def notify(
    incident: Incident,
    *,
    situation: str,
    expected_date: datetime.date | None,
    just_opened: bool = False,
) -> Notice | None:
    """Tell the customer, unless it is not news (`is_news`) or they wrote about it already; held
    until their quiet hours end. Returns the notice, or None when none was queued.

    `just_opened`: `open_incident` made the incident in this transaction, under the shipment's
    lock, so it has no notice yet and `customer_wrote_first` is what `customer_has_written`
    would find (it has just looked)."""
    case = incident.case
    if case is None:
        return None
    if incident.customer_wrote_first if just_opened else customer_has_written(incident):
        return None
    now = clock.now()
    told, held = [], []
    notices = [] if just_opened else list(incident.notices.select_related("outbound").order_by("pk"))
    for notice in notices:
        if notice.outbound.status == OutboundStatus.WITHDRAWN:
            continue
        waiting = notice.held_until is not None and notice.outbound.status == OutboundStatus.QUEUED
        (held if waiting else told).append(notice)
    if held and not is_news(held[-1], situation=situation, expected_date=expected_date):
        return None  # the notice waiting for the morning says it already
    # Newer news replaces what waits for the end of the quiet hours: the customer gets one notice.
    for notice in held:
        if outbox.withdraw(notice.outbound):
            record_event(
                case, "care.notice_withdrawn", actor_label=CareActor.CARE, situation=notice.situation
            )
    if not is_news(told[-1] if told else None, situation=situation, expected_date=expected_date):
        return None
    customer = case.customer
    held_until = quiet_hours_end(customer, now) if customer.is_in_quiet_hours(now) else None
    try:
        row = channels.send(
            case,
            OutboundKind.NOTICE,
            NOTICE_TEMPLATE,
            notice_context(incident, situation=situation, expected_date=expected_date),
            not_before=held_until,
            dedupe_key=f"care:incident:{incident.pk}:notice:{len(notices) + 1}",
        )
    except NoRecipient:
        record_event(case, "care.notice_not_sent", actor_label=CareActor.CARE, situation=situation)
        return None
    return Notice.objects.create(
        incident=incident,
        situation=situation,
        expected_date=expected_date,
        outbound=row,
        held_until=held_until,
        created_at=now,
    )
