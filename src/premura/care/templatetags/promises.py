"""Kept promises in templates (care.promises): `{% waiting_steps case_or_order as steps %}`, the
steps a customer waits on, each with `overdue`; `{{ step|promise_day }}`, its date in the active
language on the shop's calendar (or an event's ISO instant's); `{{ value|step_label }}`, a step
kind stored in an event."""

import datetime

from django import template
from django.utils import translation

from premura.care.display import date_phrase, shop_today
from premura.care.models import PendingStep, StepKind
from premura.care.promises import promised_day
from premura.care.queries import open_steps, steps_for_order
from premura.commerce.models import Order
from premura.conversations.models import Case
from premura.core import clock

register = template.Library()


@register.simple_tag
def waiting_steps(subject: Case | Order) -> list[PendingStep]:
    steps = list(open_steps(subject) if isinstance(subject, Case) else steps_for_order(subject))
    now = clock.now()
    for step in steps:
        step.overdue = step.expected_by < now
    return steps


@register.filter
def promise_day(value: PendingStep | str) -> str:
    """A step's promised day, or that of an instant stored in an event (ISO 8601)."""
    if isinstance(value, str):
        try:
            value = PendingStep(expected_by=datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    return date_phrase(promised_day(value), translation.get_language(), today=shop_today())


@register.filter
def step_label(value: str) -> str:
    try:
        return StepKind(value).label
    except ValueError:
        return value
