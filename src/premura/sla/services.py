"""SLA services: set up calendars and policies, keep each case's deadlines, say what was promised
(docs/architecture.md, "SLA").

`refresh_deadlines` runs on every case change (sla.receivers listens to
conversations.signals.case_changed, inside the change's transaction): it notes whether the case's
clock runs (new, open) or is paused (waiting on someone else, solved, closed), chooses the
policy, and writes the deadlines still running onto the case, with a `DeadlineChange` for each one
that moved. It derives everything from the case and its messages, so calling it again changes
nothing: that is what the recompute after a policy edit does to every open case.
"""

import contextlib
import dataclasses
import datetime
import functools
import logging
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar

from django.db import transaction
from django.utils.translation import gettext as _

from premura.agents.models import Team
from premura.conversations.models import OPEN_STATUSES, Case, CasePhase, Direction, Message
from premura.core import bulk, clock
from premura.core.audit import record_event
from premura.customers.models import Customer
from premura.shop.queries import shop_settings
from premura.sla import escalation
from premura.sla.calendar import Schedule, add_business_time, business_time_between, close_of_business_day
from premura.sla.exceptions import CalendarNeverOpen, SlaError
from premura.sla.models import (
    BusinessCalendar,
    CaseClock,
    Closure,
    DeadlineChange,
    DeadlineRecompute,
    DeadlineState,
    ExtraOpening,
    OpeningHours,
    Policy,
    Target,
    italian_holidays,
)

logger = logging.getLogger(__name__)
Interval = tuple[datetime.time, datetime.time]
DUE_FIELDS = {
    Target.FIRST_RESPONSE: "first_response_due_at",
    Target.NEXT_RESPONSE: "next_response_due_at",
    Target.RESOLUTION: "resolution_due_at",
}
_ZERO = datetime.timedelta(0)


# --- Configuration --------------------------------------------------------------------------------


