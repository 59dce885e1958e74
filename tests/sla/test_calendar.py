"""Business-time arithmetic (premura.sla.calendar): weekends, Italian holidays, the DST nights,
split hours, closures, extra openings, and the properties that tie adding and measuring together."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from premura.sla.calendar import (
    MAX_CLOSED_DAYS,
    Schedule,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_open_at,
)
from premura.sla.exceptions import CalendarNeverOpen
from premura.sla.models import italian_holidays

ROME = ZoneInfo("Europe/Rome")
T = datetime.time
NINE_TO_SIX = ((T(9), T(18)),)
SPLIT = ((T(9), T(13)), (T(14), T(18)))


def rome(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ROME)


def weekdays(hours=NINE_TO_SIX, saturday=(), **kwargs) -> Schedule:
    """Monday to Friday `hours`, Saturday `saturday`, Sunday closed, Italian holidays."""
    return Schedule(
        time_zone=ROME,
        weekly=(hours,) * 5 + (saturday, ()),
        is_holiday=kwargs.pop("is_holiday", italian_holidays().__contains__),
        **kwargs,
    )


def every_day(hours=NINE_TO_SIX, **kwargs) -> Schedule:
    return Schedule(time_zone=ROME, weekly=(hours,) * 7, **kwargs)


def test_it_skips_the_weekend():
    # Friday 17:00 + 2 hours: one on Friday, one on Monday.
    assert add_business_minutes(weekdays(), rome(2026, 11, 20, 17), 120) == rome(2026, 11, 23, 10)


def test_the_issue_example_saturday_night_is_monday_at_13():
    """Saturday 23:48, 4 business hours, open Monday–Friday 9–18: "entro lunedì alle 13:00"."""
    saturday_night = datetime.datetime(
        2026, 11, 21, 23, 48, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert add_business_minutes(weekdays(), saturday_night, 240) == rome(2026, 11, 23, 13)


def test_the_demo_calendar_skips_sant_ambrogio_and_the_immacolata():
    """The demo shop (Milan; 9–13 and 14–18, Saturday 9–13): a message on Saturday 5 December
    2026 at 23:48 waits for Sunday, Monday 7 (Sant'Ambrogio) and Tuesday 8 (Immacolata)."""
    milan = weekdays(SPLIT, saturday=((T(9), T(13)),), is_holiday=italian_holidays("MI").__contains__)
    received = datetime.datetime.fromisoformat("2026-12-05T23:48:00+01:00")
    assert add_business_minutes(milan, received, 480) == rome(2026, 12, 9, 18)
    assert add_business_minutes(milan, received, 240) == rome(2026, 12, 9, 13)
    assert add_business_minutes(milan, received, 60) == rome(2026, 12, 9, 10)


@pytest.mark.parametrize(
    ("holiday", "next_open_day"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 2)),  # Capodanno
        (datetime.date(2026, 1, 6), datetime.date(2026, 1, 7)),  # Epifania
        (datetime.date(2026, 4, 5), datetime.date(2026, 4, 7)),  # Easter Sunday, then Monday
        (datetime.date(2026, 4, 6), datetime.date(2026, 4, 7)),  # Easter Monday 2026
        (datetime.date(2027, 3, 29), datetime.date(2027, 3, 30)),  # Easter Monday moves: 2027
        (datetime.date(2026, 4, 25), datetime.date(2026, 4, 26)),  # Liberazione
        (datetime.date(2026, 5, 1), datetime.date(2026, 5, 2)),  # Festa del lavoro
        (datetime.date(2026, 6, 2), datetime.date(2026, 6, 3)),  # Festa della Repubblica
        (datetime.date(2026, 8, 15), datetime.date(2026, 8, 16)),  # Ferragosto
        (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)),  # Ognissanti
        (datetime.date(2026, 12, 8), datetime.date(2026, 12, 9)),  # Immacolata
        (datetime.date(2026, 12, 25), datetime.date(2026, 12, 27)),  # Natale, then Santo Stefano
    ],
)
def test_it_skips_italian_public_holidays(holiday, next_open_day):
    # Open every day, so that only the holiday closes it: an hour asked at 8:00 that day is
    # answered at 10:00 on the next open day.
    schedule = every_day(is_holiday=italian_holidays().__contains__)
    morning = datetime.datetime.combine(holiday, T(8), tzinfo=ROME)
    assert add_business_minutes(schedule, morning, 60) == datetime.datetime.combine(
        next_open_day, T(10), tzinfo=ROME
    )
    assert business_minutes_between(schedule, morning, morning + datetime.timedelta(hours=12)) == 0


