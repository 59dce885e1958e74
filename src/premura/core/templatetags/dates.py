"""Dates with the month abbreviated, for dense lists: "9 dic 2026, 14:05" in Italian, "9 Dec 2026,
14:05" in English. The patterns are Premura's own format names in premura/formats/<lang>/formats.py
(Django's `date` filter knows only its own names, and its "M" is always capitalised).
"""

import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import formats, translation

register = template.Library()

FALLBACK = {
    "SHORT_MONTH_DATE_FORMAT": "j M Y",
    "SHORT_MONTH_DATETIME_FORMAT": "j M Y, H:i",
    "SHORT_MONTH_DAY_FORMAT": "j M",
    "SHORT_MONTH_DAY_TIME_FORMAT": "j M, H:i",
}


def premura_format(name: str) -> str:
    """The pattern called `name` in the active language's format module, else the fallback."""
    for module in formats.get_format_modules(translation.get_language()):
        pattern = getattr(module, name, None)
        if pattern:
            return pattern
    return FALLBACK[name]


def _render(value: datetime.date | datetime.datetime | None, name: str) -> str:
    return date_filter(value, premura_format(name)) if value else ""


@register.filter(expects_localtime=True)
def short_date(value):
    """ "9 dic 2026" """
    return _render(value, "SHORT_MONTH_DATE_FORMAT")


@register.filter(expects_localtime=True)
def short_datetime(value):
    """ "9 dic 2026, 14:05" """
    return _render(value, "SHORT_MONTH_DATETIME_FORMAT")


@register.filter(expects_localtime=True)
def day_month(value):
    """ "9 dic" """
    return _render(value, "SHORT_MONTH_DAY_FORMAT")


@register.filter(expects_localtime=True)
def day_month_time(value):
    """ "9 dic, 14:05" """
    return _render(value, "SHORT_MONTH_DAY_TIME_FORMAT")
