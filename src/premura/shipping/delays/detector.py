"""One run of the detector over a parcel: the three signals, in the order a desk trusts them.

The carrier's own exception first, then a stalled parcel, then the model's probability against a
threshold that depends on the lead (days left before the promise): the model warns only from
WARNING_LEAD_DAYS before the promise, against a stricter threshold then than on the last days.
Both are recalibrated on the most recently resolved parcels (`calibrate`), so a change in how the
shop promises dates moves them instead of flooding the desk.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from premura.shipping.delays.model import HazardModel, predict
from premura.shipping.delays.parcels import Parcel, ParcelView
from premura.shipping.delays.stalled import StallNorms, business_days_between, stalled_for

DEFAULT_THRESHOLD = 0.5
TARGET_RECALL = 0.97
# The model warns from this lead on, not earlier: an on-time parcel warned at any run is a false
# alarm, and on the replayed orders warnings further ahead were mostly that (decision 0019).
WARNING_LEAD_DAYS = 3
# The share of recent late parcels the threshold at WARNING_LEAD_DAYS must warn: more than half,
# so that the median lead of the warnings reaches WARNING_LEAD_DAYS.
AHEAD_RECALL = 0.55
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
class Thresholds:
    """The probability of missing the promise that warns: `ahead` at the run WARNING_LEAD_DAYS
    before the promise, `eve` at the runs after it."""

    ahead: float = DEFAULT_THRESHOLD
    eve: float = DEFAULT_THRESHOLD

    def at(self, lead: int) -> float | None:
        """The threshold at a run with `lead` days left; None where the model does not warn."""
        if lead > WARNING_LEAD_DAYS:
            return None
        return self.ahead if lead == WARNING_LEAD_DAYS else self.eve


@dataclass(frozen=True)
class Detector:
    model: HazardModel
    norms: StallNorms
    thresholds: Thresholds = Thresholds()


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
    threshold = None if probability is None else detector.thresholds.at(lead_days(view.parcel, view.day))
    if threshold is not None and probability >= threshold:
        return Assessment(Level.HIGH, Signal.PREDICTED, probability, prediction.expected_on, factors)
    return Assessment(Level.LOW, "", probability, prediction.expected_on, factors)


def lead_days(parcel: Parcel, run: datetime.date) -> int:
    """The days left before the promise after run `run` (the issue's lead)."""
    return (parcel.promised_on - run).days - 1


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


def calibrate(model: HazardModel, views: Sequence[ParcelView], *, day: datetime.date) -> Thresholds:
    """The thresholds for runs after `day`, from the late parcels promised in the CALIBRATION_DAYS
    before `day` (late is known at `day`), each scored at its counted runs as known then: `ahead`
    warns AHEAD_RECALL of them at the run WARNING_LEAD_DAYS before the promise; `eve`, on its
    own, warns TARGET_RECALL of them at a counted run after that one. The defaults with too few
    late ones.

    Each past run sees only what was known then (`Parcel.known_at`); `views` are as of `day`.
    """
    since = day - datetime.timedelta(days=CALIBRATION_DAYS)
    ahead_scores: list[float] = []
    eve_scores: list[float] = []
    for view in views:
        parcel = view.parcel
        if parcel.promised_on is None or not since <= parcel.promised_on < day or view.is_late is not True:
            continue
        eve = 0.0
        for run in counted_runs(view):
            lead = lead_days(parcel, run)
            if lead > WARNING_LEAD_DAYS:
                continue
            probability = predict(model, parcel.known_at(run)).probability_late
            if lead == WARNING_LEAD_DAYS:
                ahead_scores.append(probability)
            else:
                eve = max(eve, probability)
        eve_scores.append(eve)
    if len(eve_scores) < MIN_CALIBRATION_LATE:
        return Thresholds()
    ahead_threshold = (
        float(np.quantile(ahead_scores, 1.0 - AHEAD_RECALL, method="lower")) if ahead_scores else 1.0
    )
    eve_threshold = float(np.quantile(eve_scores, 1.0 - TARGET_RECALL, method="lower"))
    return Thresholds(ahead_threshold, eve_threshold)
