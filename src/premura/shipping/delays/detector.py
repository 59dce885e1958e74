"""One run of the detector over a parcel: the three signals, in the order a desk trusts them.

The carrier's own exception first, then a stalled parcel, then the model's probability against a
threshold. The threshold is recalibrated on the most recently resolved parcels (`calibrate`): the
highest probability that still warns TARGET_RECALL of those that turned out late, so a change in
how the shop promises dates moves the threshold instead of flooding the desk.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from premura.shipping.delays.model import HazardModel, predict
from premura.shipping.delays.parcels import ParcelView
from premura.shipping.delays.stalled import StallNorms, business_days_between, stalled_for

DEFAULT_THRESHOLD = 0.5
TARGET_RECALL = 0.95
CALIBRATION_DAYS = 60  # parcels whose promise fell in this many days before the run
MIN_CALIBRATION_LATE = 5


class Signal:
    EXCEPTION = "exception"
    STALLED = "stalled"
    PREDICTED = "predicted"


class Level:
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class Detector:
    model: HazardModel
    norms: StallNorms
    threshold: float = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Assessment:
    level: str
    signal: str  # the signal that raised it; empty when low
    probability: float | None  # of missing the promised date (None without a promise)
    expected_on: datetime.date | None
    factors: list[dict] = field(default_factory=list)

    @property
    def warns(self) -> bool:
        return self.level == Level.HIGH


def assess(detector: Detector, view: ParcelView) -> Assessment:
    """The risk of the undelivered parcel `view` at the end of `view.day`."""
    prediction = predict(detector.model, view)
    probability = prediction.probability_late if view.parcel.promised_on else None
    factors = detector.model.factors(view)
    if view.exception_reason:
        factor = {"factor": "exception", "value": view.exception_reason, "weight": None}
        return Assessment(
            Level.HIGH, Signal.EXCEPTION, probability, prediction.expected_on, [factor, *factors]
        )
    beyond = stalled_for(view, detector.norms)
    if beyond is not None:
        quiet = business_days_between(view.last_scan_on, view.day, country=detector.norms.country)
        factor = {"factor": "no_scan", "value": str(quiet), "weight": None}
        return Assessment(Level.HIGH, Signal.STALLED, probability, prediction.expected_on, [factor, *factors])
    if probability is not None and probability >= detector.threshold:
        return Assessment(Level.HIGH, Signal.PREDICTED, probability, prediction.expected_on, factors)
    return Assessment(Level.LOW, "", probability, prediction.expected_on, factors)


def counted_runs(view: ParcelView) -> list[datetime.date]:
    """The runs at which warning a parcel counts: those with lead >= 0 (lead = promised - run - 1)
    while it is undelivered, and, when it was handed over on or after its promised date, the run
    of its handover day."""
    parcel = view.parcel
    promised = parcel.promised_on
    last = promised - datetime.timedelta(days=1)
    if view.delivered_on is not None:
        last = min(last, view.delivered_on - datetime.timedelta(days=1))
    runs = [parcel.placed_on + datetime.timedelta(days=i) for i in range((last - parcel.placed_on).days + 1)]
    handed = view.handed_over_on
    if (
        handed is not None
        and handed >= promised
        and (view.delivered_on is None or handed < view.delivered_on)
    ):
        runs.append(handed)
    return runs


def calibrate(model: HazardModel, views: Sequence[ParcelView], *, day: datetime.date) -> float:
    """The threshold for runs after `day`: among parcels promised in the CALIBRATION_DAYS before
    `day` whose outcome is known at `day`, the highest probability that would have warned
    TARGET_RECALL of the late ones at a counted run. DEFAULT_THRESHOLD with too few late ones.

    Each past run sees only what was known then (`Parcel.known_at`); `views` are as of `day`.
    """
    since = day - datetime.timedelta(days=CALIBRATION_DAYS)
    best: list[float] = []
    for view in views:
        promised = view.parcel.promised_on
        if promised is None or not since <= promised < day or view.is_late is not True:
            continue
        runs = counted_runs(view)
        best.append(
            max((predict(model, view.parcel.known_at(run)).probability_late for run in runs), default=0.0)
        )
    if len(best) < MIN_CALIBRATION_LATE:
        return DEFAULT_THRESHOLD
    return float(np.quantile(best, 1.0 - TARGET_RECALL, method="lower"))
