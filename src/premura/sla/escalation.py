"""Where each running target stands against its warning and its deadline (docs/architecture.md,
"SLA escalation").

`follow_targets` runs inside `services.refresh_deadlines` on every change of a case: it settles
the outcome of each target met or stopped since the last change (`TargetOutcome`, the reports'
rows) and returns the two columns the inbox and the sweeper read, `sla_warn_at` (when the earliest
deadline passes its warning share: the badge turns amber) and `sla_check_at` (the next instant
the sweeper must act). `sla.sweeper` acts on them and calls `checkpoints` again afterwards.
"""

import dataclasses
import datetime
from collections.abc import Mapping

from premura.conversations.models import Case
from premura.core.audit import record_event
from premura.sla.calendar import Schedule, business_time_before
from premura.sla.models import DeadlineState, Outcome, Policy, Target, TargetOutcome

TARGET_MINUTES = {
    Target.FIRST_RESPONSE: "first_response_minutes",
    Target.NEXT_RESPONSE: "next_response_minutes",
    Target.RESOLUTION: "resolution_minutes",
}
# A target in one of these states is one occurrence still going on; any other state ends it.
_GOING_ON = frozenset({DeadlineState.RUNNING, DeadlineState.PAUSED})


def warning_instant(
    policy: Policy, schedule: Schedule, target: str, due_at: datetime.datetime
) -> datetime.datetime | None:
    """When the target has used the policy's warning share of its business time: its deadline
    less the rest of the share, counted back in the policy's calendar (`schedule`). None without
    a warning (no share set, no target), or when the calendar was closed for over a year before
    the deadline."""
    minutes = getattr(policy, TARGET_MINUTES[target])
    if policy.warning_percent is None or minutes is None:
        return None
    left = datetime.timedelta(minutes=minutes) * (100 - policy.warning_percent) / 100
    return business_time_before(schedule, due_at, left)


@dataclasses.dataclass(frozen=True)
class Checkpoints:
    warn_at: datetime.datetime | None  # Case.sla_warn_at
    check_at: datetime.datetime | None  # Case.sla_check_at

    def as_columns(self) -> dict[str, datetime.datetime | None]:
        return {"sla_warn_at": self.warn_at, "sla_check_at": self.check_at}


def checkpoints(
    policy: Policy | None,
    dues: Mapping[str, datetime.datetime],
    open_outcomes: Mapping[str, TargetOutcome],
    *,
    schedule: Schedule | None = None,
) -> Checkpoints:
    """The warning instant of the earliest deadline, and the next instant the sweeper must act:
    for each running target (`dues`, target -> deadline), its warning if it has one still to
    give, else its deadline unless already breached (`open_outcomes`: the target's occurrence
    row, when warned or breached). `schedule` is the policy's calendar, when the caller has it."""
    if policy is None or not dues:
        return Checkpoints(None, None)
    schedule = schedule or policy.calendar.schedule()
    earliest = min(dues.values())
    warn_at = None
    pending = []
    for target, due_at in dues.items():
        warning = warning_instant(policy, schedule, target, due_at)
        if due_at == earliest and warning is not None:
            warn_at = warning if warn_at is None else min(warn_at, warning)
        row = open_outcomes.get(target)
        if row is not None and row.breached_at is not None:
            continue
        to_warn = warning is not None and warning < due_at and (row is None or row.warned_at is None)
        pending.append(warning if to_warn else due_at)
    return Checkpoints(warn_at, min(pending, default=None))


def open_outcomes(case_id: int) -> dict[str, TargetOutcome]:
    """The case's targets warned or breached whose occurrence is still going on, by target."""
    return {row.target: row for row in TargetOutcome.objects.filter(case_id=case_id, settled_at__isnull=True)}


def outcome_fields(case: Case, policy: Policy | None) -> dict:
    """Who, which team, channel and policy an outcome is recorded under: the case's, now."""
    return {
        "policy": policy,
        "policy_name": policy.name if policy else "",
        "team_id": case.team_id,
        "agent_id": case.owner_id,
        "channel": case.channel,
    }


def follow_targets(
    case: Case,
    policy: Policy | None,
    states: Mapping[str, object],
    *,
    previous_states: Mapping[str, str],
    previous_due: Mapping[str, datetime.datetime | None],
    outcomes: dict[str, TargetOutcome] | None = None,
    now: datetime.datetime,
) -> dict[str, datetime.datetime | None]:
    """Settle the outcomes of the targets whose occurrence ended, and return the case's new
    `sla_warn_at` and `sla_check_at` columns. Called by refresh_deadlines in its transaction with
    the case's row locked: `states` are the targets' new states (with `.state` and `.due_at`),
    `previous_states` and `previous_due` what they were; `outcomes` the open outcomes when the
    caller knows them (else they are read).

    A target met by its deadline is a `met` outcome; met after it, `breached` (the sweeper had
    not come by yet: the breach is recorded, with its audit event, but nobody is told any more).
    A target stopped (the case solved unanswered) or dropped (a policy without it) settles its
    row with the outcome it had. Idempotent: a second call finds nothing left to settle.
    """
    rows = open_outcomes(case.pk) if outcomes is None else dict(outcomes)
    for target, state in states.items():
        row = rows.get(target)
        if state.state in _GOING_ON:
            continue
        if state.state == DeadlineState.MET and (row is not None or previous_states.get(target) in _GOING_ON):
            due_at = previous_due.get(target) or (row.due_at if row is not None else None)
            _settle_met(case, policy, target, row, due_at=due_at, now=now)
        elif row is not None:
            row.outcome = Outcome.STOPPED if row.outcome == Outcome.PENDING else row.outcome
            row.settled_at = now
            row.save(update_fields=["outcome", "settled_at"])
        rows.pop(target, None)
    dues = {target: state.due_at for target, state in states.items() if state.state == DeadlineState.RUNNING}
    return checkpoints(policy, dues, rows).as_columns()


def _settle_met(
    case: Case,
    policy: Policy | None,
    target: str,
    row: TargetOutcome | None,
    *,
    due_at: datetime.datetime | None,
    now: datetime.datetime,
) -> None:
    late = due_at is not None and due_at < now
    if row is None:
        row = TargetOutcome(case_id=case.pk, target=target, due_at=due_at, **outcome_fields(case, policy))
    if row.outcome == Outcome.PENDING:
        if late:
            row.outcome, row.breached_at, row.outcome_at = Outcome.BREACHED, due_at, due_at
            record_event(
                case, "sla.breached", target=target, due_at=due_at.isoformat(), notified=[], met_late=True
            )
        else:
            row.outcome, row.outcome_at = Outcome.MET, now
            row.agent_id, row.team_id, row.channel = case.owner_id, case.team_id, case.channel
    row.met_at = row.settled_at = now
    row.save()
