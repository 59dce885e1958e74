"""When the model warns: from the parcel's ahead run (WARNING_LEAD_DAYS before the promise) when
its ahead score passed the ahead threshold there, staying warned after it; from the eve of the
promise on when the hazard probability passes the eve threshold; never before the ahead run."""

import dataclasses
import datetime

from premura.shipping.delays.ahead import WARNING_LEAD_DAYS
from premura.shipping.delays.detector import NEVER, Detector, Level, Signal, Thresholds, assess
from premura.shipping.delays.model import train
from premura.shipping.delays.parcels import Parcel
from premura.shipping.delays.stalled import StallNorms

PROMISED = datetime.date(2025, 6, 20)


def run(lead: int) -> datetime.date:
    return PROMISED - datetime.timedelta(days=lead + 1)


# Scanned every day, so it never stalls: only the model can warn.
PARCEL = Parcel(
    key="1",
    carrier="brt",
    origin="Lombardia",
    destination="RM",
    placed_on=run(15),
    promised_on=PROMISED,
    handed_over_on=run(14),
    scans=tuple(run(lead) for lead in range(13, -1, -1)),
)


def level(thresholds: Thresholds, lead: int, parcel: Parcel = PARCEL) -> tuple[str, str]:
    assessment = assess(Detector(train([]), StallNorms("IT"), thresholds), parcel.known_at(run(lead)))
    return assessment.level, assessment.signal


WARNED = (Level.HIGH, Signal.PREDICTED)
QUIET = (Level.LOW, "")


def test_the_model_never_warns_before_the_ahead_run_even_when_sure():
    assert level(Thresholds(ahead=0.0, eve=0.0), WARNING_LEAD_DAYS + 1) == QUIET
    assert level(Thresholds(ahead=0.0, eve=0.0), WARNING_LEAD_DAYS) == WARNED


def test_a_parcel_warned_at_its_ahead_run_stays_warned_until_its_promise():
    warned_ahead = Thresholds(ahead=0.0, eve=NEVER)
    assert [level(warned_ahead, lead) for lead in range(WARNING_LEAD_DAYS, -1, -1)] == [WARNED] * 4


def test_the_eve_threshold_warns_only_from_the_eve_of_the_promise():
    eve_only = Thresholds(ahead=NEVER, eve=0.0)
    assert [level(eve_only, lead) for lead in range(WARNING_LEAD_DAYS, 0, -1)] == [QUIET] * 3
    assert level(eve_only, 0) == WARNED


def test_a_parcel_ordered_after_its_ahead_run_is_judged_ahead_at_its_order_day():
    late_order = dataclasses.replace(PARCEL, placed_on=run(1), handed_over_on=run(1), scans=())
    assert level(Thresholds(ahead=0.0, eve=NEVER), 1, late_order) == WARNED
    assert level(Thresholds(ahead=NEVER, eve=NEVER), 1, late_order) == QUIET
