"""The predicted-late signal: a discrete-time hazard model of the delivery day.

For every day a handed-over parcel is still undelivered, the model gives the probability that it
is delivered that day (logistic regression on one-hot features: days since handover, the same
against the lane's usual transit time, the lane's usual transit time, weekday, month, handover
lag, days since the last scan, origin, destination, carrier). Chaining those probabilities gives
the distribution of the delivery day, hence the probability of missing the promised date and an
expected delivery date. A parcel not yet handed over is weighed over the days it may still be
handed over, from the shop's own handover lags. It models delivery, not the promise, so a
shorter promise changes the probability of missing it without retraining.

Training uses each parcel only as known at the training day: an undelivered parcel counts as
"not delivered on each day so far" (censored), never with its future.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from premura.shipping.delays.parcels import ParcelView

FORMAT_VERSION = 1
HORIZON_DAYS = 60  # how far ahead the delivery day distribution is followed
MAX_HANDOVER_WAIT = 20  # days ahead a parcel not yet handed over may still be handed over
# A parcel still undelivered this many days after its promise counts as lost: a different outcome
# from a late delivery, left out of the delivery-day model (it would teach it that parcels long in
# transit are never delivered). Known at the run, so nothing leaks.
LOST_AFTER_DAYS = 30
MIN_GROUP = 10  # parcels a lane or destination needs for its own usual transit time
MIN_VOCABULARY = 20  # parcels an origin, destination or carrier needs for its own coefficient
L2_PENALTY = 2.0
OTHER = "~"

_RANGES = {
    "since_handover": range(1, 26),
    "vs_usual": range(-10, 11),
    "usual_transit": range(1, 26),
    "weekday": range(7),
    "month": range(1, 13),
    "handover_lag": range(11),
    "since_scan": range(8),
}


def sigmoid(z):
    """The logistic function of a number or an array; the logit is clipped so that numpy does not
    warn of an overflow where the value is 0 or 1 anyway (a tiny or one-sided history)."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


