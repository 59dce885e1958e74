"""Resolution policies (docs/architecture.md, "Care: resolution policies"; decision 0035): a
customer reports that an order's parcel never arrived, or arrived damaged, and the shop's policy
for that problem (a ResolutionPolicy row its administrator edits) decides at once.

- Trusted customer, order within the policy's total: resolved on the spot. The customer chooses
  the remedy the policy offers (send it again, or a refund) from the message's link or the
  portal; with a single remedy offered it is applied at once. A lost parcel also gets a claim
  with the carrier, as a task for the agent (decision 0028), apart from the customer's remedy.
- Otherwise: review. The customer is told the date of the decision (the policy's business days
  on the case's calendar), kept as a pending step (care.promises); an agent approves (then the
  customer chooses as above) or declines.
- A damaged item under a policy that asks for a photo waits for one first: the customer's next
  message with an image attachment moves it on.

The remedy itself is a money action (commerce.services.reship / request_refund, keyed by the
report, so a double click or a second choice never makes two); the customer's confirmation comes
from the money action, once the shop's platform has done it (care.money).
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.agents.models import Agent
from premura.care import promises
from premura.care.display import date_phrase, shop_today
from premura.care.exceptions import CareError
from premura.care.models import (
    CareActor,
    CarrierAction,
    CarrierTask,
    ParcelReport,
    PolicyKind,
    Remedy,
    ReportState,
    ResolutionPolicy,
    StepKind,
)
from premura.channels import services as channels
from premura.channels.acknowledgements import language_of
from premura.channels.exceptions import NoRecipient
from premura.channels.models import OutboundKind
from premura.commerce import services as commerce
from premura.commerce.models import Order, OrderStatus
from premura.commerce.queries import lifetime_value
from premura.conversations.models import Attachment, Case, Direction
from premura.core import clock
from premura.core.audit import record_event
from premura.shipping.models import TrackingStatus
from premura.sla.services import business_days_later

logger = logging.getLogger(__name__)

# The problems a customer reports about a parcel (the cancellation policies act through
# commerce.services.cancel).
REPORTED_PROBLEMS = (PolicyKind.LOST_PARCEL, PolicyKind.DAMAGED)
# Orders whose parcel has left: a problem with one that has not is a cancellation instead.
_SENT = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
_OPEN_REPORT_STATES = (ReportState.AWAITING_PHOTO, ReportState.IN_REVIEW, ReportState.AWAITING_CHOICE)
REPORT_TEMPLATE = "care/emails/report"


# --- Trust ----------------------------------------------------------------------------------------

# The parts of the trust score and their ceilings; the score is their sum, kept between 0 and 100.
TRUST_BASE = 10
POINTS_PER_DELIVERED_ORDER, MOST_DELIVERED_ORDERS = 4, 10  # up to 40
ACCOUNT_AGE_POINTS, FULL_AGE_DAYS = 20, 730  # 20 at two years
LIFETIME_VALUE_POINTS, FULL_LIFETIME_VALUE = 30, Decimal("600")  # 30 at 600 in the order's currency
POINTS_PER_PAST_CLAIM = 25  # taken off for each other report in the last year
CLAIMS_LOOKBACK = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Trust:
    score: int
    parts: dict[str, int]


def trust_of(order: Order, *, now: datetime.datetime | None = None) -> Trust:
    """How far the shop trusts the order's customer, 0 to 100, with its parts (kept on the report
    for the audit): a base, the orders delivered to them before, how long they have been a
    customer, what they spent (in the order's currency; other currencies are not converted), less
    their other reports of the last year."""
    now = now or clock.now()
    customer = order.customer
    orders = Order.objects.filter(customer=customer).exclude(pk=order.pk)
    delivered = (
        orders.filter(Q(status=OrderStatus.DELIVERED) | Q(shipments__status=TrackingStatus.DELIVERED))
        .distinct()
        .count()
    )
    first_seen = min(
        [customer.created_at, *orders.order_by("placed_at").values_list("placed_at", flat=True)[:1]]
    )
    age_days = max((now - first_seen).days, 0)
    spent = dict(lifetime_value(customer)).get(order.currency, Decimal("0"))
    past_claims = (
        ParcelReport.objects.filter(order__customer=customer, created_at__gte=now - CLAIMS_LOOKBACK)
        .exclude(order=order)
        .count()
    )
    parts = {
        "base": TRUST_BASE,
        "delivered_orders": min(delivered, MOST_DELIVERED_ORDERS) * POINTS_PER_DELIVERED_ORDER,
        "account_age": min(age_days * ACCOUNT_AGE_POINTS // FULL_AGE_DAYS, ACCOUNT_AGE_POINTS),
        "lifetime_value": int(min(spent / FULL_LIFETIME_VALUE, 1) * LIFETIME_VALUE_POINTS),
        "past_claims": -POINTS_PER_PAST_CLAIM * past_claims,
    }
    return Trust(score=max(0, min(100, sum(parts.values()))), parts=parts)


# --- Policies -------------------------------------------------------------------------------------


def policy_for(kind: str) -> ResolutionPolicy:
    """The shop's policy for `kind`; without one, a policy that resolves nothing on its own: every
    report goes to review, decided within 3 business days."""
    policy = ResolutionPolicy.objects.filter(kind=kind).first()
    return policy if policy is not None else ResolutionPolicy(kind=kind, is_active=False)


def set_policy(kind: str, **fields: Any) -> ResolutionPolicy:
    """Create or change the shop's policy for `kind` (what the admin does, for the demo and the
    command line). Raises django's ValidationError, writing nothing, for values `clean` refuses."""
    policy = ResolutionPolicy.objects.filter(kind=kind).first() or ResolutionPolicy(kind=kind)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.updated_at = clock.now()
    policy.full_clean()
    policy.save()
    return policy


