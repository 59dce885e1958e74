"""The SLA sweeper: warn before a deadline, escalate at it (docs/architecture.md, "SLA escalation").

`sweep` runs every minute (sla.tasks). It reads the cases whose `sla_check_at` has passed, oldest
first, over the partial index case_sla_check_idx, so a run costs what is due, never what is open.
Each case is claimed and escalated in one transaction: the claim is a conditional UPDATE of
`sla_check_at` from the value read, so of two workers on one case only one changes the row (the
other's UPDATE waits for its commit on PostgreSQL, or runs after it on SQLite, and matches
nothing); a worker that dies before its commit leaves the row as it was, due, for the next run.
"""

import datetime
import logging

from django.db import transaction

from premura.agents.models import Agent, NotificationKind
from premura.agents.services import administrators, notify
from premura.conversations import routing
from premura.conversations import services as case_services
from premura.conversations.models import Case, Priority
from premura.core import clock
from premura.core.audit import record_event
from premura.sla.calendar import Schedule
from premura.sla.escalation import checkpoints, open_outcomes, outcome_fields, warning_instant
from premura.sla.models import Outcome, Policy, TargetOutcome
from premura.sla.services import DUE_FIELDS

logger = logging.getLogger(__name__)

BATCH = 200
# Where a claimed case's check goes until its escalation commits with the next one, and where a
# case whose escalation failed waits before it is tried again (the failure is logged).
RETRY_AFTER = datetime.timedelta(minutes=5)
# One step up; urgent stays urgent.
NEXT_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
}


def due_checks(now: datetime.datetime, batch: int) -> list[tuple[int, datetime.datetime]]:
    """(id, sla_check_at) of up to `batch` cases whose check has passed, the oldest first: an
    ordered range of case_sla_check_idx."""
    return list(
        Case.objects.filter(sla_check_at__lte=now)
        .order_by("sla_check_at", "pk")
        .values_list("pk", "sla_check_at")[:batch]
    )


def sweep(*, batch: int = BATCH) -> int:
    """Escalate every case whose check has passed, `batch` at a time, each in its own
    transaction; returns how many this run escalated. Safe to run in several workers at once.
    A case whose escalation raises is logged and tried again after RETRY_AFTER, so it never
    holds up the others."""
    now = clock.now()
    policies = None
    escalated = 0
    while True:
        due = due_checks(now, batch)
        if due and policies is None:
            policies = Policies()
        for case_id, seen in due:
            try:
                escalated += escalate(case_id, seen, now=now, policies=policies)
            except Exception:
                logger.exception("SLA escalation of case %s failed; trying again later", case_id)
                Case.objects.filter(pk=case_id, sla_check_at=seen).update(sla_check_at=now + RETRY_AFTER)
        if len(due) < batch:
            return escalated


class Policies:
    """Every policy (a case may still run under one deactivated since) with its calendar's
    schedule, read once per sweep."""

    def __init__(self):
        self.by_id = {
            policy.pk: policy
            for policy in Policy.objects.select_related("calendar").prefetch_related(
                "calendar__opening_hours", "calendar__closures", "calendar__extra_openings"
            )
        }
        self.schedules = {pk: policy.calendar.schedule() for pk, policy in self.by_id.items()}

    def of(self, case: Case) -> tuple[Policy | None, Schedule | None]:
        """The policy the case's clock runs under, and its schedule."""
        clock_row = getattr(case, "sla_clock", None)
        policy_id = clock_row.policy_id if clock_row is not None else None
        return self.by_id.get(policy_id), self.schedules.get(policy_id)


def _load(case_id: int) -> Case:
    return Case.objects.select_related("owner", "team__lead", "sla_clock").get(pk=case_id)


