from django import template

from premura.agents.models import Agent
from premura.conversations.models import CaseStatus, Priority
from premura.core.models import AuditEvent

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The translated label of a case status stored as its value (e.g. in an audit event)."""
    try:
        return CaseStatus(value).label
    except ValueError:
        return value


@register.filter
def priority_label(value: str) -> str:
    try:
        return Priority(value).label
    except ValueError:
        return value


@register.filter
def took_the_case(event: AuditEvent) -> bool:
    """Whether a "case.assigned" event gave the case to the person who did it ("Marco took the
    case", not "Marco assigned the case to Marco"): the owner recorded is the actor's agent."""
    owner_id = event.data.get("owner_id")
    if event.actor_id is None or owner_id is None:
        return False
    return Agent.objects.filter(pk=owner_id, user_id=event.actor_id).exists()


@register.filter
def outbound_of(deliveries: dict, message) -> object | None:
    """The outbox row that delivers `message` by e-mail, from the case page's `deliveries`."""
    return deliveries.get(message.pk)