def remedies(policy: ResolutionPolicy, order: Order) -> list[str]:
    """What the customer may choose under `policy` for `order`: sending it again when the shop's
    platform takes actions from Premura, a refund while any of the payment is left to give back."""
    offered = []
    if policy.offer_reship and order.external_id and commerce.shop_connection(order) is not None:
        offered.append(Remedy.RESHIP)
    if policy.offer_refund and commerce.refundable_amount(order) > 0:
        offered.append(Remedy.REFUND)
    return offered


def within_policy(policy: ResolutionPolicy, order: Order, trust: Trust, offered: list[str]) -> list[str]:
    """Why the report cannot be resolved on the spot (the policy's words, for the agent), given the
    remedies `offered`; empty when it can."""
    reasons = []
    if not policy.is_active:
        reasons.append("policy_not_automatic")
    if trust.score < policy.min_trust_score:
        reasons.append("trust_below_threshold")
    if policy.max_order_total is not None and order.total > policy.max_order_total:
        reasons.append("order_total_above_threshold")
    if not offered:
        reasons.append("no_remedy_available")
    return reasons


# --- Reports --------------------------------------------------------------------------------------

# What a carrier says that makes "it never arrived" a fair report before the promised day (a
# delivery the customer denies is `delivered` below).
_TROUBLE = (TrackingStatus.EXCEPTION, TrackingStatus.EXPIRED)


def reportable_problems(order: Order, *, today: datetime.date | None = None) -> list[str]:
    """The problems the order's customer can report now. A parcel not received: once the order
    has left and its parcel is due (the day it is expected, or was promised, has passed; no date
    at all), or its carrier says delivered, in trouble or lost track of it; never while it is on
    its way and on time. Damaged: once delivered. Problems already reported are left out."""
    if order.status not in _SENT:
        return []
    today = today or shop_today()
    shipment = order.shipments.order_by("-pk").first()
    delivered = order.status == OrderStatus.DELIVERED or (
        shipment is not None and shipment.status == TrackingStatus.DELIVERED
    )
    due_on = shipment and (shipment.revised_delivery_date or shipment.promised_delivery_date)
    lost = shipment is None or shipment.status in _TROUBLE or due_on is None or due_on < today
    problems = [PolicyKind.LOST_PARCEL] if lost or delivered else []
    if delivered:
        problems.append(PolicyKind.DAMAGED)
    reported = set(order.parcel_reports.values_list("problem", flat=True))
    return [problem for problem in problems if problem not in reported]