@dataclass
class HazardModel:
    columns: dict[str, int]
    coefficients: np.ndarray
    usual_transit: dict[str, float]  # by lane, then destination, then "" for all
    handover_hazard: np.ndarray  # by days since the order, the last one pooled

    # -- persistence ------------------------------------------------------------------------
    def as_dict(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "columns": list(self.columns),
            "coefficients": [round(float(c), 6) for c in self.coefficients],
            "usual_transit": self.usual_transit,
            "handover_hazard": [round(float(h), 6) for h in self.handover_hazard],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "HazardModel":
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown delay model format: {data.get('format')!r}")
        return cls(
            columns={name: i for i, name in enumerate(data["columns"])},
            coefficients=np.asarray(data["coefficients"], dtype=float),
            usual_transit=dict(data["usual_transit"]),
            handover_hazard=np.asarray(data["handover_hazard"], dtype=float),
        )

    # -- features -----------------------------------------------------------------------------
    def _usual(self, view: ParcelView) -> float:
        transit = self.usual_transit
        return transit.get(view.lane, transit.get(f">{view.parcel.destination}", transit[""]))

    def _static(self, view: ParcelView, handed_over_on: datetime.date) -> list[int]:
        parcel, columns = view.parcel, self.columns
        lag = (handed_over_on - parcel.placed_on).days
        return [
            0,
            self._slot("handover_lag", lag),
            self._slot("usual_transit", round(self._usual(view))),
            columns.get(f"origin={parcel.origin}", columns[f"origin={OTHER}"]),
            columns.get(f"destination={parcel.destination}", columns[f"destination={OTHER}"]),
            columns.get(f"carrier={parcel.carrier}", columns[f"carrier={OTHER}"]),
        ]

    def _slot(self, slot: str, values):
        """The column of each value of a ranged slot (values beyond the range take its ends)."""
        values_range = _RANGES[slot]
        first = self.columns[f"{slot}={values_range.start}"]
        return first + np.clip(values, values_range.start, values_range.stop - 1) - values_range.start

    def _rows(self, view: ParcelView, handed_over_on: datetime.date, days: np.ndarray) -> np.ndarray:
        """Active columns of the hazard on each of `days` (datetime64[D], all after the handover)."""
        handed = np.datetime64(handed_over_on, "D")
        since = (days - handed).astype(int)
        usual = int(np.clip(round(self._usual(view)), 1, _RANGES["usual_transit"].stop - 1))
        scans = np.asarray(view.scans or (handed_over_on,), dtype="datetime64[D]")
        index = np.searchsorted(scans, days - 1, side="right") - 1
        last_scan = np.maximum(np.where(index >= 0, scans[np.maximum(index, 0)], handed), handed)
        daily = np.column_stack(
            [
                self._slot("since_handover", since),
                self._slot("vs_usual", since - usual),
                self._slot("weekday", (days.astype(int) + 3) % 7),  # 1 January 1970 was a Thursday
                self._slot("month", days.astype("datetime64[M]").astype(int) % 12 + 1),
                self._slot("since_scan", (days - last_scan).astype(int) - 1),
            ]
        )
        static = np.broadcast_to(np.asarray(self._static(view, handed_over_on)), (len(days), 6))
        return np.hstack([static, daily]).astype(np.intp)

    # -- prediction ---------------------------------------------------------------------------
    def _survival_after(
        self, view: ParcelView, handed_over_on: datetime.date, start: datetime.date
    ) -> np.ndarray:
        """P(still undelivered at the end of each of the HORIZON_DAYS days after `start`)."""
        days = np.datetime64(start, "D") + np.arange(1, HORIZON_DAYS + 1)
        survival = np.ones(HORIZON_DAYS)
        first = max((handed_over_on - start).days, 0)  # the first day after the handover
        if first < HORIZON_DAYS:
            rows = self._rows(view, handed_over_on, days[first:])
            hazard = sigmoid(self.coefficients[rows].sum(axis=1))
            survival[first:] = np.cumprod(1.0 - hazard)
        return survival

    def _handover_chances(self, view: ParcelView) -> np.ndarray:
        """P(handed over on each of the next MAX_HANDOVER_WAIT days); the rest on the last."""
        waited = (view.day - view.parcel.placed_on).days
        hazard = self.handover_hazard
        chances = np.empty(MAX_HANDOVER_WAIT)
        remaining = 1.0
        for i in range(MAX_HANDOVER_WAIT):
            h = hazard[min(waited + 1 + i, len(hazard) - 1)]
            chances[i] = remaining * h
            remaining *= 1.0 - h
        chances[-1] += remaining
        return chances

    def survival(self, view: ParcelView) -> np.ndarray:
        """P(still undelivered at the end of each of the HORIZON_DAYS days after view.day)."""
        if view.handed_over_on is not None:
            return self._survival_after(view, view.handed_over_on, view.day)
        mixed = np.zeros(HORIZON_DAYS)
        for i, chance in enumerate(self._handover_chances(view)):
            if chance > 1e-4:
                handover = view.day + datetime.timedelta(days=i + 1)
                mixed += chance * self._survival_after(view, handover, view.day)
        return mixed

    def factors(self, view: ParcelView, limit: int = 3) -> list[dict]:
        """The features that most slow the parcel's next day: [{"factor", "value", "weight"}]."""
        if view.handed_over_on is None:
            return [
                {"factor": "handover", "value": str((view.day - view.parcel.placed_on).days), "weight": None}
            ]
        row = self._rows(view, view.handed_over_on, np.array([np.datetime64(view.day, "D") + 1]))[0]
        names = list(self.columns)
        found = sorted(((self.coefficients[c], names[c]) for c in row[1:]), key=lambda item: item[0])
        return [
            {
                "factor": name.split("=", 1)[0],
                "value": name.split("=", 1)[1],
                "weight": round(float(weight), 2),
            }
            for weight, name in found[:limit]
            if weight < 0
        ]


@dataclass(frozen=True)
class Prediction:
    probability_late: float
    expected_on: datetime.date


def predict(model: HazardModel, view: ParcelView) -> Prediction:
    """The probability that the undelivered `view` misses its promise, and its median delivery
    day (the last day followed if it is not reached)."""
    survival = model.survival(view)
    below = np.flatnonzero(survival <= 0.5)
    expected = view.day + datetime.timedelta(days=int(below[0]) + 1 if below.size else HORIZON_DAYS)
    promised = view.parcel.promised_on
    if promised is None:
        return Prediction(0.0, expected)
    ahead = (promised - view.day).days
    probability = 1.0 if ahead <= 0 else float(survival[min(ahead, HORIZON_DAYS) - 1])
    return Prediction(probability, expected)


# -- training ---------------------------------------------------------------------------------
def _vocabulary(views: Sequence[ParcelView], attribute: str) -> list[str]:
    counts = Counter(getattr(view.parcel, attribute) for view in views)
    return sorted(value for value, n in counts.items() if n >= MIN_VOCABULARY)


def _usual_transit(views: Sequence[ParcelView]) -> dict[str, float]:
    by_lane: dict[str, list[int]] = defaultdict(list)
    by_destination: dict[str, list[int]] = defaultdict(list)
    every: list[int] = []
    for view in views:
        if view.delivered_on is not None and view.handed_over_on is not None:
            days = max((view.delivered_on - view.handed_over_on).days, 1)
            by_lane[view.lane].append(days)
            by_destination[f">{view.parcel.destination}"].append(days)
            every.append(days)
    usual = {"": float(np.median(every)) if every else 3.0}
    for groups in (by_destination, by_lane):
        usual.update({key: float(np.median(days)) for key, days in groups.items() if len(days) >= MIN_GROUP})
    return usual


def _handover_hazard(views: Sequence[ParcelView]) -> np.ndarray:
    """Daily chance of handover by days since the order (Kaplan-Meier: parcels still waiting
    count as waiting, not as never handed over); the last entry pools the longer waits."""
    size = MAX_HANDOVER_WAIT + 1
    handed = np.zeros(size)
    at_risk = np.zeros(size)
    for view in views:
        if view.handed_over_on is not None:
            lag = min(max((view.handed_over_on - view.parcel.placed_on).days, 0), size - 1)
            handed[lag] += 1
            at_risk[: lag + 1] += 1
        else:
            waited = min((view.day - view.parcel.placed_on).days, size - 1)
            at_risk[: waited + 1] += 1
    return (handed + 0.5) / (at_risk + 1.0)


def _columns(views: Sequence[ParcelView]) -> dict[str, int]:
    names = ["intercept"]
    for slot, values in _RANGES.items():
        names += [f"{slot}={v}" for v in values]
    for slot, attribute in (("origin", "origin"), ("destination", "destination"), ("carrier", "carrier")):
        names += [f"{slot}={v}" for v in [*_vocabulary(views, attribute), OTHER]]
    return {name: i for i, name in enumerate(names)}


def is_lost(view: ParcelView) -> bool:
    promised = view.parcel.promised_on
    return view.delivered_on is None and promised is not None and (view.day - promised).days > LOST_AFTER_DAYS


def training_rows(model: HazardModel, views: Iterable[ParcelView]) -> tuple[np.ndarray, np.ndarray]:
    """One row per parcel and day after its handover up to its delivery or the view's day: the
    active columns, and whether it was delivered that day. Lost parcels are left out."""
    rows: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    for view in views:
        handed = view.handed_over_on
        if handed is None or (view.delivered_on is not None and view.delivered_on <= handed) or is_lost(view):
            continue
        last = view.delivered_on or view.day
        days = np.datetime64(handed, "D") + np.arange(1, (last - handed).days + 1)
        if not len(days):
            continue
        rows.append(model._rows(view, handed, days))
        delivered = np.zeros(len(days))
        if view.delivered_on is not None:
            delivered[-1] = 1.0
        labels.append(delivered)
    if not rows:
        return np.empty((0, 11), dtype=np.intp), np.empty(0)
    return np.concatenate(rows), np.concatenate(labels)


def _fit_logistic(
    active: np.ndarray, delivered: np.ndarray, width: int, start: np.ndarray | None
) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method, on identical rows merged."""
    unique, inverse = np.unique(active, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    weight = np.bincount(inverse, minlength=len(unique)).astype(float)
    events = np.bincount(inverse, weights=delivered, minlength=len(unique))
    design = np.zeros((len(unique), width))
    np.put_along_axis(design, unique, 1.0, axis=1)
    coefficients = np.zeros(width) if start is None else start.copy()
    penalty = np.full(width, L2_PENALTY)
    penalty[0] = 1e-6
    for _ in range(25):
        p = sigmoid(design @ coefficients)
        gradient = design.T @ (events - weight * p) - penalty * coefficients
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        coefficients += step
        if np.abs(step).max() < 1e-6:
            break
    return coefficients


def train(views: Sequence[ParcelView], *, previous: HazardModel | None = None) -> HazardModel:
    """Fit the model on `views`, each parcel as known at the training day."""
    columns = _columns(views)
    model = HazardModel(columns, np.zeros(len(columns)), _usual_transit(views), _handover_hazard(views))
    active, delivered = training_rows(model, views)
    if len(delivered):
        start = None
        if previous is not None and list(previous.columns) == list(columns):
            start = previous.coefficients
        model.coefficients = _fit_logistic(active, delivered, len(columns), start)
    else:
        model.coefficients[0] = -1.5  # no history yet: about one parcel in five delivered each day
    return model
