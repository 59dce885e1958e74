from django import template

from premura.sla.models import DeadlineState
from premura.sla.queries import cause_words

register = template.Library()


@register.filter
def sla_cause(cause: str) -> str:
    """Why a deadline moved, in words: "case.replied" → "an agent replied"."""
    return cause_words(cause)


@register.filter
def sla_state(state: str) -> str:
    return DeadlineState(state).label if state in DeadlineState.values else state
