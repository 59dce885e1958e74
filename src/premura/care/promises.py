"""Kept promises (docs/architecture.md, "Kept promises"; decision 0032).

Every step the customer waits on (our review of their report, the carrier's answer to a claim, a
refund on its way to their bank, a replacement leaving the warehouse) is one `PendingStep` row
with the date we promised it by (`promise`), shown to the customer and to the agent, and done
when it happens (`keep`). `check_due_steps`, every few minutes, reads only the steps whose
`check_at` has come (the partial index pending_step_due_idx): for each it tells the customer
before they have to ask, escalates the case through the SLA's escalation, records it, and clears
`check_at`, so a step is warned once per promised date.

When a step is checked (`check_instant`): a lead (PROMISE_WARNING_LEAD) before its date, so the
customer hears from us before the date passes, never sooner than halfway from the promise to the
date. A refund is the exception: we cannot know it is late before its day is over (the bank may
credit it that evening), so it is checked at the end of its promised day on the shop's calendar
plus PROMISE_REFUND_GRACE; a refund whose money arrived first is never warned about.
"""

import datetime
import logging
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from premura.agents.models import Agent, NotificationKind
from premura.care.display import date_phrase
from premura.care.exceptions import CareError
from premura.care.models import CareActor, ParcelReport, PendingStep, StepKind
from premura.care.services import quiet_hours_end
from premura.channels import services as channels
from premura.channels.acknowledgements import language_of
from premura.channels.exceptions import NoRecipient
from premura.channels.models import OutboundKind
from premura.commerce import services as commerce
from premura.commerce.models import Order, Refund, RefundDestination, RefundStatus
from premura.conversations.models import OPEN_STATUSES, Case, CaseStatus
from premura.conversations.services import change_status, open_case
from premura.core import clock
from premura.core.audit import record_event
from premura.sla.sweeper import escalate_case

logger = logging.getLogger(__name__)
LATE_TEMPLATE = "care/emails/promise_late"
BATCH = 200
# Where a step whose check failed waits before it is tried again (the failure is logged).
RETRY_AFTER = datetime.timedelta(minutes=5)


def _shop_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def promised_day(step: PendingStep) -> datetime.date:
    """The day promised, on the shop's calendar: what the customer and the agent are shown."""
    return step.expected_by.astimezone(_shop_zone()).date()


def check_instant(kind: str, expected_by: datetime.datetime, *, now: datetime.datetime) -> datetime.datetime:
    """When the periodic check looks at a step promised by `expected_by` (module docstring)."""
    zone = _shop_zone()
    if kind == StepKind.REFUND:
        day_after = expected_by.astimezone(zone).date() + datetime.timedelta(days=1)
        day_over = datetime.datetime.combine(day_after, datetime.time(), tzinfo=zone)
        return (day_over + settings.PROMISE_REFUND_GRACE).astimezone(datetime.UTC)
    halfway = now + (expected_by - now) / 2
    return max(expected_by - settings.PROMISE_WARNING_LEAD, halfway).astimezone(datetime.UTC)


def _data(step: PendingStep) -> dict[str, Any]:
    return {"step_id": step.pk, "kind": step.kind, "expected_by": step.expected_by.isoformat()}