def test_the_friday_before_easter_monday():
    # Good Friday is a working day in Italy; Easter Monday is not: one hour on Friday, three on
    # Tuesday.
    assert add_business_minutes(weekdays(), rome(2026, 4, 3, 17), 240) == rome(2026, 4, 7, 12)


def test_the_patron_saint_is_a_holiday_only_in_its_city():
    seventh = rome(2026, 12, 7, 8)
    assert add_business_minutes(
        every_day(is_holiday=italian_holidays("MI").__contains__), seventh, 60
    ) == rome(2026, 12, 9, 10)
    assert add_business_minutes(every_day(is_holiday=italian_holidays().__contains__), seventh, 60) == rome(
        2026, 12, 7, 10
    )


def test_split_hours_skip_the_lunch_break():
    schedule = weekdays(SPLIT)
    assert add_business_minutes(schedule, rome(2026, 11, 23, 12, 30), 60) == rome(2026, 11, 23, 14, 30)
    assert add_business_minutes(schedule, rome(2026, 11, 23, 13, 20), 30) == rome(2026, 11, 23, 14, 30)
    assert business_minutes_between(schedule, rome(2026, 11, 23, 8), rome(2026, 11, 23, 20)) == 480


def test_a_deadline_is_the_end_of_an_interval_not_the_next_opening():
    """Four hours from 9:00 with 9–13 and 14–18 is "by 13:00", not 14:00."""
    assert add_business_minutes(weekdays(SPLIT), rome(2026, 11, 23, 9), 240) == rome(2026, 11, 23, 13)
    assert add_business_minutes(weekdays(SPLIT), rome(2026, 11, 23, 8), 240) == rome(2026, 11, 23, 13)


def test_around_midnight():
    schedule = every_day()
    assert add_business_minutes(schedule, rome(2026, 11, 23, 23, 59), 1) == rome(2026, 11, 24, 9, 1)
    assert add_business_minutes(schedule, rome(2026, 11, 23, 18), 1) == rome(2026, 11, 24, 9, 1)
    assert business_minutes_between(schedule, rome(2026, 11, 23, 17), rome(2026, 11, 24, 10)) == 120
    # Open until midnight (closes 00:00): the last minute is the day's.
    late = every_day(((T(20), T(0)),))
    assert add_business_minutes(late, rome(2026, 11, 23, 23), 60) == rome(2026, 11, 24, 0)
    assert add_business_minutes(late, rome(2026, 11, 23, 23), 61) == rome(2026, 11, 24, 20, 1)


def test_the_spring_night_is_an_hour_shorter():
    """Last Sunday of March 2026 (29th): 02:00 CET becomes 03:00 CEST."""
    always = every_day(((T(0), T(0)),))
    assert business_minutes_between(always, rome(2026, 3, 29, 0), rome(2026, 3, 30, 0)) == 23 * 60
    # 01:30 CET plus an hour of real time is 03:30 CEST.
    assert add_business_minutes(always, rome(2026, 3, 29, 1, 30), 60) == rome(2026, 3, 29, 3, 30)
    # Hours inside the skipped hour are read with the offset before the change, as a clock set
    # forward would show them: 02:00–02:30 that night is 03:00–03:30 CEST.
    night = every_day(((T(2), T(2, 30)),))
    assert business_minutes_between(night, rome(2026, 3, 29, 0), rome(2026, 3, 30, 0)) == 30
    assert add_business_minutes(night, rome(2026, 3, 29, 0), 1) == rome(2026, 3, 29, 3, 1)
    # Hours that do not touch the night are a normal day.
    assert business_minutes_between(weekdays(), rome(2026, 3, 27, 0), rome(2026, 3, 31, 0)) == 18 * 60


