"""An agent's actions on one incident's parcel and its grant (docs/architecture.md, "Care: the
agent's actions"): ask the carrier to deliver again, to redirect to a pickup point or to deliver
on a new date, each a task for the agent while no carrier connector takes them (decision 0028);
approve or decline a partial refund. Each is recorded on the case's timeline. The callers hold
the case's row lock (the console's `access_case(..., lock=True)`)."""

import datetime

from django.utils.translation import gettext as _

from premura.agents.models import Agent
from premura.care import services
from premura.care.display import shop_today
from premura.care.exceptions import CareError
from premura.care.models import Approval, CarrierAction, CarrierTask, Compensation, Grant, Incident
from premura.commerce.services import request_refund
from premura.core import clock
from premura.core.audit import record_event
from premura.core.text import single_line

# How far ahead a new delivery date may be set: a carrier keeps a parcel about two weeks.
MAX_DAYS_AHEAD = 30
MAX_POINT_LENGTH = 200


def new_date_range() -> tuple[datetime.date, datetime.date]:
    """The first and last day a new delivery date may be set to: today to MAX_DAYS_AHEAD on."""
    today = shop_today()
    return today, today + datetime.timedelta(days=MAX_DAYS_AHEAD)


def open_incident_of(incident: Incident) -> Incident:
    """The incident, locked; refused once the parcel's story has ended."""
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("case", "shipment")
        .get(pk=incident.pk)
    )
    if incident.closed_at is not None:
        raise CareError(_("The incident is closed: the parcel was delivered, lost or returned."))
    return incident


def ask_carrier(
    incident: Incident,
    action: str,
    agent: Agent,
    *,
    pickup_point: str = "",
    delivery_date: datetime.date | None = None,
) -> CarrierTask:
    """Record what `agent` asks the carrier to do with the parcel as a task for the agent, and on
    the timeline. The open task of the same action is reused: the same request again (a double
    click) changes nothing, another point or date replaces the one asked before."""
    if action not in CarrierAction.values:
        raise CareError(_("Unknown carrier action."))
    incident = open_incident_of(incident)
    pickup_point, delivery_date = _checked(action, pickup_point, delivery_date)
    task = CarrierTask.objects.filter(incident=incident, action=action, done_at__isnull=True).first()
    if task is not None and (task.pickup_point, task.delivery_date) == (pickup_point, delivery_date):
        return task
    if task is None:
        task = CarrierTask(incident=incident, action=action, created_at=clock.now())
    task.pickup_point, task.delivery_date, task.requested_by = pickup_point, delivery_date, agent
    task.save()
    record_event(
        incident.case,
        "care.carrier_task",
        actor=agent.user,
        task_id=task.pk,
        kind=action,
        pickup_point=pickup_point,
        delivery_date=delivery_date.isoformat() if delivery_date else None,
    )
    if action == CarrierAction.NEW_DATE:
        set_expected_date(incident, delivery_date)
    return task


def _checked(
    action: str, pickup_point: str, delivery_date: datetime.date | None
) -> tuple[str, datetime.date | None]:
    """The action's own input, checked: a pickup point for a redirect, a date for a new date."""
    if action == CarrierAction.PICKUP_POINT:
        point = single_line(pickup_point.strip(), field=_("pickup point"), error=CareError)
        if not point or len(point) > MAX_POINT_LENGTH:
            raise CareError(
                _("Name the pickup point (its name and address, at most %(max)d characters).")
                % {"max": MAX_POINT_LENGTH}
            )
        return point, None
    if action == CarrierAction.NEW_DATE:
        first, last = new_date_range()
        if delivery_date is None or not first <= delivery_date <= last:
            raise CareError(
                _("The new delivery date must be between today and %(days)d days from now.")
                % {"days": MAX_DAYS_AHEAD}
            )
        return "", delivery_date
    return "", None


def set_expected_date(incident: Incident, day: datetime.date) -> None:
    """The parcel is now expected on `day`: the incident's date moves and the customer hears it if
    it is news (a day or more from what they were told; `services.notify`). A later signal from
    the carrier's tracking moves it again, as any signal does."""
    if incident.expected_date == day:
        return
    incident.expected_date = day
    incident.save(update_fields=["expected_date"])
    services.notify(incident, situation=incident.situation, expected_date=day)


def finish_task(task: CarrierTask, agent: Agent) -> CarrierTask:
    """The agent did what the task asked of the carrier. Done twice is done once."""
    task = (
        CarrierTask.objects.select_for_update(of=("self",))
        .select_related("incident__case", "report__case")
        .get(pk=task.pk)
    )
    if task.done_at is not None:
        return task
    task.done_at, task.done_by = clock.now(), agent
    task.save(update_fields=["done_at", "done_by"])
    record_event(task.case, "care.carrier_task_done", actor=agent.user, task_id=task.pk, kind=task.action)
    return task


def _awaiting(grant: Grant) -> Grant:
    """The grant, locked, if it is a partial refund awaiting approval; decided already: as it is."""
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("incident__case", "incident__shipment__order")
        .get(pk=grant.pk)
    )
    if grant.compensation != Compensation.PARTIAL_REFUND or not grant.approval:
        raise CareError(_("This compensation needs no approval."))
    return grant


def refund_key(grant: Grant) -> str:
    """The refund's idempotency key: one grant, one refund, however often it is approved."""
    return f"care-grant-{grant.pk}"


def approve_refund(grant: Grant, agent: Agent) -> Grant:
    """Approve the grant's partial refund: `commerce.services.request_refund` for the order, keyed
    by the grant (a double click or a retry refunds once). Approved already: nothing more.
    Raises CareError when it was declined, the order's RefundError when the payment refuses."""
    grant = _awaiting(grant)
    if grant.approval == Approval.APPROVED:
        return grant
    if grant.approval == Approval.DECLINED:
        raise CareError(_("This refund was declined."))
    order = grant.incident.shipment.order
    refund = request_refund(
        order,
        amount=grant.value,
        idempotency_key=refund_key(grant),
        reason=_("Apology for the delivery of order %(number)s") % {"number": order.number},
        actor=agent.user,
    )
    grant.approval, grant.decided_by, grant.decided_at, grant.refund = (
        Approval.APPROVED,
        agent,
        clock.now(),
        refund,
    )
    grant.save(update_fields=["approval", "decided_by", "decided_at", "refund"])
    record_event(
        grant.incident.case,
        "care.refund_approved",
        actor=agent.user,
        grant_id=grant.pk,
        refund_id=refund.pk,
        amount=str(refund.amount),
        currency=refund.currency,
    )
    return grant


def decline_refund(grant: Grant, agent: Agent) -> Grant:
    """Decline the grant's partial refund; declined already: nothing more. Refused once approved
    (the refund is requested: the order's refunds say what happens to it)."""
    grant = _awaiting(grant)
    if grant.approval == Approval.DECLINED:
        return grant
    if grant.approval == Approval.APPROVED:
        raise CareError(_("This refund was approved already."))
    grant.approval, grant.decided_by, grant.decided_at = Approval.DECLINED, agent, clock.now()
    grant.save(update_fields=["approval", "decided_by", "decided_at"])
    record_event(
        grant.incident.case,
        "care.refund_declined",
        actor=agent.user,
        grant_id=grant.pk,
        amount=str(grant.value),
        currency=grant.currency,
    )
    return grant
