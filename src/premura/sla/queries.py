"""Read side of the SLA: a case's deadlines and their history, for the console's case page."""

import dataclasses
import datetime

from django.utils.translation import gettext_lazy as _

from premura.conversations.models import Case
from premura.core import clock
from premura.sla.models import CaseClock, DeadlineChange, DeadlineState, Target
from premura.sla.services import DUE_FIELDS

# Why a deadline moved, by the action that moved it (DeadlineChange.cause).
CAUSES = {
    "case.opened": _("the case was opened"),
    "case.message_received": _("the customer wrote"),
    "case.replied": _("an agent replied"),
    "case.note_added": _("a note was added"),
    "case.status_changed": _("the status changed"),
    "case.priority_changed": _("the priority changed"),
    "case.assigned": _("the case was assigned"),
    "case.unassigned": _("the case was unassigned"),
    "customer.tier_changed": _("the customer's tier changed"),
    "sla.policy_changed": _("an SLA policy was edited"),
    "sla.calendar_changed": _("the business calendar was edited"),
}


def cause_words(cause: str) -> str:
    return str(CAUSES.get(cause, cause))


@dataclasses.dataclass(frozen=True)
class DeadlineLine:
    target: str
    label: str
    state: str
    due_at: datetime.datetime | None
    is_overdue: bool
    last_change: DeadlineChange | None


@dataclasses.dataclass(frozen=True)
class CaseDeadlines:
    policy_name: str
    lines: list[DeadlineLine]
    history: list[DeadlineChange]


# The newest changes the case page lists; older ones stay in the table.
HISTORY_LENGTH = 30


def case_deadlines(case: Case) -> CaseDeadlines | None:
    """The case's three deadlines with the change that set each, and its recent history, newest
    first; None when the SLA never looked at the case (no clock)."""
    sla_clock = CaseClock.objects.filter(case_id=case.pk).select_related("policy").first()
    if sla_clock is None:
        return None
    changes = DeadlineChange.objects.filter(case_id=case.pk).order_by("-changed_at", "-id")
    history = list(changes[:HISTORY_LENGTH])
    now = clock.now()
    lines = []
    for target in Target:
        due_at = getattr(case, DUE_FIELDS[target])
        lines.append(
            DeadlineLine(
                target=target,
                label=target.label,
                state=sla_clock.states.get(target, DeadlineState.NONE),
                due_at=due_at,
                is_overdue=due_at is not None and due_at <= now,
                last_change=next((change for change in history if change.target == target), None),
            )
        )
    return CaseDeadlines(
        policy_name=sla_clock.policy.name if sla_clock.policy else "", lines=lines, history=history
    )
