"""An office's SLA for tests: open Monday to Friday 9–18 in Rome without holidays, first response
in 4 business hours, next response in 2, resolution in 16, the owner warned at 75 %."""

import datetime
from zoneinfo import ZoneInfo

from premura.core import clock
from premura.sla import services
from premura.sla.models import Policy

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ROME)


# A Monday (7 December 2026: Sant'Ambrogio only in Milan, and this calendar keeps no holidays).
MONDAY_9 = rome(2026, 12, 7, 9)


def make_office_policy(**targets) -> Policy:
    """The office's calendar and one policy for every case; `targets` override the minutes."""
    with clock.frozen_at(MONDAY_9 - datetime.timedelta(days=7)):
        calendar = services.create_calendar(
            name="Ufficio",
            weekly_hours={day: [(datetime.time(9), datetime.time(18))] for day in range(5)},
            time_zone="Europe/Rome",
            public_holidays=False,
        )
        minutes = {"first_response_minutes": 240, "next_response_minutes": 120, "resolution_minutes": 16 * 60}
        return services.create_policy(name="Standard", calendar=calendar, position=10, **(minutes | targets))
