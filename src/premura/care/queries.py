"""The read side of care: the incident panel on the case page, the customer's grants, the
incidents of the day, the report's measures and the steps the customer waits on."""

import dataclasses
import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum

from premura.care.models import Approval, CarrierTask, Compensation, Grant, Incident, Notice, PendingStep
from premura.care.parcel import new_date_range
from premura.channels.models import OutboundStatus
from premura.commerce.models import Order
from premura.conversations.models import Case
from premura.customers.models import Customer


def incident_for_case(case: Case) -> Incident | None:
    """The case's incident with its shipment, notices (and their outbox rows) and grant."""
    incident = (
        Incident.objects.filter(case=case)
        .select_related("shipment__carrier")
        .prefetch_related("notices__outbound", "carrier_tasks__requested_by", "carrier_tasks__done_by")
        .first()
    )
    if incident is not None:
        incident.granted = (
            Grant.objects.filter(incident=incident).select_related("decided_by", "refund", "coupon").first()
        )
        incident.new_date_range = new_date_range()  # the date field's min and max
    return incident


def customer_grants(customer: Customer, *, limit: int = 20) -> list[Grant]:
    """What the shop gave the customer for its incidents, newest first (the customer card)."""
    return list(
        Grant.objects.filter(incident__shipment__order__customer=customer)
        .select_related("incident__shipment__order", "coupon")
        .order_by("-created_at", "-pk")[:limit]
    )


def todays_incidents(
    *, today_starts_at: datetime.datetime, situation: str = "", carrier_id: int | None = None
) -> QuerySet[Incident]:
    """The desk's incidents of the day: every one still open, and those opened since the start of
    today; soonest promised date first (the parcels whose promise is closest)."""
    incidents = Incident.objects.filter(Q(closed_at__isnull=True) | Q(opened_at__gte=today_starts_at))
    if situation:
        incidents = incidents.filter(situation=situation)
    if carrier_id:
        incidents = incidents.filter(shipment__carrier_id=carrier_id)
    return incidents.select_related("shipment__carrier", "shipment__order", "case__owner").order_by(
        F("shipment__promised_delivery_date").asc(nulls_last=True), "pk"
    )


def open_carrier_tasks(*, limit: int) -> list[CarrierTask]:
    """The requests to carriers that agents still have to make (decision 0028), oldest first:
    the desk's to-do list on the incidents page."""
    return list(
        CarrierTask.objects.filter(done_at__isnull=True)
        .select_related(
            "incident__shipment__carrier", "incident__shipment__order", "report__order", "requested_by"
        )
        .order_by("created_at", "pk")[:limit]
    )


def incident_counts(
    incidents: QuerySet[Incident],
) -> tuple[list[tuple[str, int]], list[tuple[int, str, int]]]:
    """(situation, count) and (carrier id, carrier name, count) over `incidents`, most first."""
    by_situation = (
        incidents.order_by()
        .values_list("situation")
        .annotate(count=Count("pk"))
        .order_by("-count", "situation")
    )
    by_carrier = (
        incidents.order_by()
        .values_list("shipment__carrier_id", "shipment__carrier__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "shipment__carrier__name")
    )
    return list(by_situation), list(by_carrier)


@dataclasses.dataclass(frozen=True)
class Report:
    """Care's measures over the incidents opened in a period (the console's care report)."""

    incidents: int
    by_carrier: list[tuple[str, int]]
    # Incidents whose customer got a first notice sent on or before the promised date, after it.
    told_in_time: int
    told_late: int
    # Incidents whose customer wrote about the order before we told them.
    customer_first: int
    # (compensation, value, currency, how many, their total: None for a percentage).
    grants: list[tuple[str, Decimal, str, int, Decimal | None]]


def period_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants from the start of `first` to the end of `last` in the shop's time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.datetime.combine(first, datetime.time(), tzinfo=zone),
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=zone),
    )


def care_report(first: datetime.date, last: datetime.date) -> Report:
    """The measures over the incidents opened from `first` to `last` (days in the shop's zone).

    A customer was told in time when the first notice of the incident that left the outbox left
    on or before the promised day (the shop's calendar day); late, after it. Incidents without a
    sent notice or without a promised date count in neither. Grants: those not declined."""
    starts, ends = period_bounds(first, last)
    incidents = Incident.objects.filter(opened_at__gte=starts, opened_at__lt=ends)
    by_carrier = (
        incidents.order_by()
        .values_list("shipment__carrier__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "shipment__carrier__name")
    )
    first_sent = (
        Notice.objects.filter(incident=OuterRef("pk"), outbound__status=OutboundStatus.SENT)
        .order_by()
        .values("incident")
        .annotate(at=Min("outbound__sent_at"))
        .values("at")
    )
    promised_ends = {
        promised: period_bounds(promised, promised)[1]
        for promised in incidents.exclude(shipment__promised_delivery_date=None)
        .values_list("shipment__promised_delivery_date", flat=True)
        .distinct()
    }
    told_in_time = told_late = 0
    for promised, sent_at in (
        incidents.exclude(shipment__promised_delivery_date=None)
        .annotate(sent_at=Subquery(first_sent))
        .exclude(sent_at=None)
        .values_list("shipment__promised_delivery_date", "sent_at")
    ):
        if sent_at < promised_ends[promised]:
            told_in_time += 1
        else:
            told_late += 1
    grants = (
        Grant.objects.filter(incident__in=incidents)
        .exclude(compensation=Compensation.NOTHING)
        .exclude(approval=Approval.DECLINED)
        .order_by()
        .values_list("compensation", "value", "currency")
        .annotate(count=Count("pk"), total=Sum("value"))
        .order_by("compensation", "currency", "value")
    )
    return Report(
        incidents=incidents.count(),
        by_carrier=list(by_carrier),
        told_in_time=told_in_time,
        told_late=told_late,
        customer_first=incidents.filter(customer_wrote_first=True).count(),
        grants=[
            (kind, value, currency, count, None if kind == Compensation.COUPON_PERCENT else total)
            for kind, value, currency, count, total in grants
        ],
    )


def open_steps(case: Case) -> QuerySet[PendingStep]:
    """The steps the case's customer still waits on (care.promises), soonest promised first."""
    return PendingStep.objects.filter(case=case, done_at__isnull=True).select_related("refund")


def steps_for_order(order: Order) -> QuerySet[PendingStep]:
    """The steps the order's customer still waits on, across their cases about the order."""
    return PendingStep.objects.filter(
        order=order, case__customer_id=order.customer_id, done_at__isnull=True
    ).select_related("refund")
