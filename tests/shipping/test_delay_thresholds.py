"""The model's warning depends on the lead: none before WARNING_LEAD_DAYS, a stricter threshold at
that run than on the last days before the promise."""

import datetime

from premura.shipping.delays.detector import WARNING_LEAD_DAYS, Detector, Level, Signal, Thresholds, assess
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


def level(thresholds: Thresholds, lead: int) -> tuple[str, str]:
    assessment = assess(Detector(train([]), StallNorms("IT"), thresholds), PARCEL.known_at(run(lead)))
    return assessment.level, assessment.signal


def test_the_model_never_warns_before_the_warning_lead_even_when_sure():
    assert level(Thresholds(ahead=0.0, eve=0.0), WARNING_LEAD_DAYS + 1) == (Level.LOW, "")
    assert level(Thresholds(ahead=0.0, eve=0.0), WARNING_LEAD_DAYS) == (Level.HIGH, Signal.PREDICTED)


def test_the_ahead_threshold_applies_at_the_warning_lead_and_the_eve_one_after_it():
    strict_ahead = Thresholds(ahead=1.01, eve=0.0)
    assert level(strict_ahead, WARNING_LEAD_DAYS) == (Level.LOW, "")
    assert level(strict_ahead, WARNING_LEAD_DAYS - 1) == (Level.HIGH, Signal.PREDICTED)
    strict_eve = Thresholds(ahead=0.0, eve=1.01)
    assert level(strict_eve, WARNING_LEAD_DAYS) == (Level.HIGH, Signal.PREDICTED)
    assert level(strict_eve, 0) == (Level.LOW, "")
