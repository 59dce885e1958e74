from django import template

from premura.conversations.models import CaseStatus, Priority

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
