"""The countdown badge of a case (docs/architecture.md, "SLA escalation"): read from the case's
columns alone, so a list of cases shows it without a query per row.

Green while the earliest deadline is ahead and its warning share not yet used, amber past the
share, red once the deadline has passed. The time shown is wall-clock time to the deadline: the
deadline itself is computed in business time, and what an agent needs is when it falls ("in 2 h";
Friday evening, "in 2 d 16 h" for Monday morning), which needs no calendar per row.
"""

import dataclasses
import datetime

from django.utils.translation import pgettext

from premura.conversations.models import Case

OK = "ok"
WARNING = "warning"
BREACHED = "breached"


@dataclasses.dataclass(frozen=True)
class Countdown:
    state: str  # OK, WARNING or BREACHED
    due_at: datetime.datetime
    left: datetime.timedelta  # negative once overdue

    @property
    def words(self) -> str:
        """ "45 min", "3 h 20 min", "2 d 4 h"; with a minus sign once overdue."""
        text = duration_words(abs(self.left))
        return f"−{text}" if self.left < datetime.timedelta(0) else text


def countdown(case: Case, now: datetime.datetime) -> Countdown | None:
    """The badge of `case` at `now`; None while no SLA clock runs on it."""
    if case.sla_due_at is None:
        return None
    if case.sla_due_at <= now:
        state = BREACHED
    elif case.sla_warn_at is not None and case.sla_warn_at <= now:
        state = WARNING
    else:
        state = OK
    return Countdown(state, case.sla_due_at, case.sla_due_at - now)


def duration_words(duration: datetime.timedelta) -> str:
    """A duration in at most two units, rounded down: minutes below an hour, hours and minutes
    below ten hours, hours below two days, then days and hours."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes_left = divmod(minutes, 60)
    days, hours_left = divmod(hours, 24)
    if hours == 0:
        return pgettext("time left", "%(minutes)d min") % {"minutes": minutes}
    if hours < 10:
        return pgettext("time left", "%(hours)d h %(minutes)d min") % {
            "hours": hours,
            "minutes": minutes_left,
        }
    if hours < 48:
        return pgettext("time left", "%(hours)d h") % {"hours": hours}
    return pgettext("time left", "%(days)d d %(hours)d h") % {"days": days, "hours": hours_left}
