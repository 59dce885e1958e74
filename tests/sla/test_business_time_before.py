"""Counting business time back from a deadline (sla.calendar.business_time_before): the warning
instant is "a quarter of the target before the deadline", in open time only."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from premura.sla.calendar import (
    Schedule,
    add_business_time,
    business_time_before,
    business_time_between,
)
from premura.sla.models import italian_holidays
from tests.factories.sla import ROME, rome

T = datetime.time
HOUR = datetime.timedelta(hours=1)
# Monday to Friday 9–13 and 14–18, Saturday 9–13, Italian holidays: the demo desk's week.
SPLIT_WEEK = Schedule(
    time_zone=ROME,
    weekly=(((T(9), T(13)), (T(14), T(18))),) * 5 + (((T(9), T(13)),), ()),
    is_holiday=italian_holidays().__contains__,
)


def test_it_counts_back_over_the_lunch_break():
    assert business_time_before(SPLIT_WEEK, rome(2026, 12, 2, 15), 2 * HOUR) == rome(2026, 12, 2, 12)


def test_it_counts_back_over_sunday_and_a_holiday():
    # Wednesday 9 December 10:00 less 3 hours: Tuesday 8 is the Immacolata, Sunday is closed, so
    # one hour on Wednesday, then Monday 17:00–18:00 and 16:00–17:00.
    assert business_time_before(SPLIT_WEEK, rome(2026, 12, 9, 10), 3 * HOUR) == rome(2026, 12, 7, 16)


def test_a_deadline_at_closing_time_is_counted_back_from_it():
    assert business_time_before(SPLIT_WEEK, rome(2026, 12, 5, 13), HOUR) == rome(2026, 12, 5, 12)


def test_zero_is_the_instant_itself_open_or_not():
    sunday = rome(2026, 12, 6, 11)
    assert business_time_before(SPLIT_WEEK, sunday, datetime.timedelta(0)) == sunday


def test_a_calendar_never_open_has_no_instant_before():
    closed = Schedule(time_zone=ROME, weekly=((),) * 7)
    assert business_time_before(closed, rome(2026, 12, 9, 10), HOUR) is None


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2027, 12, 31)),
    minutes=st.integers(min_value=1, max_value=5 * 8 * 60),
    share=st.integers(min_value=1, max_value=99),
)
def test_the_open_time_from_the_instant_to_the_deadline_is_what_was_asked(start, minutes, share):
    """For any deadline the arithmetic can produce, counting back `left` lands where exactly
    `left` of open time remains, and never in closed time."""
    deadline = add_business_time(SPLIT_WEEK, start.replace(tzinfo=ROME), datetime.timedelta(minutes=minutes))
    left = datetime.timedelta(minutes=minutes) * (100 - share) / 100
    instant = business_time_before(SPLIT_WEEK, deadline, left)
    assert business_time_between(SPLIT_WEEK, instant, deadline) == left
    local = instant.astimezone(ROME)
    assert any(begin <= instant <= end for begin, end in SPLIT_WEEK.intervals_on(local.date())), (
        f"{local} is in closed time"
    )