@transaction.atomic
def report_problem(case: Case, order: Order, problem: str, *, actor: Any = None) -> ParcelReport:
    """The customer of `case` reports that `order`'s parcel never arrived (lost_parcel) or arrived
    damaged, in the customer's own words on the case or on their behalf by an agent (`actor`).
    Decides at once under the shop's policy and tells the customer. Idempotent: a second report of
    the same problem for the order returns the first. Raises CareError, writing nothing, for an
    order of another customer, one that has not been shipped (or was cancelled or refunded), or a
    problem it cannot have yet (`reportable_problems`)."""
    if problem not in REPORTED_PROBLEMS:
        raise CareError(_("Unknown problem."))
    if order.customer_id != case.customer_id:
        raise CareError(_("The order belongs to another customer."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    existing = ParcelReport.objects.filter(order=order, problem=problem).first()
    if existing is not None:
        return existing
    if order.status not in _SENT:
        message = _(
            "Order %(number)s has not been shipped, or was cancelled or refunded: no parcel to report."
        )
        raise CareError(message % {"number": order.number})
    if problem not in reportable_problems(order):
        if problem == PolicyKind.DAMAGED:
            raise CareError(
                _("The parcel has not been delivered yet: a damaged item is reported once it arrives.")
            )
        raise CareError(
            _("The parcel is on its way and not late: it can be reported once its delivery day has passed.")
        )
    now = clock.now()
    policy, trust = policy_for(problem), trust_of(order, now=now)
    report = ParcelReport.objects.create(
        case=case,
        order=order,
        problem=problem,
        state=ReportState.IN_REVIEW,
        trust_score=trust.score,
        assessment={"trust": trust.parts},
        created_at=now,
    )
    record_event(
        case,
        "care.parcel_reported",
        actor=actor,
        actor_label="" if actor else CareActor.CARE,
        report_id=report.pk,
        order=order.number,
        problem=problem,
        trust_score=trust.score,
    )
    if problem == PolicyKind.LOST_PARCEL:
        _open_claim(report, actor)
    if policy.require_photo and not has_photo(case):
        _move(report, ReportState.AWAITING_PHOTO)
        _tell(report, "photo")
        return report
    return _assess(report, policy, trust, actor=actor)


def _assess(report: ParcelReport, policy: ResolutionPolicy, trust: Trust, *, actor: Any) -> ParcelReport:
    """Resolve on the spot, or send to review with a promised decision date."""
    order = report.order
    offered = remedies(policy, order)
    reasons = within_policy(policy, order, trust, offered)
    report.assessment = {
        **report.assessment,
        "policy": {
            "kind": policy.kind,
            "automatic": policy.is_active,
            "min_trust_score": policy.min_trust_score,
            "max_order_total": str(policy.max_order_total) if policy.max_order_total is not None else None,
            "review_business_days": policy.review_business_days,
        },
        "review_because": reasons,
    }
    if not reasons:
        report.auto_resolved = True
        report.save(update_fields=["assessment", "auto_resolved"])
        return _offer(report, offered, actor=actor)
    decision_by = business_days_later(report.case, policy.review_business_days)
    report.decision_due_on = timezone.localtime(decision_by).date()
    report.state = ReportState.IN_REVIEW
    report.save(update_fields=["assessment", "decision_due_on", "state"])
    promises.promise(report.case, StepKind.REVIEW, decision_by, order=order, report=report)
    record_event(
        report.case,
        "care.report_in_review",
        actor_label=CareActor.CARE,
        report_id=report.pk,
        because=reasons,
        decision_due_on=report.decision_due_on.isoformat(),
    )
    _tell(report, "review")
    return report


def _offer(report: ParcelReport, offered: list[str], *, actor: Any) -> ParcelReport:
    """The report may be resolved with the remedies `offered`: one is applied at once, two are the
    customer's choice (told by message, chosen there or in the portal)."""
    _move(report, ReportState.AWAITING_CHOICE)
    if len(offered) == 1:
        return choose(report, offered[0], actor=actor)
    record_event(report.case, "care.remedy_offered", actor_label=CareActor.CARE, report_id=report.pk)
    _tell(report, "choice", offered=offered)
    return report


def offered_remedies(report: ParcelReport) -> list[str]:
    """What the customer may choose now; empty unless the report waits for their choice."""
    if report.state != ReportState.AWAITING_CHOICE:
        return []
    return remedies(policy_for(report.problem), report.order)


@transaction.atomic
def choose(report: ParcelReport, remedy: str, *, actor: Any = None) -> ParcelReport:
    """Apply the remedy chosen (by the customer, or an agent for them): the replacement order or
    the refund of what is left of the payment, keyed by the report so it is made once. Choosing
    again returns the report as it is; another remedy than the one chosen, or one the policy does
    not offer now, raises CareError."""
    report = ParcelReport.objects.select_for_update().select_related("order", "case").get(pk=report.pk)
    if report.state == ReportState.RESOLVED:
        if report.remedy == remedy:
            return report
        raise CareError(_("This report was already resolved."))
    if remedy not in offered_remedies(report):
        raise CareError(_("This remedy is not available for this report."))
    order, case = report.order, report.case
    reason = _("Parcel report %(id)s: %(problem)s") % {
        "id": report.pk,
        "problem": report.get_problem_display(),
    }
    if remedy == Remedy.RESHIP:
        report.reshipment = commerce.reship(
            order, idempotency_key=f"care-report-{report.pk}-reship", actor=actor, reason=reason, case=case
        )
    else:
        report.refund = commerce.request_refund(
            order,
            amount=commerce.refundable_amount(order),
            idempotency_key=f"care-report-{report.pk}-refund",
            actor=actor,
            reason=reason,
            case=case,
        )
    report.remedy, report.chosen_at, report.state = remedy, clock.now(), ReportState.RESOLVED
    report.save(update_fields=["reshipment", "refund", "remedy", "chosen_at", "state"])
    record_event(
        case,
        "care.remedy_chosen",
        actor=actor,
        actor_label="" if actor else CareActor.CARE,
        report_id=report.pk,
        remedy=remedy,
    )
    return report


@transaction.atomic
def decide(report: ParcelReport, *, approve: bool, agent: Agent, note: str = "") -> ParcelReport:
    """An agent's decision on a report in review: approved, the customer is offered the remedies
    (or given the only one); declined, they are told why (`note`, required). The review's promised
    step is kept either way. Raises CareError unless the report is in review."""
    report = ParcelReport.objects.select_for_update().select_related("order", "case").get(pk=report.pk)
    if report.state not in (ReportState.IN_REVIEW, ReportState.AWAITING_PHOTO):
        raise CareError(_("This report is not waiting for a decision."))
    note = note.strip()
    if not approve and not note:
        raise CareError(_("Say why the report is declined: the customer is told."))
    report.decided_by, report.decided_at = agent, clock.now()
    report.save(update_fields=["decided_by", "decided_at"])
    promises.keep(report.pending_steps.filter(kind=StepKind.REVIEW, done_at__isnull=True))
    record_event(
        report.case,
        "care.report_decided",
        actor=agent.user,
        report_id=report.pk,
        approved=approve,
        note=note[:500],
    )
    if approve:
        offered = remedies(policy_for(report.problem), report.order)
        if not offered:
            raise CareError(
                _("The policy offers no remedy for this order: refund or re-ship it from the order.")
            )
        return _offer(report, offered, actor=agent.user)
    _move(report, ReportState.DECLINED)
    _tell(report, "declined", note=note)
    return report


def photo_received(report: ParcelReport) -> ParcelReport:
    """The customer sent the photo a damaged item's policy asks for: the report is assessed."""
    with transaction.atomic():
        report = ParcelReport.objects.select_for_update().select_related("order", "case").get(pk=report.pk)
        if report.state != ReportState.AWAITING_PHOTO:
            return report
        record_event(
            report.case, "care.report_photo_received", actor_label=CareActor.CARE, report_id=report.pk
        )
        return _assess(report, policy_for(report.problem), trust_of(report.order), actor=None)


def has_photo(case: Case) -> bool:
    return Attachment.objects.filter(
        message__case=case, message__direction=Direction.INBOUND, content_type__startswith="image/"
    ).exists()


def on_case_changed(sender, *, case: Case, action: str, **kwargs) -> None:
    """A customer's message on a case whose damaged-item report waits for a photo: once it is
    committed with its attachments, look for the photo."""
    if action != "case.message_received":
        return
    waiting = list(case.parcel_reports.filter(state=ReportState.AWAITING_PHOTO))
    if waiting:
        transaction.on_commit(lambda: _look_for_photo(case.pk))


def _look_for_photo(case_id: int) -> None:
    case = Case.objects.get(pk=case_id)
    if not has_photo(case):
        return
    for report in case.parcel_reports.filter(state=ReportState.AWAITING_PHOTO):
        photo_received(report)


# --- Cancellations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancellationAnswer:
    """What became of a customer's wish to cancel: `cancellation` asked of the shop at once (the
    card authorisation voided), `instructions` to return a shipped order, or neither (an agent
    answers: the policy does not act alone, or the shop takes no actions from Premura)."""

    cancellation: Any = None
    instructions: str = ""


def cancel_on_request(case: Case, order: Order) -> CancellationAnswer:
    """The customer of `case` asks to cancel `order`. Before shipment, under an automatic policy,
    it is cancelled at once (commerce.services.cancel: an uncaptured authorisation is voided, the
    customer's confirmation follows); after shipment, an automatic policy sends its return
    instructions. Otherwise nothing is done here and an agent answers. Raises CareError for an
    order of another customer; commerce's OrderError when the shop refuses."""
    if order.customer_id != case.customer_id:
        raise CareError(_("The order belongs to another customer."))
    if order.status in (OrderStatus.PENDING, OrderStatus.PAID):
        policy = policy_for(PolicyKind.CANCEL_BEFORE_SHIPMENT)
        if not policy.is_active or commerce.shop_connection(order) is None:
            return CancellationAnswer()
        cancellation = commerce.cancel(
            order,
            idempotency_key=f"care-cancel-{order.pk}",
            actor=None,
            reason=_("The customer asked to cancel before shipment"),
            case=case,
        )
        return CancellationAnswer(cancellation=cancellation)
    policy = policy_for(PolicyKind.CANCEL_AFTER_SHIPMENT)
    if order.status not in _SENT or not policy.is_active or not policy.return_instructions.strip():
        return CancellationAnswer()
    instructions = policy.return_instructions.strip()
    try:
        channels.send(
            case,
            OutboundKind.NOTICE,
            "care/emails/return",
            {"order_number": order.number, "instructions": instructions},
            dedupe_key=f"care-return:{order.pk}",
        )
    except NoRecipient:
        record_event(case, "care.return_not_told", actor_label=CareActor.CARE, order=order.number)
    return CancellationAnswer(instructions=instructions)


# --- The carrier claim and the customer's messages --------------------------------------------------


def _open_claim(report: ParcelReport, actor: Any) -> None:
    """A lost parcel is claimed from the carrier, whatever the customer is given: a task for the
    agent while no carrier connector takes claims (decision 0028)."""
    task, created = CarrierTask.objects.get_or_create(
        report=report,
        action=CarrierAction.CLAIM,
        done_at=None,
        defaults={"requested_by": getattr(actor, "agent", None), "created_at": clock.now()},
    )
    if created:
        record_event(
            report.case,
            "care.carrier_task",
            actor_label=CareActor.CARE,
            task_id=task.pk,
            kind=CarrierAction.CLAIM,
        )


def _move(report: ParcelReport, state: str) -> None:
    report.state = state
    report.save(update_fields=["state"])


def _tell(report: ParcelReport, step: str, *, note: str = "", offered: list[str] | None = None) -> None:
    """Tell the customer where their report stands (`step`: photo, review, choice with the
    remedies `offered`, declined), once per report and step."""
    case, order = report.case, report.order
    policy = policy_for(report.problem)
    today = timezone.localtime(clock.now()).date()
    keep_it = (
        report.problem == PolicyKind.LOST_PARCEL
        and policy.keep_if_found_below is not None
        and order.total < policy.keep_if_found_below
    )
    context = {
        "step": step,
        "report": report,
        "order": order,
        "order_number": order.number,
        "problem": report.problem,
        "decision_by": date_phrase(report.decision_due_on, language_of(case), today=today)
        if report.decision_due_on
        else "",
        "remedies": offered or [],
        "keep_if_found": keep_it,
        "note": note,
        "refund_days": settings.REFUND_ARRIVAL_DAYS,
    }
    try:
        channels.send(
            case, OutboundKind.NOTICE, REPORT_TEMPLATE, context, dedupe_key=f"care-report:{report.pk}:{step}"
        )
    except NoRecipient:
        record_event(case, "care.report_not_told", actor_label=CareActor.CARE, report_id=report.pk, step=step)
