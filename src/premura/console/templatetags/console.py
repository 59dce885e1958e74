from django import template

from premura.agents.models import Agent
from premura.channels.queries import unreadable_count
from premura.conversations.models import CaseStatus, Priority
from premura.core.models import AuditEvent

register = template.Library()

# The header's "could not read" badge stops counting here ("99+"): a bounded index scan per page.
UNREADABLE_BADGE_CAP = 99


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


@register.simple_tag
def unreadable_badge() -> str:
    """The header badge of the "could not read" list: "" when every message could be read, else
    the count, "99+" above UNREADABLE_BADGE_CAP."""
    count = unreadable_count(UNREADABLE_BADGE_CAP)
    if count == 0:
        return ""
    return f"{UNREADABLE_BADGE_CAP}+" if count > UNREADABLE_BADGE_CAP else str(count)


@register.filter
def raw_email_of(raw_emails: dict, message) -> int | None:
    """The id of the stored e-mail `message` came in, from the case page's `raw_emails`."""
    return raw_emails.get(message.pk)
