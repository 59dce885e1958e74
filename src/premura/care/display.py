"""Dates in the customer's words (Babel, CLDR data), as sla.display phrases deadlines:
"giovedì 10 dicembre" / "Thursday 10 December", with the year only when it is not this one."""

import datetime
import zoneinfo

from babel.dates import format_date
from django.conf import settings

from premura.core import clock
from premura.sla.display import spoken_language


def shop_today() -> datetime.date:
    """Today on the shop's calendar (settings.TIME_ZONE)."""
    return clock.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def date_phrase(day: datetime.date, language: str, *, today: datetime.date) -> str:
    pattern = "EEEE d MMMM" if day.year == today.year else "EEEE d MMMM y"
    return format_date(day, pattern, locale=spoken_language(language))