@transaction.atomic
def escalate(case_id: int, seen: datetime.datetime, *, now: datetime.datetime, policies: Policies) -> bool:
    """Claim the case if its check is still `seen`, then give each running target what is due at
    `now`: the breach if its deadline has passed, else the warning if its share is used. Moves
    `sla_check_at` on to the next instant. Returns whether this call claimed the case."""
    claimed = Case.objects.filter(pk=case_id, sla_check_at=seen).update(sla_check_at=now + RETRY_AFTER)
    if claimed != 1:
        return False
    case = _load(case_id)
    policy, schedule = policies.of(case)
    rows = open_outcomes(case_id)
    breaches = []
    for target, field in DUE_FIELDS.items():
        due_at = getattr(case, field)
        row = rows.get(target)
        if due_at is None or policy is None or (row is not None and row.breached_at is not None):
            continue
        if due_at <= now:
            rows[target] = _breach(case, policy, target, row, due_at=due_at, now=now)
            breaches.append(rows[target])
        elif row is None or row.warned_at is None:
            warning = warning_instant(policy, schedule, target, due_at)
            if warning is not None and warning <= now:
                rows[target] = _warn(case, policy, target, row, due_at=due_at, now=now)
    if breaches and _escalate_breached(case, policy, breaches[0]):
        # The new priority or owner went through conversations.services, whose case_changed had
        # refresh_deadlines write the deadlines, sla_warn_at and sla_check_at from the outcomes
        # saved above (decision 0013): the next check is written already.
        return True
    dues = {target: getattr(case, field) for target, field in DUE_FIELDS.items() if getattr(case, field)}
    columns = checkpoints(policy, dues, rows, schedule=schedule).as_columns()
    Case.objects.filter(pk=case_id).update(**columns)
    return True


def _told_about(case: Case, *, owner_first: bool) -> list[Agent]:
    """Who hears of the case's deadline: its owner and/or its team's lead, else the desk's
    administrators (somebody must). A warning goes to the owner, or to the lead of an unassigned
    case; a breach to both."""
    lead = case.team.lead if case.team is not None and case.team.lead_id else None
    if owner_first and case.owner is not None:
        return [case.owner]
    above = [lead] if lead is not None else administrators()
    return [*([case.owner] if case.owner is not None else []), *above]


def _occurrence(case: Case, policy: Policy, target: str, row: TargetOutcome | None, due_at) -> TargetOutcome:
    if row is None:
        row = TargetOutcome(case_id=case.pk, target=target, **outcome_fields(case, policy))
    row.due_at = due_at
    return row


def _warn(
    case: Case, policy: Policy, target: str, row: TargetOutcome | None, *, due_at, now
) -> TargetOutcome:
    row = _occurrence(case, policy, target, row, due_at)
    row.warned_at = now
    row.save()
    told = _told_about(case, owner_first=True)
    data = {"target": target, "due_at": due_at.isoformat()}
    notify(told, kind=NotificationKind.SLA_WARNING, case_id=case.pk, data=data)
    record_event(
        case,
        "sla.warning",
        percent=policy.warning_percent,
        notified=[agent.display_name for agent in told],
        **data,
    )
    return row


def _breach(
    case: Case, policy: Policy, target: str, row: TargetOutcome | None, *, due_at, now
) -> TargetOutcome:
    row = _occurrence(case, policy, target, row, due_at)
    row.breached_at = row.outcome_at = now
    row.outcome = Outcome.BREACHED
    row.agent_id, row.team_id, row.channel = case.owner_id, case.team_id, case.channel
    row.save()
    told = _told_about(case, owner_first=False)
    data = {"target": target, "due_at": due_at.isoformat()}
    notify(told, kind=NotificationKind.SLA_BREACH, case_id=case.pk, data=data)
    record_event(case, "sla.breached", notified=[agent.display_name for agent in told], **data)
    return row


def raise_priority(case: Case) -> bool:
    """One step of priority up (urgent stays urgent); whether it changed."""
    if case.priority not in NEXT_PRIORITY:
        return False
    case_services.change_priority(case, NEXT_PRIORITY[case.priority])
    return True


def escalate_case(case: Case, *, kind: str, data: dict) -> list[Agent]:
    """What a missed deadline does to a case, for a caller outside the SLA (care's kept promises,
    decision 0032): its owner and its team's lead (else the administrators) are notified (`kind`,
    `data`) and its priority rises one step. The caller holds the case's row lock, with its owner
    and team's lead loaded. Returns who was told."""
    told = _told_about(case, owner_first=False)
    notify(told, kind=kind, case_id=case.pk, data=data)
    raise_priority(case)
    return told


def _escalate_breached(case: Case, policy: Policy, breach: TargetOutcome) -> bool:
    """One step of priority per visit, however many targets it found breached; then, if the
    policy says so, another available agent of the team takes the case. Whether either changed
    the case."""
    changed = raise_priority(case)
    if not policy.reassign_on_breach or case.team_id is None:
        return changed
    agent = routing.least_loaded(case.team, excluding=case.owner_id)
    if agent is None:
        return changed
    previous = case.owner.display_name if case.owner is not None else ""
    case_services.assign(case, agent)
    data = {"target": breach.target, "due_at": breach.due_at.isoformat(), "previous": previous}
    notify([agent], kind=NotificationKind.SLA_REASSIGNED, case_id=case.pk, data=data)
    return True