def test_the_autumn_night_is_an_hour_longer():
    """Last Sunday of October 2026 (25th): 03:00 CEST becomes 02:00 CET; 02:30 happens twice."""
    always = every_day(((T(0), T(0)),))
    assert business_minutes_between(always, rome(2026, 10, 25, 0), rome(2026, 10, 26, 0)) == 25 * 60
    first_0230 = rome(2026, 10, 25, 2, 30)  # fold=0: the first time, in CEST (00:30 UTC)
    due = add_business_minutes(always, first_0230, 60)
    assert due == datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC)
    local = due.astimezone(ROME)  # the second 02:30, in CET
    assert (local.hour, local.minute, local.fold, local.utcoffset()) == (
        2,
        30,
        1,
        datetime.timedelta(hours=1),
    )
    # Opening hours from 1:00 to 4:00 that night last four real hours.
    night = every_day(((T(1), T(4)),))
    assert business_minutes_between(night, rome(2026, 10, 25, 0), rome(2026, 10, 26, 0)) == 240


def test_a_one_off_closure_and_a_holiday_together():
    """Closed 27–31 December 2026: from Christmas Eve at 17:00 the next hour is 4 January."""
    schedule = weekdays(closures=((datetime.date(2026, 12, 27), datetime.date(2026, 12, 31)),))
    assert add_business_minutes(schedule, rome(2026, 12, 24, 17), 120) == rome(2027, 1, 4, 10)
    assert business_minutes_between(schedule, rome(2026, 12, 24, 0), rome(2027, 1, 5, 0)) == 18 * 60


def test_an_extra_opening_day_replaces_the_day():
    """Open Sunday 20 December 10–12, and on a holiday too when it is an extra day."""
    extra = {datetime.date(2026, 12, 20): ((T(10), T(12)),), datetime.date(2026, 12, 8): ((T(9), T(10)),)}
    schedule = weekdays(extra_days=extra)
    assert add_business_minutes(schedule, rome(2026, 12, 18, 17, 30), 60) == rome(2026, 12, 20, 10, 30)
    assert add_business_minutes(schedule, rome(2026, 12, 7, 17, 30), 60) == rome(2026, 12, 8, 9, 30)


def test_zero_minutes_is_the_start_itself():
    saturday = rome(2026, 11, 21, 12)
    assert add_business_minutes(weekdays(), saturday, 0) == saturday


def test_seconds_are_kept_and_minutes_round_down():
    start = rome(2026, 11, 23, 9, 0, 30)
    assert add_business_minutes(weekdays(), start, 1) == rome(2026, 11, 23, 9, 1, 30)
    assert business_minutes_between(weekdays(), start, rome(2026, 11, 23, 9, 1, 29)) == 0
    assert business_minutes_between(weekdays(), rome(2026, 11, 23, 10), rome(2026, 11, 23, 9)) == 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        add_business_minutes(weekdays(), datetime.datetime(2026, 11, 23, 9), 10)
    with pytest.raises(ValueError):
        add_business_minutes(weekdays(), rome(2026, 11, 23, 9), -1)
    with pytest.raises(ValueError):
        business_minutes_between(weekdays(), rome(2026, 11, 23, 9), datetime.datetime(2026, 11, 24, 9))
    with pytest.raises(ValueError):
        Schedule(time_zone=ROME, weekly=(NINE_TO_SIX,) * 5)


def test_a_calendar_that_never_opens_stops_with_an_error():
    closed = Schedule(time_zone=ROME, weekly=((),) * 7)
    with pytest.raises(CalendarNeverOpen):
        add_business_minutes(closed, rome(2026, 11, 23, 9), 1)
    # A long closure is walked through, however long, as long as it ends within the limit.
    long = weekdays(closures=((datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),))
    assert add_business_minutes(long, rome(2026, 1, 1, 9), 60) == rome(2027, 1, 4, 10)
    endless = datetime.date(2026, 1, 1) + datetime.timedelta(days=MAX_CLOSED_DAYS + 1)
    with pytest.raises(CalendarNeverOpen):
        add_business_minutes(weekdays(closures=((datetime.date(2026, 1, 1), endless),)), rome(2026, 1, 1), 60)


