"""SLA reports: targets met and breached over a period, by policy, team, agent and channel
(docs/architecture.md, "SLA escalation")."""

import dataclasses
import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from premura.core.models import Channel
from premura.sla.models import Outcome, TargetOutcome

# How each report groups the outcomes: the column, and the label a row shows.
GROUPINGS = {
    "policy": (_("Policy"), "policy_name"),
    "team": (_("Team"), "team__name"),
    "agent": (_("Agent"), "agent__display_name"),
    "channel": (_("Channel"), "channel"),
    "target": (_("Target"), "target"),
}


@dataclasses.dataclass(frozen=True)
class ReportRow:
    label: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def met_percent(self) -> int:
        """The share met, rounded down (99 % is not 100 %)."""
        return self.met * 100 // self.total if self.total else 0


def outcome_report(since: datetime.datetime, grouping: str) -> list[ReportRow]:
    """The targets whose outcome (met or breached) became known since `since`, counted by
    `grouping` (a key of GROUPINGS), most breached first. A range of sla_outcome_at_idx."""
    _label, column = GROUPINGS[grouping]
    rows = (
        TargetOutcome.objects.filter(outcome_at__gte=since, outcome__in=[Outcome.MET, Outcome.BREACHED])
        .order_by()
        .values(column)
        .annotate(
            met=Count("pk", filter=Q(outcome=Outcome.MET)),
            breached=Count("pk", filter=Q(outcome=Outcome.BREACHED)),
        )
    )
    names = {
        "channel": dict(Channel.choices),
        "target": dict(TargetOutcome._meta.get_field("target").choices),
    }
    report = [
        ReportRow(
            label=str(names.get(grouping, {}).get(row[column], row[column] or "—")),
            met=row["met"],
            breached=row["breached"],
        )
        for row in rows
    ]
    return sorted(report, key=lambda row: (-row.breached, -row.total, row.label))
