"""The read side of care: the incident panel on the case page."""

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
