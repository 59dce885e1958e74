import datetime

from django import template
from django.utils.translation import pgettext

from premura.agents import access
from premura.agents.models import Agent
from premura.agents.queries import unread_notification_count
from premura.care.models import CareActor, CarrierAction, Situation
from premura.channels.queries import unreadable_count
from premura.conversations.models import Case, CaseStatus, Priority
from premura.core.audit import SYSTEM_ACTOR
from premura.core.models import AuditEvent
from premura.shipping.models import ExceptionReason
from premura.sla.countdown import countdown
from premura.sla.models import Target

register = template.Library()

# The header's badges stop counting here ("99+"): a bounded index scan per page.
UNREADABLE_BADGE_CAP = 99
NOTIFICATION_BADGE_CAP = 99


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
def actor_name(event: AuditEvent) -> str:
    """Who did what an event records, as the timeline names them: the name kept with the event,
    and, in the page's language, what no person did: Premura itself (the assignment rules, the
    SLA sweeper), which the audit log stores as "system", and care's tracking and proactive care,
    stored as their `CareActor` value."""
    if event.actor_id is None:
        if event.actor_label == SYSTEM_ACTOR:
            return pgettext("the actor of an automatic change", "Premura")
        if event.actor_label in CareActor.values:
            return str(CareActor(event.actor_label).label)
    return event.actor_label


@register.filter
def situation_label(value: str) -> str:
    """The translated label of an incident's situation stored in an event (care)."""
    try:
        return Situation(value).label
    except ValueError:
        return value


@register.filter
def carrier_action_label(value: str) -> str:
    """The translated name of what an agent asked a carrier (care), stored in an event."""
    try:
        return CarrierAction(value).label
    except ValueError:
        return value


@register.filter
def exception_reason_label(value: str) -> str:
    try:
        return ExceptionReason(value).label
    except ValueError:
        return value


@register.filter
def iso_day(value: str) -> datetime.date | None:
    """An ISO 8601 date stored in an event's data, as a date."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


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


@register.simple_tag
def notification_badge(agent: Agent) -> str:
    """The header badge of the agent's unread notifications: "" when none, "99+" above the cap."""
    count = unread_notification_count(agent, NOTIFICATION_BADGE_CAP)
    if count == 0:
        return ""
    return f"{NOTIFICATION_BADGE_CAP}+" if count > NOTIFICATION_BADGE_CAP else str(count)


@register.inclusion_tag("console/sla_badge.html")
def sla_badge(case: Case, now) -> dict:
    """The case's SLA countdown (premura.sla.countdown), from its columns only: nothing when no
    clock runs on it."""
    return {"countdown": countdown(case, now)}


@register.filter
def target_label(value: str) -> str:
    """The translated name of an SLA target stored as its value (first_response...)."""
    try:
        return Target(value).label
    except ValueError:
        return value


@register.filter
def iso_instant(value: str):
    """An ISO 8601 instant stored in an event's or notification's data, as a datetime."""
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def is_manager(agent: Agent) -> bool:
    """Whether the agent sees the managers' pages (the carrier scorecard)."""
    return access.is_manager(agent)
