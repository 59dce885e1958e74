"""The replay's conventions (issue 13), each on a small hand-made fixture with figures computed
by hand. Synthetic parcels only: the real export is for evaluation, never for the repository."""

import datetime

import pytest

from premura.shipping.delays.detector import counted_runs, naive_warns
from premura.shipping.delays.evaluation import (
    Trace,
    auc,
    by_month,
    figures,
    lead_days,
    naive_trace,
    recall_at_false_alarms,
)
from premura.shipping.delays.parcels import Parcel

PROMISE = datetime.date(2026, 1, 20)


def d(offset: int) -> datetime.date:
    """A day relative to the promise: d(0) is the promised date."""
    return PROMISE + datetime.timedelta(days=offset)


def parcel(key: str, *, delivered: int, handed: int = -10, placed: int = -12) -> Parcel:
    return Parcel(key, "brt", "Lombardia", "RM", d(placed), PROMISE, d(handed), d(delivered))


def test_late_means_delivered_after_the_promised_calendar_day():
    assert Trace(parcel("on the day", delivered=0)).late is False
    assert Trace(parcel("a day after", delivered=1)).late is True
    assert figures([Trace(parcel("a", delivered=0)), Trace(parcel("b", delivered=1))])["late"] == 1


def test_a_run_at_the_end_of_day_e_sees_the_events_dated_on_or_before_e():
    late = parcel("x", delivered=3, handed=-2)
    assert late.known_at(d(-3)).handed_over_on is None
    assert late.known_at(d(-2)).handed_over_on == d(-2)
    assert late.known_at(d(2)).delivered_on is None
    assert late.known_at(d(3)).delivered_on == d(3)


def test_the_lead_of_a_warning_is_promise_minus_run_minus_one():
    p = parcel("x", delivered=2)
    assert [lead_days(p, d(offset)) for offset in (-4, -1, 0)] == [3, 0, -1]


def test_a_late_parcel_counts_as_warned_at_runs_with_lead_zero_or_more():
    warned_on_the_eve = Trace(parcel("eve", delivered=2), warnings=[d(-1)])
    warned_on_the_day = Trace(parcel("day", delivered=2), warnings=[d(0)])
    assert figures([warned_on_the_eve])["recall"] == 1.0
    assert figures([warned_on_the_eve])["median_lead_days"] == 0
    assert figures([warned_on_the_day])["recall"] == 0.0


def test_a_parcel_handed_over_on_or_after_its_promise_counts_when_warned_at_its_handover_day():
    handed_after = parcel("after", delivered=4, handed=1)
    handed_on = parcel("on", delivered=4, handed=0)
    assert d(1) in counted_runs(handed_after.known_at(d(4)))
    assert figures([Trace(handed_after, warnings=[d(1)])])["recall"] == 1.0
    assert figures([Trace(handed_after, warnings=[d(1)])])["median_lead_days"] == -2
    assert figures([Trace(handed_on, warnings=[d(0)])])["recall"] == 1.0
    # A warning the day after the handover is too late.
    assert figures([Trace(handed_on, warnings=[d(1)])])["recall"] == 0.0


def test_false_alarms_are_on_time_parcels_warned_at_any_run_over_all_on_time_parcels():
    traces = [
        Trace(parcel("warned on the day", delivered=0), warnings=[d(0)]),
        Trace(parcel("warned early", delivered=-3), warnings=[d(-9)]),
        Trace(parcel("never warned", delivered=-5)),
        Trace(parcel("never warned either", delivered=-1)),
        Trace(parcel("late, not an alarm", delivered=1), warnings=[d(-2)]),
    ]
    assert figures(traces)["false_alarm_rate"] == 2 / 4


