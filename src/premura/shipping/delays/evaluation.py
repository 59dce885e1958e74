"""Figures of a warning rule over delivered parcels, by the conventions of issue 13.

Late ⇔ delivered after the promised date (calendar days). A run at the end of day e sees events
dated <= e; a warning there has lead = promised - e - 1 days. A late parcel counts as warned if
warned at a run with lead >= 0, or, when handed over on or after its promised date, at the run of
its handover day (`counted_runs`). False alarms: on-time parcels warned at any run, over all
on-time delivered parcels.
"""

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from premura.shipping.delays.detector import NAIVE_DAYS_BEFORE, counted_runs, lead_days
from premura.shipping.delays.parcels import Parcel

FALSE_ALARM_POINTS = (0.01, 0.03, 0.05, 0.10)
CURVE_MIN_LEAD = 3


@dataclass
class Trace:
    """What a rule did with one delivered parcel over the runs before its delivery."""

    parcel: Parcel
    warnings: list[datetime.date] = field(default_factory=list)
    # Its score at the run of the handover day, for the AUC; None if delivered that day.
    handover_score: float | None = None
    # The probability at each run (the model only), for the recall at a false-alarm share.
    scores: dict[datetime.date, float] = field(default_factory=dict)

    @property
    def late(self) -> bool:
        return self.parcel.delivered_on > self.parcel.promised_on


def auc(late_scores: Sequence[float], on_time_scores: Sequence[float]) -> float | None:
    """P(a late parcel scores above an on-time one), ties counting half."""
    if not late_scores or not on_time_scores:
        return None
    ranked = sorted([(s, 1) for s in late_scores] + [(s, 0) for s in on_time_scores])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2
        rank_sum += average_rank * sum(flag for _s, flag in ranked[i:j])
        i = j
    n_late, n_on_time = len(late_scores), len(on_time_scores)
    return (rank_sum - n_late * (n_late + 1) / 2) / (n_late * n_on_time)


def figures(traces: Iterable[Trace]) -> dict:
    """{"auc", "recall", "false_alarm_rate", "median_lead_days", "late", "on_time"}, rates as
    fractions (None when there is nothing to divide by)."""
    late = on_time = warned_late = warned_on_time = 0
    leads: list[int] = []
    scores: dict[bool, list[float]] = {True: [], False: []}
    for trace in traces:
        parcel = trace.parcel
        if trace.handover_score is not None:
            scores[trace.late].append(trace.handover_score)
        if not trace.late:
            on_time += 1
            warned_on_time += bool(trace.warnings)
            continue
        late += 1
        counted = set(counted_runs(parcel.known_at(parcel.delivered_on))) & set(trace.warnings)
        if counted:
            warned_late += 1
            leads.append(max(lead_days(parcel, run) for run in counted))
    return {
        "auc": auc(scores[True], scores[False]),
        "recall": warned_late / late if late else None,
        "false_alarm_rate": warned_on_time / on_time if on_time else None,
        "median_lead_days": statistics.median(leads) if leads else None,
        "late": late,
        "on_time": on_time,
    }


def recall_at_false_alarms(traces: Sequence[Trace]) -> list[dict]:
    """For each share in FALSE_ALARM_POINTS, the threshold on the probability that warns at most
    that share of on-time parcels (at any run), and the share of late parcels it warns at a run
    with lead >= CURVE_MIN_LEAD days."""
    on_time = sorted((max(t.scores.values(), default=0.0) for t in traces if not t.late), reverse=True)
    late = [
        max((s for run, s in t.scores.items() if lead_days(t.parcel, run) >= CURVE_MIN_LEAD), default=0.0)
        for t in traces
        if t.late
    ]
    curve = []
    for share in FALSE_ALARM_POINTS:
        allowed = int(share * len(on_time))
        threshold = on_time[allowed] if allowed < len(on_time) else 0.0
        curve.append(
            {
                "false_alarm_rate": share,
                "threshold": round(threshold, 6),
                "recall_lead_3_days": sum(s > threshold for s in late) / len(late) if late else None,
            }
        )
    return curve


def naive_trace(parcel: Parcel, *, days_before: int = NAIVE_DAYS_BEFORE) -> Trace:
    """The rule a model must beat: warn at every run from `days_before` days before the promise
    while the parcel is undelivered. Its handover score is how few days were left."""
    first = max(parcel.promised_on - datetime.timedelta(days=days_before), parcel.placed_on)
    runs = [first + datetime.timedelta(days=i) for i in range((parcel.delivered_on - first).days)]
    handed = parcel.handed_over_on
    score = -float((parcel.promised_on - handed).days) if handed and handed < parcel.delivered_on else None
    return Trace(parcel, runs, score)


def by_month(traces_by_rule: dict[str, Sequence[Trace]]) -> dict[str, dict[str, dict]]:
    """The figures of each rule per month of purchase ("YYYY-MM")."""
    months: dict[str, dict[str, list[Trace]]] = defaultdict(lambda: defaultdict(list))
    for rule, traces in traces_by_rule.items():
        for trace in traces:
            months[f"{trace.parcel.placed_on:%Y-%m}"][rule].append(trace)
    return {month: {rule: figures(t) for rule, t in rules.items()} for month, rules in sorted(months.items())}
