"""One run of the detector over a parcel: its signals, in the order a desk trusts them.

A parcel silent past the lost threshold first (presumed lost), then the carrier's own exception,
then a stalled parcel, then the prediction: from its ahead run
(WARNING_LEAD_DAYS before the promise) a parcel is warned when its ahead score passed the `ahead`
threshold at that run, and from the eve of the promise on also when the hazard model's probability
of missing it passes the `eve` threshold. Both are recalibrated on the most recently promised
parcels (`calibrate`), so a change in how the shop promises dates moves them instead of flooding
the desk (decisions 0020 and 0027).
"""

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from premura.shipping.delays.ahead import AheadModel, ahead_run, train_ahead
from premura.shipping.delays.model import HazardModel, predict, train
from premura.shipping.delays.parcels import Parcel, ParcelView
from premura.shipping.delays.stalled import (
    StallNorms,
    delivery_day_on_or_after,
    learn_norms,
    presumed_lost,
    stalled_for,
)

# Exception reasons (shipping.models.ExceptionReason): the carrier lost the parcel; it is going
# back to the shop.
LOST, RETURNED = "lost", "returned"

DEFAULT_THRESHOLD = 0.5
NEVER = 2.0  # a threshold above any probability
# The share of recent late parcels the eve threshold must warn on its own.
TARGET_RECALL = 0.97
# The false alarms the detector may raise on the recent parcels, against those of the naive rule
# "warn if still undelivered NAIVE_DAYS_BEFORE days before the promise" on the same parcels: the
# ahead threshold spends what the eve threshold leaves (issue 13's target).
FALSE_ALARMS_OF_NAIVE = 0.75
NAIVE_DAYS_BEFORE = 3
CALIBRATION_DAYS = 60  # parcels whose promise fell in this many days before the run
MIN_CALIBRATION_LATE = 5


class Signal:
    LOST = "lost"
    EXCEPTION = "exception"
    STALLED = "stalled"
    PREDICTED = "predicted"


class Level:
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class Thresholds:
    """`ahead`: the ahead score (`ahead_score`) at the parcel's ahead run that warns it from that
    run on; `eve`: the hazard model's probability of missing the promise that warns it at a run
    from the eve of the promise on (lead <= 0)."""

    ahead: float = DEFAULT_THRESHOLD
    eve: float = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Detector:
    model: HazardModel
    norms: StallNorms
    thresholds: Thresholds = Thresholds()
    ahead: AheadModel | None = None  # None until there is enough history: the hazard model scores


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
    expected_on = delivery_day_on_or_after(prediction.expected_on, country=detector.norms.country)
    probability = prediction.probability_late if view.parcel.promised_on else None
    factors = detector.model.factors(view)
    # Silence past the lost threshold outweighs the carrier's last word, unless that word is that
    # the parcel is on its way back to us.
    quiet = presumed_lost(view, detector.norms) if view.exception_reason != RETURNED else None
    if quiet is not None:
        factor = {"factor": "no_scan", "value": str(quiet), "weight": None}
        # A parcel given up for lost has no expected date: the model's would say it is coming.
        return Assessment(Level.HIGH, Signal.LOST, probability, None, [factor, *factors])
    if view.exception_reason:
        factor = {"factor": "exception", "value": view.exception_reason, "weight": None}
        expected = None if view.exception_reason == LOST else expected_on
        return Assessment(Level.HIGH, Signal.EXCEPTION, probability, expected, [factor, *factors])
    beyond = stalled_for(view, detector.norms)
    if beyond is not None:
        quiet = beyond + detector.norms.norm(view)  # not counted again: stalled_for counted them
        factor = {"factor": "no_scan", "value": str(quiet), "weight": None}
        return Assessment(Level.HIGH, Signal.STALLED, probability, expected_on, [factor, *factors])
    if probability is not None and _predicted(detector, view, probability):
        factors = [*_destination_factor(detector, view), *factors]
        return Assessment(Level.HIGH, Signal.PREDICTED, probability, expected_on, factors)
    return Assessment(Level.LOW, "", probability, expected_on, factors)


def _destination_factor(detector: Detector, view: ParcelView) -> list[dict]:
    """The recent late share of the parcel's destination, when the ahead classifier knows it to
    be above the shop's."""
    if detector.ahead is None:
        return []
    shares = detector.ahead.shares
    share = shares.destination_share(view.parcel.destination)
    if share <= shares.overall_share():
        return []
    return [{"factor": "destination_late", "value": f"{share:.0%}", "weight": None}]