@transaction.atomic
def promise(
    case: Case,
    kind: str,
    expected_by: datetime.datetime,
    *,
    order: Order | None = None,
    refund: Refund | None = None,
    report: ParcelReport | None = None,
) -> PendingStep:
    """Record that the customer of `case` waits on `kind` (a StepKind) until `expected_by`, and
    when it will be checked. Idempotent: the open step of this kind for this case and this refund
    or parcel report is returned, its date moved (and its check with it) when `expected_by`
    differs. Made and moved are audited on the case. Locks the case's row, so two promises of the
    same step at once make one row. Raises CareError for an unknown kind or a date without a
    time zone."""
    if kind not in StepKind.values:
        raise CareError(_("Unknown pending step: %(kind)s") % {"kind": kind})
    if expected_by.tzinfo is None:
        raise CareError(_("A promised date needs its time zone."))
    expected_by = expected_by.astimezone(datetime.UTC)
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
    now = clock.now()
    step = (
        PendingStep.objects.select_for_update()
        .filter(case=case, kind=kind, refund=refund, report=report, done_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if step is not None:
        if step.expected_by == expected_by:
            return step
        old = step.expected_by
        step.expected_by, step.check_at = expected_by, check_instant(kind, expected_by, now=now)
        step.save(update_fields=["expected_by", "check_at"])
        record_event(
            case, "care.promise_moved", actor_label=CareActor.CARE, old=old.isoformat(), **_data(step)
        )
        return step
    # The order the step is about: the one given, else its refund's or report's, else the case's.
    order_id = order.pk if order else (refund or report or case).order_id
    step = PendingStep.objects.create(
        case=case,
        order_id=order_id,
        kind=kind,
        expected_by=expected_by,
        check_at=check_instant(kind, expected_by, now=now),
        refund=refund,
        report=report,
        created_at=now,
    )
    record_event(case, "care.promise_made", actor_label=CareActor.CARE, **_data(step))
    return step


@transaction.atomic
def keep(steps: PendingStep | Iterable[PendingStep], *, actor: Any = None) -> int:
    """The steps happened: each still open is done now (and never checked again), audited on its
    case, whether the date was kept or not (`late`). Idempotent: a step done already is left as it
    is. Returns how many this call did."""
    now = clock.now()
    kept = 0
    for step in [steps] if isinstance(steps, PendingStep) else list(steps):
        done = PendingStep.objects.filter(pk=step.pk, done_at__isnull=True).update(done_at=now, check_at=None)
        if not done:
            continue
        step.done_at, step.check_at = now, None
        label = "" if actor is not None else CareActor.CARE
        record_event(
            Case(pk=step.case_id),
            "care.promise_kept",
            actor=actor,
            actor_label=label,
            late=now > step.expected_by,
            **_data(step),
        )
        kept += 1
    return kept


@transaction.atomic
def confirm_done(step: PendingStep, *, agent: Agent) -> None:
    """An agent says the step happened (the customer confirmed their refund arrived, the carrier
    answered on the phone): it is kept. A refund's money arriving is the refund's completion, so
    the refund reads "credited" on the order too (commerce)."""
    refund = step.refund if step.refund_id else None
    if refund is not None and refund.status == RefundStatus.SUBMITTED:
        commerce.mark_refund_completed(refund, actor=agent.user)
    keep(step, actor=agent.user)


def on_money_action_settled(sender, *, action, **kwargs) -> None:
    """commerce.signals.money_action_settled (connected in apps.py): a refund to the card the
    platform accepted, from a case, is promised by its expected arrival. Store credit is usable at
    once (completed already): nothing to wait for. Logged, never raised: the platform's answer is
    recorded already."""
    if not isinstance(action, Refund) or action.case_id is None:
        return
    try:
        refund = Refund.objects.select_related("case").get(pk=action.pk)
        if (
            refund.status == RefundStatus.SUBMITTED
            and refund.destination == RefundDestination.CARD
            and refund.expected_arrival_at is not None
        ):
            promise(refund.case, StepKind.REFUND, refund.expected_arrival_at, refund=refund)
    except Exception:
        logger.exception("care: the arrival date of refund %s was not recorded as a promise", action.pk)


def on_refund_completed(sender, *, refund: Refund, **kwargs) -> None:
    """commerce.signals.refund_completed (connected in apps.py): the money arrived, the promise of
    its date is kept. Logged, never raised (the money's arrival is recorded already): the check
    finds the refund completed and keeps the step then."""
    try:
        keep(PendingStep.objects.filter(refund=refund, done_at__isnull=True))
    except Exception:
        logger.exception("care: the promise of refund %s was not kept; the check will", refund.pk)


def check_due_steps(*, now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    """Warn about every open step whose check has come, earliest first, at most `batch`, each in
    its own transaction; returns how many were checked. The row is locked with SKIP LOCKED where
    the database has it (PostgreSQL), so two workers take different steps and none is warned
    twice (SQLite runs one writing transaction at a time). A step whose check raises is logged and
    tried again after RETRY_AFTER, so it never holds up the others."""
    now = now or clock.now()
    checked = 0
    for _turn in range(batch):
        seen: tuple[int, datetime.datetime] | None = None
        try:
            with transaction.atomic():
                step = (
                    PendingStep.objects.select_for_update(skip_locked=True)
                    .filter(check_at__lte=now, done_at__isnull=True)
                    .order_by("check_at")
                    .first()
                )
                if step is None:
                    break
                seen = (step.pk, step.check_at)
                check_step(step, now=now)
        except Exception:
            if seen is None:
                raise
            logger.exception("care: the check of pending step %s failed; trying again later", seen[0])
            PendingStep.objects.filter(pk=seen[0], check_at=seen[1]).update(check_at=now + RETRY_AFTER)
        checked += 1
    return checked


def check_step(step: PendingStep, *, now: datetime.datetime) -> None:
    """The check of one step (locked by the caller): a refund whose money arrived is kept
    silently; any other is told to the customer, escalated and recorded, and never read again
    until a new date is promised."""
    if step.refund_id and Refund.objects.filter(pk=step.refund_id, status=RefundStatus.COMPLETED).exists():
        keep(step)
        return
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("customer", "owner", "team__lead")
        .get(pk=step.case_id)
    )
    if case.status == CaseStatus.CLOSED:
        case = _follow_up(case, step)
    elif case.status not in OPEN_STATUSES:
        change_status(case, CaseStatus.OPEN, actor_label=CareActor.CARE)
    told = _tell_customer(case, step, now=now)
    notified = escalate_case(
        case,
        kind=NotificationKind.SLA_BREACH,
        data={"target": "promise", "step": step.kind, "due_at": step.expected_by.isoformat()},
    )
    record_event(
        case,
        "care.promise_late",
        actor_label=CareActor.CARE,
        told=told,
        notified=[agent.display_name for agent in notified],
        **_data(step),
    )
    step.warned_at, step.check_at = now, None
    step.save(update_fields=["case", "warned_at", "check_at"])


def _follow_up(closed: Case, step: PendingStep) -> Case:
    """A closed case stays closed (decision 0005): the promise goes on in a follow-up case the shop
    opens, with the closed case's open steps."""
    case = open_case(
        customer=closed.customer,
        subject=closed.subject,
        body="",
        channel=closed.channel,
        order=closed.order,
        priority=closed.priority,
        team=closed.team,
        reason=closed.reason,
        follow_up_of=closed,
        proactive=True,
    )
    PendingStep.objects.filter(case=closed, done_at__isnull=True).update(case=case)
    step.case = case
    record_event(closed, "care.promise_followed_up", actor_label=CareActor.CARE, follow_up_id=case.pk)
    return Case.objects.select_related("customer", "owner", "team__lead").get(pk=case.pk)


def _tell_customer(case: Case, step: PendingStep, *, now: datetime.datetime) -> bool:
    """The customer's message about the step, in their language, held until their quiet hours end;
    once per step and promised date. Whether it was queued (False: no e-mail address)."""
    customer = case.customer
    held_until = quiet_hours_end(customer, now) if customer.is_in_quiet_hours(now) else None
    refund = step.refund if step.refund_id else None
    context = {
        "kind": step.kind,
        "order_number": step.order.number if step.order_id else "",
        "promised_date": date_phrase(
            promised_day(step), language_of(case), today=now.astimezone(_shop_zone()).date()
        ),
        "refund": refund,
    }
    try:
        channels.send(
            case,
            OutboundKind.NOTICE,
            LATE_TEMPLATE,
            context,
            not_before=held_until,
            dedupe_key=f"care:promise:{step.pk}:{step.expected_by.isoformat()}",
        )
    except NoRecipient:
        return False
    return True
