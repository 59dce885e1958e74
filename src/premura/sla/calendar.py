"""Business time: when the desk is open, and arithmetic in open minutes (docs/architecture.md, "SLA").

Plain functions over a `Schedule`, an immutable snapshot of one business calendar (weekly opening
hours, the time zone, public holidays, one-off closures, extra opening days); no database, so the
rules are tested directly and by properties. `BusinessCalendar.schedule()` builds one from the rows.

Opening hours are local wall-clock times; every interval is turned into two UTC instants on its
own day, so business time is elapsed time within the opening hours: an interval across the night
the clocks change is an hour shorter or longer, a wall-clock time the spring change skips is read
with the offset before the change (02:30 is 03:30), and nothing here counts wall-clock minutes.
The walk goes a day at a time over the opening intervals, never minute by minute.

Deadlines end at an open instant or at the close of an interval: 4 business hours from Saturday
08:00 with Saturday 9–13 is Saturday 13:00 ("by 13:00"), never Monday 09:00.
"""

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from premura.sla.exceptions import CalendarNeverOpen

Hours = tuple[tuple[datetime.time, datetime.time], ...]

# A calendar that stays closed this many days in a row is taken as never open: the walk stops
# with CalendarNeverOpen instead of looking forever (a closure longer than a year is a mistake).
MAX_CLOSED_DAYS = 400
MIDNIGHT = datetime.time(0, 0)
_ONE_DAY = datetime.timedelta(days=1)
_ZERO = datetime.timedelta(0)


def _no_holiday(day: datetime.date) -> bool:
    return False


@dataclass(frozen=True)
class Schedule:
    """When a desk is open. `weekly[0]` is Monday's hours, each (opens, closes) in local time,
    sorted and not overlapping; closes 00:00 means midnight at the end of the day.
    `is_holiday(day)` answers for public holidays; `closures` are inclusive (first, last) day
    ranges; `extra_days` maps a date to its hours, which replace whatever that day would have
    been (an opening on a Sunday, a holiday or inside a closure).
    """

    time_zone: ZoneInfo
    weekly: tuple[Hours, ...]
    is_holiday: Callable[[datetime.date], bool] = _no_holiday
    closures: tuple[tuple[datetime.date, datetime.date], ...] = ()
    extra_days: Mapping[datetime.date, Hours] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs the hours of the seven days, Monday first")

    def hours_on(self, day: datetime.date) -> Hours:
        """The local opening hours of `day` (empty when closed)."""
        if day in self.extra_days:
            return self.extra_days[day]
        if self.is_holiday(day) or any(first <= day <= last for first, last in self.closures):
            return ()
        return self.weekly[day.weekday()]

    def intervals_on(self, day: datetime.date) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """The open intervals of the local `day`, as (start, end) UTC instants, in order."""
        for opens, closes in self.hours_on(day):
            start = _instant(day, opens, self.time_zone)
            end = _instant(day + _ONE_DAY if closes == MIDNIGHT else day, closes, self.time_zone)
            if end > start:  # an interval inside the hour the spring change skips is empty
                yield start, end

    def local_date(self, instant: datetime.datetime) -> datetime.date:
        return instant.astimezone(self.time_zone).date()


def _instant(day: datetime.date, at: datetime.time, time_zone: ZoneInfo) -> datetime.datetime:
    # fold=0: a time that occurs twice (autumn) is its first occurrence; one the spring change
    # skips is read with the offset before the change, so it lands just after the gap.
    return datetime.datetime.combine(day, at, tzinfo=time_zone).astimezone(datetime.UTC)


def _check_aware(*instants: datetime.datetime) -> None:
    if any(instant.tzinfo is None or instant.utcoffset() is None for instant in instants):
        raise ValueError("business time needs aware datetimes")