def test_a_large_number_of_minutes_walks_days_not_minutes():
    """520 weeks of 45 hours (1.4 million minutes, ten years) end on the 520th Friday at 18:00."""
    no_holidays = weekdays(is_holiday=lambda day: False)
    minutes = 520 * 45 * 60
    due = add_business_minutes(no_holidays, rome(2026, 1, 5, 9), minutes)  # a Monday
    assert due == rome(2026, 1, 9, 18) + datetime.timedelta(weeks=519)  # wall-clock weeks
    assert business_minutes_between(no_holidays, rome(2026, 1, 5, 9), due) == minutes


# --- Properties -----------------------------------------------------------------------------------

ZONES = ["Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
HOURS = [T(h, m) for h in range(24) for m in (0, 30)]


@st.composite
def day_hours(draw):
    """Zero, one or two intervals on a day, sometimes to midnight."""
    count = draw(st.integers(0, 2))
    bounds = sorted(
        draw(st.lists(st.sampled_from(HOURS[1:]), min_size=2 * count, max_size=2 * count, unique=True))
    )
    intervals = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    if intervals and draw(st.booleans()):
        intervals[-1] = (intervals[-1][0], T(0))  # until midnight
    if draw(st.integers(0, 9)) == 0:
        intervals = [(T(0), T(0))]  # all day
    return tuple(intervals)


@st.composite
def schedules(draw):
    weekly = draw(st.lists(day_hours(), min_size=7, max_size=7))
    if not any(weekly):
        weekly[0] = ((T(9), T(17)),)
    first_days = st.dates(datetime.date(2026, 1, 1), datetime.date(2027, 12, 31))
    closures = tuple(
        (first, first + datetime.timedelta(days=length))
        for first, length in draw(st.lists(st.tuples(first_days, st.integers(0, 20)), max_size=3))
    )
    extra_days = draw(st.dictionaries(first_days, day_hours(), max_size=3))
    holidays = italian_holidays("MI").__contains__ if draw(st.booleans()) else (lambda day: False)
    return Schedule(
        time_zone=ZoneInfo(draw(st.sampled_from(ZONES))),
        weekly=tuple(weekly),
        is_holiday=holidays,
        closures=closures,
        extra_days=extra_days,
    )


starts = st.datetimes(
    datetime.datetime(2026, 1, 1), datetime.datetime(2027, 12, 31), timezones=st.just(datetime.UTC)
)


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), start=starts, minutes=st.integers(0, 30_000))
def test_adding_then_measuring_gives_the_minutes_back(schedule, start, minutes):
    due = add_business_minutes(schedule, start, minutes)
    assert business_minutes_between(schedule, start, due) == minutes
    assert due >= start


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), start=starts, minutes=st.integers(1, 30_000))
def test_a_deadline_never_falls_in_closed_time(schedule, start, minutes):
    """It lands inside an open interval or at its very end: the instant just before is open."""
    due = add_business_minutes(schedule, start, minutes)
    assert is_open_at(schedule, due - datetime.timedelta(microseconds=1))
    # And one minute more never comes earlier.
    assert add_business_minutes(schedule, start, minutes + 1) > due


@settings(max_examples=100, deadline=None)
@given(schedule=schedules(), instants=st.lists(starts, min_size=3, max_size=3))
def test_measuring_adds_up_over_consecutive_spans(schedule, instants):
    a, b, c = sorted(instants)
    assert business_time_between(schedule, a, c) == business_time_between(
        schedule, a, b
    ) + business_time_between(schedule, b, c)
    # And the open time after a measured span is found again by adding it.
    spent = business_time_between(schedule, a, c)
    if spent:
        assert business_time_between(schedule, a, add_business_time(schedule, a, spent)) == spent
