"""The promised time in words: in the customer's language, in the shop's time zone (Babel, CLDR
data), as the acknowledgement, the portal and `premura sla_promise` say it:
"entro lunedì 7 dicembre alle 13:00" / "by Monday 7 December at 13:00"."""

import datetime

from babel.dates import format_date, format_time
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

from premura.core import clock
from premura.sla.services import Promise


def spoken_language(language: str) -> str:
    """`language` when Premura speaks it, else the installation's own."""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def deadline_phrase(promise: Promise, language: str, *, now: datetime.datetime | None = None) -> str:
    """ "lunedì 7 dicembre alle 13:00": the weekday, the day, the month (and the year when it is
    not this year's) and the time, in the promise's time zone."""
    language = spoken_language(language)
    local = promise.due_at.astimezone(promise.time_zone)
    this_year = (now or clock.now()).astimezone(promise.time_zone).year
    pattern = "EEEE d MMMM" if local.year == this_year else "EEEE d MMMM y"
    day = format_date(local.date(), pattern, locale=language)
    time = format_time(local.time(), "HH:mm", locale=language)
    with translation.override(language):
        return pgettext("a deadline: its day, then its time", "%(day)s at %(time)s") % {
            "day": day,
            "time": time,
        }


def promise_sentence(promise: Promise, language: str, *, now: datetime.datetime | None = None) -> str:
    """ "entro lunedì 7 dicembre alle 13:00" / "by Monday 7 December at 13:00"."""
    phrase = deadline_phrase(promise, language, now=now)
    with translation.override(spoken_language(language)):
        return gettext("by %(deadline)s") % {"deadline": phrase}
