"""Dates in the customer's words (Babel, CLDR data), as sla.display phrases deadlines:
"giovedì 10 dicembre" / "Thursday 10 December", with the year only when it is not this one."""

import datetime

from babel.dates import format_date

from premura.sla.display import spoken_language


def date_phrase(day: datetime.date, language: str, *, today: datetime.date) -> str:
    pattern = "EEEE d MMMM" if day.year == today.year else "EEEE d MMMM y"
    return format_date(day, pattern, locale=spoken_language(language))