def test_the_whole_fixture_by_hand():
    a = Trace(parcel("A", delivered=2), warnings=[d(-4), d(-1)], handover_score=0.9)  # lead 3
    b = Trace(parcel("B", delivered=1), warnings=[d(0)], handover_score=0.8)  # too late
    c = Trace(parcel("C", delivered=3, handed=1), warnings=[d(1)], handover_score=0.85)  # lead -2
    dd = Trace(parcel("D", delivered=3, handed=0), warnings=[d(1)], handover_score=0.6)  # too late
    h = Trace(parcel("H", delivered=1), warnings=[d(-1)], handover_score=0.7)  # lead 0
    e = Trace(parcel("E", delivered=0), warnings=[d(-2)], handover_score=0.85)  # false alarm
    f = Trace(parcel("F", delivered=-3), handover_score=0.1)
    g = Trace(parcel("G", delivered=-6), handover_score=0.2)
    result = figures([a, b, c, dd, h, e, f, g])
    # AUC: late 0.9, 0.8, 0.85, 0.6, 0.7 against on time 0.85, 0.1, 0.2: 3 + 2 + 2.5 + 2 + 2 of 15.
    assert result == {
        "auc": pytest.approx(11.5 / 15),
        "recall": 3 / 5,
        "false_alarm_rate": 1 / 3,
        "median_lead_days": 0,
        "late": 5,
        "on_time": 3,
    }


def test_auc_counts_ties_as_half():
    assert auc([1.0, 0.5], [0.5, 0.0]) == pytest.approx((2 + 1.5) / 4)
    assert auc([], [0.3]) is None


def test_the_naive_rule_warns_from_three_days_before_the_promise_while_undelivered():
    late = naive_trace(parcel("late", delivered=2))
    assert late.warnings == [d(-3), d(-2), d(-1), d(0), d(1)]
    assert figures([late])["median_lead_days"] == 2
    assert naive_trace(parcel("early", delivered=-3)).warnings == []
    assert naive_trace(parcel("on the eve", delivered=-2)).warnings == [d(-3)]  # a false alarm
    # Its score at the handover is how few days were left: the later the handover, the riskier.
    assert naive_trace(parcel("x", delivered=2, handed=-4)).handover_score == -4.0


def test_recall_at_a_false_alarm_share_counts_late_parcels_with_three_days_of_lead():
    on_time = [Trace(parcel(f"ok{i}", delivered=-1), scores={d(-5): i / 100}) for i in range(100)]
    early = Trace(parcel("early", delivered=2), scores={d(-4): 0.995, d(-1): 0.2})  # lead 3
    only_late = Trace(parcel("late", delivered=2), scores={d(-3): 0.999})  # lead 2: not counted
    curve = recall_at_false_alarms([*on_time, early, only_late])
    # 1% of 100 on-time parcels: the one at 0.99 may warn, so the threshold is the next, 0.98.
    assert curve[0] == {"false_alarm_rate": 0.01, "threshold": 0.98, "recall_lead_3_days": 0.5}
    assert [point["false_alarm_rate"] for point in curve] == [0.01, 0.03, 0.05, 0.10]


def test_figures_per_month_of_purchase():
    january = Trace(
        Parcel("j", "brt", "", "", datetime.date(2026, 1, 5), PROMISE, d(-10), d(1)), warnings=[d(-1)]
    )
    february = Trace(Parcel("f", "brt", "", "", datetime.date(2026, 2, 1), d(30), d(20), d(25)))
    months = by_month({"model": [january, february], "naive_3_days": [naive_trace(january.parcel)]})
    assert list(months) == ["2026-01", "2026-02"]
    assert months["2026-01"]["model"]["recall"] == 1.0
    assert months["2026-02"]["model"] == figures([february])
    assert "naive_3_days" not in months["2026-02"]


def test_the_calibration_counts_the_naive_rules_false_alarms_as_the_replay_does():
    parcels = [
        parcel("early", delivered=-3),
        parcel("two days before", delivered=-2),
        parcel("on the day", delivered=0),
        parcel("ordered the day before", delivered=0, handed=-1, placed=-1),
    ]
    assert [naive_warns(p) for p in parcels] == [bool(naive_trace(p).warnings) for p in parcels]
    assert [naive_warns(p) for p in parcels] == [False, True, True, True]