def ahead_score(model: HazardModel, ahead: AheadModel | None, view: ParcelView) -> float:
    """The probability that the undelivered `view` misses its promise, by the ahead classifier
    (or the hazard model while there is none)."""
    if ahead is None:
        return predict(model, view).probability_late
    return ahead.probability(model, view)


def _predicted(detector: Detector, view: ParcelView, probability: float) -> bool:
    """Whether the model warns the undelivered `view`, whose probability of missing its promise
    is `probability`: from the eve on when that passes the eve threshold; from the ahead run on
    when its ahead score at that run (as known then) passed the ahead threshold, so that a parcel
    warned ahead stays warned."""
    parcel = view.parcel
    if lead_days(parcel, view.day) <= 0 and probability >= detector.thresholds.eve:
        return True
    run = ahead_run(parcel)
    if view.day < run:
        return False
    at_run = view if view.day == run else parcel.known_at(run)
    return ahead_score(detector.model, detector.ahead, at_run) >= detector.thresholds.ahead


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


def naive_warns(parcel: Parcel) -> bool:
    """Whether the naive rule warns the delivered `parcel` at some run: still undelivered at the
    end of the day NAIVE_DAYS_BEFORE days before its promise (or of its order's day, if later)."""
    first = max(parcel.promised_on - datetime.timedelta(days=NAIVE_DAYS_BEFORE), parcel.placed_on)
    return parcel.delivered_on > first


def calibrate(
    model: HazardModel, ahead: AheadModel | None, views: Sequence[ParcelView], *, day: datetime.date
) -> Thresholds:
    """The thresholds for runs after `day`, from the parcels promised in the CALIBRATION_DAYS
    before `day` whose outcome is known at `day`, each scored at its runs as known then:

    - `eve` warns TARGET_RECALL of the late ones at a counted run from the eve of the promise on;
    - `ahead` is the lowest threshold at which the on-time ones warned, at their ahead run or by
      `eve`, are at most FALSE_ALARMS_OF_NAIVE of those the naive rule warns.

    The defaults with fewer than MIN_CALIBRATION_LATE late parcels. Each past run sees only what
    was known then (`Parcel.known_at`); `views` are as of `day`.
    """
    since = day - datetime.timedelta(days=CALIBRATION_DAYS)
    late_scores: list[float] = []
    on_time: list[tuple[ParcelView, float | None]] = []  # and its eve score, if it had an eve run
    for view in views:
        parcel = view.parcel
        if parcel.promised_on is None or not since <= parcel.promised_on < day or view.is_late is None:
            continue
        eve_runs = [run for run in counted_runs(view) if lead_days(parcel, run) <= 0]
        scores = [predict(model, parcel.known_at(run)).probability_late for run in eve_runs]
        if view.is_late:
            late_scores.append(max(scores, default=0.0))
        else:
            on_time.append((view, max(scores, default=None)))
    if len(late_scores) < MIN_CALIBRATION_LATE:
        return Thresholds()
    eve = float(np.quantile(late_scores, 1.0 - TARGET_RECALL, method="lower"))
    warned_by_eve = sum(score is not None and score >= eve for _view, score in on_time)
    allowed = math.floor(FALSE_ALARMS_OF_NAIVE * sum(naive_warns(view.parcel) for view, _s in on_time))
    candidates = sorted(
        (
            ahead_score(model, ahead, view.parcel.known_at(ahead_run(view.parcel)))
            for view, score in on_time
            if (score is None or score < eve) and view.delivered_on > ahead_run(view.parcel)
        ),
        reverse=True,
    )
    spare = allowed - warned_by_eve
    if spare < 0:
        return Thresholds(NEVER, eve)
    if spare >= len(candidates):
        return Thresholds(min(candidates, default=DEFAULT_THRESHOLD), eve)
    return Thresholds(float(np.nextafter(candidates[spare], math.inf)), eve)


def fit_detector(
    views: Sequence[ParcelView], *, day: datetime.date, country: str, previous: HazardModel | None = None
) -> Detector:
    """Train the detector on `views` (every parcel as known at the end of `day`): the hazard model
    (from `previous`' coefficients when its columns match), the ahead classifier, the stall norms
    of `country`'s business days and the thresholds."""
    model = train(views, previous=previous)
    ahead = train_ahead(model, views)
    return Detector(
        model, learn_norms(views, country=country), calibrate(model, ahead, views, day=day), ahead
    )
