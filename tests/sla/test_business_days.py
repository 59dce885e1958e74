"""A promise "within N business days" (care's decision on a parcel report) ends at the close of
the N-th open day after today, on the business calendar (sla.calendar.close_of_business_day)."""

import datetime
import zoneinfo

import pytest

from premura.sla.calendar import Schedule, close_of_business_day
from premura.sla.exceptions import CalendarNeverOpen
from premura.sla.models import italian_holidays

ROME = zoneinfo.ZoneInfo("Europe/Rome")
NINE_TO_SIX = ((datetime.time(9), datetime.time(18)),)
WEEK = Schedule(
    time_zone=ROME, weekly=(NINE_TO_SIX,) * 5 + ((), ()), is_holiday=italian_holidays().__contains__
)


def at(day: int, hour: int, month: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=ROME)


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (at(4, 11), 3, at(10, 18)),  # Friday: Mon 7, (Tue 8 a holiday), Wed 9, Thu 10
        (at(1, 8), 1, at(2, 18)),  # Tuesday before opening: today does not count
        (at(1, 20), 2, at(3, 18)),
        (at(5, 10), 1, at(7, 18)),  # asked on Saturday
        (at(1, 12), 0, at(1, 18)),  # 0: today's close while open
        (at(1, 19), 0, at(2, 18)),  # 0 after closing: tomorrow's
        (at(23, 12), 2, at(28, 18)),  # Christmas and Santo Stefano are closed
    ],
)
def test_the_close_of_the_nth_business_day(start, days, end):
    assert close_of_business_day(WEEK, start, days) == end


def test_a_calendar_never_open_is_an_error():
    closed = Schedule(time_zone=ROME, weekly=((),) * 7)
    with pytest.raises(CalendarNeverOpen):
        close_of_business_day(closed, at(1, 12), 1)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        close_of_business_day(WEEK, datetime.datetime(2026, 12, 1, 12), 1)