def _open_intervals_from(
    schedule: Schedule, start: datetime.datetime
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """The open intervals that end after `start`, clipped to begin no earlier than it, day after
    day without end. Raises CalendarNeverOpen after MAX_CLOSED_DAYS closed days in a row."""
    day = schedule.local_date(start)
    closed_days = 0
    while True:
        found = False
        for begin, end in schedule.intervals_on(day):
            found = True
            if end > start:
                yield max(begin, start), end
        closed_days = 0 if found else closed_days + 1
        if closed_days > MAX_CLOSED_DAYS:
            raise CalendarNeverOpen(day)
        day += _ONE_DAY


def add_business_time(
    schedule: Schedule, start: datetime.datetime, duration: datetime.timedelta
) -> datetime.datetime:
    """The instant `duration` of open time after `start` (UTC): inside an open interval, or at
    its end. A zero duration is `start` itself, open or not.

    Raises ValueError for a negative duration or a naive `start`, CalendarNeverOpen when the
    calendar never opens again.
    """
    _check_aware(start)
    if duration < _ZERO:
        raise ValueError("the duration must not be negative")
    if duration == _ZERO:
        return start
    remaining = duration
    for begin, end in _open_intervals_from(schedule, start.astimezone(datetime.UTC)):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: the walk ends by returning or raising")


def business_time_between(
    schedule: Schedule, start: datetime.datetime, end: datetime.datetime
) -> datetime.timedelta:
    """The open time in [start, end); zero when `end` is not after `start`."""
    _check_aware(start, end)
    if end <= start:
        return _ZERO
    total = _ZERO
    day, last_day = schedule.local_date(start), schedule.local_date(end)
    while day <= last_day:
        for begin, finish in schedule.intervals_on(day):
            overlap = min(finish, end) - max(begin, start)
            if overlap > _ZERO:
                total += overlap
        day += _ONE_DAY
    return total


def add_business_minutes(schedule: Schedule, start: datetime.datetime, minutes: int) -> datetime.datetime:
    """The instant `minutes` open minutes after `start` (see add_business_time)."""
    return add_business_time(schedule, start, datetime.timedelta(minutes=minutes))


def business_minutes_between(schedule: Schedule, start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole open minutes in [start, end), rounded down; 0 when `end` is not after `start`. The
    inverse of add_business_minutes: `business_minutes_between(s, t, add_business_minutes(s, t,
    n)) == n`."""
    return int(business_time_between(schedule, start, end).total_seconds() // 60)


def is_open_at(schedule: Schedule, instant: datetime.datetime) -> bool:
    """Whether the desk is open at `instant` (an interval includes its start, not its end)."""
    _check_aware(instant)
    return any(begin <= instant < end for begin, end in schedule.intervals_on(schedule.local_date(instant)))


def business_time_before(
    schedule: Schedule, end: datetime.datetime, duration: datetime.timedelta
) -> datetime.datetime | None:
    """The latest instant from which `duration` of open time runs until `end` (UTC): the inverse
    of add_business_time, walking back (the SLA's warning instant: "a quarter of the target
    before the deadline"). Inside an open interval or at its start; `end` itself for a zero
    duration. None when the walk back meets MAX_CLOSED_DAYS closed days in a row first.

    Raises ValueError for a negative duration or a naive `end`.
    """
    _check_aware(end)
    if duration < _ZERO:
        raise ValueError("the duration must not be negative")
    if duration == _ZERO:
        return end
    end = end.astimezone(datetime.UTC)
    remaining = duration
    day = schedule.local_date(end)
    closed_days = 0
    while closed_days <= MAX_CLOSED_DAYS:
        intervals = [(begin, min(finish, end)) for begin, finish in schedule.intervals_on(day) if begin < end]
        for begin, finish in reversed(intervals):
            if finish - begin >= remaining:
                return finish - remaining
            remaining -= finish - begin
        closed_days = 0 if intervals else closed_days + 1
        day -= _ONE_DAY
    return None


def close_of_business_day(schedule: Schedule, start: datetime.datetime, days: int) -> datetime.datetime:
    """The close of the `days`-th open day after the local day of `start` (that day itself does
    not count): "a decision within 3 business days" asked on a Friday, with a Monday to Friday
    week, is Wednesday at closing time. With `days` 0: the close of the first open day from
    `start` on, `start`'s own if it is still open. Raises CalendarNeverOpen as the walk above."""
    _check_aware(start)
    day = schedule.local_date(start) + (_ONE_DAY if days > 0 else _ZERO)
    remaining, closed_in_a_row = max(days, 1), 0
    while True:
        intervals = list(schedule.intervals_on(day))
        if intervals and intervals[-1][1] > start:
            closed_in_a_row = 0
            remaining -= 1
            if remaining == 0:
                return intervals[-1][1]
        else:
            closed_in_a_row += 1
            if closed_in_a_row > MAX_CLOSED_DAYS:
                raise CalendarNeverOpen(schedule.local_date(start))
        day += _ONE_DAY