def _validated(row):
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def create_calendar(
    *,
    name: str,
    weekly_hours: Mapping[int, Sequence[Interval]],
    time_zone: str | None = None,
    public_holidays: bool = True,
    patron_saint_city: str = "",
    actor=None,
) -> BusinessCalendar:
    """A business calendar with its weekly hours ({0: [(9:00, 13:00), (14:00, 18:00)], ...},
    Monday is 0). The time zone defaults to the shop's. Raises ValidationError (nothing saved)
    for a bad time zone, city or interval. Not idempotent: the name is unique."""
    calendar = _validated(
        BusinessCalendar(
            name=name,
            time_zone=time_zone or shop_settings().time_zone,
            public_holidays=public_holidays,
            patron_saint_city=patron_saint_city,
            updated_at=clock.now(),
        )
    )
    for weekday, intervals in weekly_hours.items():
        for opens_at, closes_at in intervals:
            _validated(
                OpeningHours(calendar=calendar, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
            )
    record_event(calendar, "sla.calendar_created", actor=actor, name=name)
    return calendar


@transaction.atomic
def add_closure(
    calendar: BusinessCalendar,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    reason: str = "",
    actor=None,
) -> Closure:
    """Close the desk from `first_day` to `last_day` included; open cases are recomputed."""
    closure = _validated(Closure(calendar=calendar, first_day=first_day, last_day=last_day, reason=reason))
    configuration_changed(calendar, actor=actor)
    return closure


@transaction.atomic
def add_extra_opening(
    calendar: BusinessCalendar,
    *,
    day: datetime.date,
    opens_at: datetime.time,
    closes_at: datetime.time,
    actor=None,
) -> ExtraOpening:
    """Open on `day` from `opens_at` to `closes_at`, whatever the week or a holiday say."""
    opening = _validated(ExtraOpening(calendar=calendar, day=day, opens_at=opens_at, closes_at=closes_at))
    configuration_changed(calendar, actor=actor)
    return opening


@transaction.atomic
def create_policy(
    *,
    name: str,
    calendar: BusinessCalendar,
    position: int,
    channels: Iterable[str] = (),
    priorities: Iterable[str] = (),
    tiers: Iterable[str] = (),
    teams: Iterable[Team] = (),
    first_response_minutes: int | None = None,
    next_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    actor=None,
) -> Policy:
    """A policy tried at `position` (lowest first). Empty conditions match anything; a target of
    None sets no deadline. Raises ValidationError (nothing saved) for an unknown channel,
    priority or tier, or a target out of range. Open cases are recomputed after the commit."""
    policy = _validated(
        Policy(
            name=name,
            calendar=calendar,
            position=position,
            channels=list(channels),
            priorities=list(priorities),
            tiers=list(tiers),
            first_response_minutes=first_response_minutes,
            next_response_minutes=next_response_minutes,
            resolution_minutes=resolution_minutes,
        )
    )
    policy.teams.set(list(teams))
    configuration_changed(policy, actor=actor)
    return policy


@transaction.atomic
def configuration_changed(subject: BusinessCalendar | Policy, *, actor=None) -> DeadlineRecompute:
    """Record that a calendar or policy changed (the admin calls this after saving one) and ask
    for the deadlines of every case not done to be computed again, in the background, a batch at
    a time (`recompute_deadlines`). The request is a row, written in this transaction; the task
    is rung after the commit and a periodic task finishes what a lost task left."""
    type(subject).objects.filter(pk=subject.pk).update(updated_at=clock.now())
    action = "sla.calendar_changed" if isinstance(subject, BusinessCalendar) else "sla.policy_changed"
    record_event(subject, action, actor=actor, name=str(subject))
    return request_recompute(action)


def request_recompute(cause: str) -> DeadlineRecompute:
    """A new recompute from the first case, which also names the new configuration (its
    `version`: processes read policies again when it changes). A recompute still pending is
    finished here: the new one covers every case again. The task is rung on commit."""
    from premura.sla.tasks import recompute_deadlines_task  # tasks import services

    now = clock.now()
    DeadlineRecompute.objects.filter(finished_at__isnull=True).update(finished_at=now)
    pending = DeadlineRecompute.objects.create(cause=cause, requested_at=now)
    transaction.on_commit(lambda: recompute_deadlines_task(pending.pk))
    return pending


def recompute_deadlines(recompute_id: int, *, batch: int = 500) -> bool:
    """Refresh the next `batch` cases not done (by id) of a pending recompute, each in its own
    transaction under its row lock, then move the request on by a conditional UPDATE, so two
    workers on one request never skip a case (at worst they both refresh it, which changes
    nothing the second time). Returns whether cases remain."""
    pending = DeadlineRecompute.objects.filter(pk=recompute_id, finished_at__isnull=True).first()
    if pending is None:
        return False
    start = pending.next_case_id
    case_ids = list(
        Case.objects.exclude(phase=CasePhase.DONE)
        .filter(pk__gte=start)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    for case_id in case_ids:
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is not None:
                refresh_deadlines(case, cause=pending.cause)
    more = len(case_ids) == batch
    DeadlineRecompute.objects.filter(pk=pending.pk, next_case_id=start).update(
        next_case_id=case_ids[-1] + 1 if more else start,
        finished_at=None if more else clock.now(),
    )
    return more


def pending_recompute_ids() -> list[int]:
    return list(DeadlineRecompute.objects.filter(finished_at__isnull=True).values_list("pk", flat=True))


# --- Choosing a policy ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ActivePolicy:
    """A policy as the rules use it: its teams' ids and its calendar's Schedule, read once."""

    policy: Policy
    team_ids: frozenset[int]
    schedule: Schedule


# (configuration version, active policies): every case change chooses a policy, and reading the
# policies with their teams and calendars costs five queries; the newest DeadlineRecompute's
# version (one indexed read, and a random value, so a rolled-back change never matches) says
# whether this process's copy still holds.
_active: tuple[object, tuple[ActivePolicy, ...]] = (object(), ())
# The copy one unit of work (a batch of inbound mail) reads throughout: `pinned_policies`.
_pinned: ContextVar[tuple[ActivePolicy, ...] | None] = ContextVar("premura_pinned_policies", default=None)


def active_policies() -> tuple[ActivePolicy, ...]:
    """The active policies in the order they are tried: the pinned copy inside `pinned_policies`.
    Every configuration change goes through `configuration_changed` or `request_recompute`, which
    make a new version."""
    global _active
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    version = DeadlineRecompute.objects.order_by("-pk").values_list("version", flat=True).first()
    cached_version, policies = _active
    if version == cached_version:
        return policies
    rows = (
        Policy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related(
            "teams", "calendar__opening_hours", "calendar__closures", "calendar__extra_openings"
        )
    )
    policies = tuple(
        ActivePolicy(policy, frozenset(team.pk for team in policy.teams.all()), policy.calendar.schedule())
        for policy in rows
    )
    _active = (version, policies)
    return policies


@contextlib.contextmanager
def pinned_policies() -> Iterator[tuple[ActivePolicy, ...]]:
    """Inside the block, `active_policies()` is the list current at its start: one unit of work
    that changes many cases (a batch of inbound mail, channels.ingest) reads the version once and
    chooses every case's policy from one configuration, as if it had run a moment earlier."""
    reset = _pinned.set(active_policies())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(reset)


def choose_policy(
    policies: Sequence[ActivePolicy], *, channel: str, priority: str, tier: str, team_id: int | None
) -> ActivePolicy | None:
    """The first of `policies` (in their order) whose rule matches; None when none does."""
    for active in policies:
        if active.policy.matches(
            channel=channel, priority=priority, tier=tier, team_id=team_id, team_ids=active.team_ids
        ):
            return active
    return None


# --- Deadlines of a case --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TargetState:
    state: str
    due_at: datetime.datetime | None = None


def _due(
    schedule: Schedule,
    runs: Sequence[tuple[datetime.datetime, datetime.datetime]],
    running_since: datetime.datetime,
    started_at: datetime.datetime,
    minutes: int,
) -> datetime.datetime:
    """When a target started at `started_at` runs out, the clock running since `running_since`
    after the finished `runs`: the business time it used in those runs is taken off, the rest
    counted from when it runs again. A target used up in an earlier run was due the moment the
    clock ran again."""
    used = sum(
        (
            business_time_between(schedule, max(start, started_at), end)
            for start, end in runs
            if end > started_at
        ),
        _ZERO,
    )
    anchor = max(running_since, started_at)
    left = datetime.timedelta(minutes=minutes) - used
    return add_business_time(schedule, anchor, left) if left > _ZERO else anchor


def _agent_replies(case_id: int):
    # An agent's reply: outbound, not an internal note, written by an agent (the shop's own
    # acknowledgement has no agent and answers nothing).
    return Message.objects.filter(
        case_id=case_id, direction=Direction.OUTBOUND, is_internal=False, author_agent__isnull=False
    )


def _response_clocks(case_id: int) -> tuple[bool, datetime.datetime | None]:
    """(whether an agent has replied, when the customer's unanswered messages began): the next
    response waits from the first inbound message after the last reply."""
    # The reply times themselves, not an aggregate: a case has a handful, and an aggregate costs
    # the ORM several times as much to build.
    replied = list(_agent_replies(case_id).values_list("created_at", flat=True))
    if not replied:
        return False, None
    waiting_since = (
        Message.objects.filter(case_id=case_id, direction=Direction.INBOUND, created_at__gt=max(replied))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return True, waiting_since


def _target_states(
    case: Case, clock_row: CaseClock, active: ActivePolicy | None, *, has_replied: bool, waiting_since
) -> dict[str, TargetState]:
    none = TargetState(DeadlineState.NONE)
    if active is None:
        return dict.fromkeys(Target, none)
    policy, schedule = active.policy, active.schedule
    is_done = case.phase == CasePhase.DONE
    pending = {
        Target.FIRST_RESPONSE: (policy.first_response_minutes, None if has_replied else case.created_at),
        Target.NEXT_RESPONSE: (policy.next_response_minutes, waiting_since),
        Target.RESOLUTION: (policy.resolution_minutes, None if is_done else case.created_at),
    }
    runs = clock_row.finished_runs()
    states = {}
    for target, (minutes, started_at) in pending.items():
        if minutes is None:
            states[target] = none
        elif started_at is None:
            # Answered, or resolved; the next response before any reply has not begun.
            begun = target != Target.NEXT_RESPONSE or has_replied
            states[target] = TargetState(DeadlineState.MET) if begun else none
        elif is_done:
            states[target] = TargetState(DeadlineState.STOPPED)
        elif clock_row.running_since is None:
            states[target] = TargetState(DeadlineState.PAUSED)
        else:
            try:
                due = _due(schedule, runs, clock_row.running_since, started_at, minutes)
            except CalendarNeverOpen:
                # A calendar closed for over a year is a configuration mistake: the case's change
                # (a customer's message) must still be kept, without a deadline no one can meet.
                logger.error(
                    "case %s: calendar %r never opens: no %s deadline", case.pk, policy.calendar.name, target
                )
                states[target] = none
                continue
            states[target] = TargetState(DeadlineState.RUNNING, due)
    return states


def _move_clock(clock_row: CaseClock, *, should_run: bool, now: datetime.datetime) -> bool:
    """Start or pause the clock to match the case; whether it changed."""
    if clock_row.running_since is not None and not should_run:
        clock_row.runs = [*clock_row.runs, [clock_row.running_since.isoformat(), now.isoformat()]]
        clock_row.running_since = None
        return True
    if clock_row.running_since is None and should_run:
        clock_row.running_since = now
        return True
    return False


# The columns refresh_deadlines writes: a new DeadlineChange's, and a clock's (its case first).
_CHANGE_FIELDS = [field.attname for field in DeadlineChange._meta.concrete_fields if not field.primary_key]
_CHANGE_PREPARER = bulk.Preparer(DeadlineChange, _CHANGE_FIELDS)
_CLOCK_FIELDS = ["case_id", "policy_id", "running_since", "runs", "states", "updated_at"]
_CLOCK_PREPARER = bulk.Preparer(CaseClock, _CLOCK_FIELDS)


@functools.cache
def _refresh_case_sql() -> str:
    """The case's columns a refresh reads, its customer's tier and whether it has a clock yet."""
    names = [
        "id", "status", "phase", "channel", "priority", "team", "owner", "created_at", "sla_warn_at",
        "sla_check_at", *DUE_FIELDS.values(), "sla_due_at",
    ]  # fmt: skip
    columns = ", ".join(f"c.{bulk.column(Case, name)}" for name in names)
    return (
        f"SELECT {columns}, u.{bulk.column(Customer, 'tier')} AS customer_tier,"
        f" k.case_id IS NOT NULL AS has_clock FROM {bulk.table(Case)} c"
        f" JOIN {bulk.table(Customer)} u ON u.id = c.customer_id"
        f" LEFT JOIN {bulk.table(CaseClock)} k ON k.case_id = c.id WHERE c.id = %s"
    )


@functools.cache
def _refresh_clock_sql() -> str:
    columns = ", ".join(bulk.column(CaseClock, field.name) for field in CaseClock._meta.concrete_fields)
    return f"SELECT {columns} FROM {bulk.table(CaseClock)} WHERE case_id = %s"


def refresh_deadlines(case: Case, *, cause: str = "") -> Case:
    """Bring the case's SLA up to date with the case as it is now: start or pause its clock,
    choose its policy, write `first_response_due_at`, `next_response_due_at`,
    `resolution_due_at` and `sla_due_at` (the earliest), and a DeadlineChange (with `cause`,
    e.g. "case.replied") for each target whose state or deadline moved. Idempotent.

    The caller holds the case's row lock, in the transaction of the change (the case actions of
    conversations do, and send case_changed there). The case is read again from the database,
    so a stale `case` does no harm; it gets the new values too.
    A calendar that never opens again gives no deadline (logged as an error), never a failed
    change.
    """
    now = clock.now()
    with transaction.atomic(savepoint=False):
        # Raw statements (decision 0036): every change of every case reads these, and the ORM's
        # select_related query cost several times the read to build.
        current = next(iter(Case.objects.raw(_refresh_case_sql(), [case.pk])), None)
        if current is None:
            raise Case.DoesNotExist(f"Case {case.pk} does not exist.")
        if current.has_clock:
            clock_row, created = CaseClock.objects.raw(_refresh_clock_sql(), [case.pk])[0], False
        else:
            # Its first refresh (the case was just opened): written once, below.
            clock_row, created = CaseClock(case_id=case.pk, updated_at=now), True
        moved = _move_clock(clock_row, should_run=current.status in OPEN_STATUSES, now=now)
        active = choose_policy(
            active_policies(),
            channel=current.channel,
            priority=current.priority,
            tier=current.customer_tier,
            team_id=current.team_id,
        )
        # A case without a clock was opened in this transaction: no agent has replied to it yet.
        has_replied, waiting_since = (False, None) if created else _response_clocks(case.pk)
        states = _target_states(
            current, clock_row, active, has_replied=has_replied, waiting_since=waiting_since
        )
        policy = active.policy if active else None
        values = {DUE_FIELDS[target]: state.due_at for target, state in states.items()}
        running = [due for due in values.values() if due is not None]
        values["sla_due_at"] = min(running) if running else None
        values |= escalation.follow_targets(
            current,
            policy,
            states,
            previous_states=clock_row.states,
            previous_due={target: getattr(current, field) for target, field in DUE_FIELDS.items()},
            # A case without a clock never had a running target, so it has no outcome to read.
            outcomes={} if created else None,
            now=now,
        )
        previous = clock_row.states
        changes = [
            DeadlineChange(
                case_id=case.pk,
                target=target,
                state=state.state,
                due_at=state.due_at,
                previous_due_at=getattr(current, DUE_FIELDS[target]),
                cause=cause[:40],
                policy_name=policy.name if policy else "",
                changed_at=now,
            )
            for target, state in states.items()
            if (state.state, state.due_at)
            != (previous.get(target, DeadlineState.NONE), getattr(current, DUE_FIELDS[target]))
        ]
        # Written with plain SQL (decision 0036): every change of every case comes here, and the
        # ORM's UPDATE, bulk_create and save cost several times the statements themselves.
        rows = [_CHANGE_PREPARER.values(change) for change in changes]
        bulk.insert(DeadlineChange, _CHANGE_FIELDS, rows, returning=False)
        if any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            bulk.save_fields([current], list(values))
        new_states = {target: state.state for target, state in states.items()}
        policy_id = policy.pk if policy else None
        if moved or created or new_states != previous or clock_row.policy_id != policy_id:
            clock_row.states = new_states
            clock_row.policy_id = policy_id
            clock_row.updated_at = now
            if created:
                bulk.insert(CaseClock, _CLOCK_FIELDS, [_CLOCK_PREPARER.values(clock_row)], returning=False)
            else:
                bulk.save_fields([clock_row], _CLOCK_FIELDS[1:])
    for name, value in values.items():
        setattr(case, name, value)
    return case


@transaction.atomic
def refresh_customer_cases(customer_id: int, *, cause: str) -> int:
    """Refresh every case of the customer not done (their tier chose the policy), each under
    its row lock; how many."""
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .filter(customer_id=customer_id)
        .exclude(phase=CasePhase.DONE)
        .order_by("pk")
    )
    for case in cases:
        refresh_deadlines(case, cause=cause)
    return len(cases)


# --- What the customer is promised ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Promise:
    """The time a person will answer, and the time zone the customer is told it in (the one the
    shop's calendar counts in)."""

    due_at: datetime.datetime
    time_zone: zoneinfo.ZoneInfo


# The week a promise in business days counts when the shop has no business calendar yet.
_STANDARD_WEEK = (((datetime.time(9), datetime.time(18)),),) * 5 + ((), ())


def case_schedule(case: Case) -> Schedule:
    """The business calendar the case's SLA runs on; without one, the first active policy's; with
    no policy at all, Monday to Friday 9 to 18 in the shop's time zone, closed on Italian holidays."""
    policies = active_policies()
    policy_id = CaseClock.objects.filter(case=case).values_list("policy_id", flat=True).first()
    if policy_id is not None:
        active = next((active for active in policies if active.policy.pk == policy_id), None)
        if active is not None:
            return active.schedule
        calendar = BusinessCalendar.objects.filter(policies__pk=policy_id).first()
        if calendar is not None:
            return calendar.schedule()
    if policies:
        return policies[0].schedule
    return Schedule(
        time_zone=zoneinfo.ZoneInfo(shop_settings().time_zone),
        weekly=_STANDARD_WEEK,
        is_holiday=italian_holidays().__contains__,
    )


def business_days_later(
    case: Case, days: int, *, start: datetime.datetime | None = None
) -> datetime.datetime:
    """The close of the `days`-th business day after `start` (now) on the case's calendar: the
    date a promise "within N business days" is kept by (care's decisions on a report)."""
    return close_of_business_day(case_schedule(case), start or clock.now(), days)


def promised_time(case: Case) -> Promise | None:
    """When a person will answer the customer: the first-response deadline, or the next-response
    one once the desk has replied; None when nothing is running (no policy, answered, paused).
    Read from the stored columns, so it is what the inbox and the sweeper see: one raw statement
    (decision 0036), asked by every acknowledgement, where the ORM's three joins cost several
    times the read."""
    stored = next(iter(Case.objects.raw(_promise_sql(), [case.pk])), None)
    if stored is None:
        return None
    due_at = stored.first_response_due_at or stored.next_response_due_at
    if due_at is None:
        return None
    time_zone = stored.calendar_time_zone or shop_settings().time_zone
    return Promise(due_at=due_at, time_zone=zoneinfo.ZoneInfo(time_zone))


@functools.cache
def _promise_sql() -> str:
    return (
        "SELECT c.id, c.first_response_due_at, c.next_response_due_at, k.time_zone AS calendar_time_zone"
        f" FROM {bulk.table(Case)} c LEFT JOIN {bulk.table(CaseClock)} s ON s.case_id = c.id"
        f" LEFT JOIN {bulk.table(Policy)} p ON p.id = s.policy_id"
        f" LEFT JOIN {bulk.table(BusinessCalendar)} k ON k.id = p.calendar_id WHERE c.id = %s"
    )


@dataclasses.dataclass(frozen=True)
class Quote:
    """What a message received at `received_at` would be promised (`premura sla_promise`)."""

    received_at: datetime.datetime
    policy: Policy | None
    first_response_due: datetime.datetime | None
    next_response_due: datetime.datetime | None
    resolution_due: datetime.datetime | None

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.policy.calendar.time_zone if self.policy else shop_settings().time_zone)

    @property
    def promise(self) -> Promise | None:
        due_at = self.first_response_due
        return Promise(due_at=due_at, time_zone=self.time_zone) if due_at else None


def quote(
    *, received_at: datetime.datetime, channel: str, priority: str, tier: str, team_id: int | None = None
) -> Quote:
    """The policy and deadlines a new case would get if its first message arrived at
    `received_at`: what refresh_deadlines writes for such a case. Raises SlaError for a naive
    instant, CalendarNeverOpen when the calendar never opens."""
    active = choose_policy(active_policies(), channel=channel, priority=priority, tier=tier, team_id=team_id)
    return quote_policy(active.policy if active else None, received_at=received_at)


def quote_policy(policy: Policy | None, *, received_at: datetime.datetime) -> Quote:
    """The deadlines `policy` sets for a first message at `received_at` (the admin's preview).
    Raises SlaError for a naive instant, CalendarNeverOpen when the calendar never opens."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise SlaError(_("Give the time with its offset, e.g. 2026-12-05T23:48:00+01:00."))
    if policy is None:
        return Quote(received_at, None, None, None, None)
    schedule = policy.calendar.schedule()

    def due(minutes: int | None) -> datetime.datetime | None:
        if minutes is None:
            return None
        return add_business_time(schedule, received_at, datetime.timedelta(minutes=minutes)).astimezone(
            schedule.time_zone
        )

    return Quote(
        received_at,
        policy,
        due(policy.first_response_minutes),
        due(policy.next_response_minutes),
        due(policy.resolution_minutes),
    )
