"""The read side of care: the incident panel on the case page and the incidents of the day."""

import datetime

from django.db.models import Count, F, Q, QuerySet

from premura.care.models import Grant, Incident
from premura.conversations.models import Case


def incident_for_case(case: Case) -> Incident | None:
    """The case's incident with its shipment, notices (and their outbox rows) and grant."""
    incident = (
        Incident.objects.filter(case=case)
        .select_related("shipment__carrier")
        .prefetch_related("notices__outbound")
        .first()
    )
    if incident is not None:
        incident.granted = Grant.objects.filter(incident=incident).first()
    return incident


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
