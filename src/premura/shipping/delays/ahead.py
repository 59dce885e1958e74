"""The ahead score: a direct classifier of "will miss its promise", asked at the parcel's ahead
run, WARNING_LEAD_DAYS before the promise (decision 0027).

At that run the hazard model alone barely tells the parcels that will be late from the on-time ones
still travelling; where the parcel goes tells a little more. A logistic regression on three
standardised features: the hazard model's probability of missing the promise (as a logit), the
recent late share of the parcel's destination (as a logit, pulled towards the shop's recent share
while the destination has few parcels) and whether the parcel is already with the carrier.

Nothing dated after a run reaches what is said of it: a share is computed as known at the run it
describes, from the parcels delivered by then whose promise had passed (`Outcomes.shares_at`); a
training sample is a parcel promised before the training day and delivered by it, as it looked at
its own ahead run.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from premura.shipping.delays.model import HazardModel, predict, sigmoid
from premura.shipping.delays.parcels import Parcel, ParcelView

FORMAT_VERSION = 1
FEATURES = ("hazard", "destination", "handed_over")
WARNING_LEAD_DAYS = 3  # the model warns from this many days before the promise on, not earlier
SHARE_DAYS = 60  # the promises a late share covers: those of the last SHARE_DAYS days before the run
PRIOR_WEIGHT = 10.0  # parcels' worth of the shop's recent share a destination's share starts from
DEFAULT_SHARE = 0.05  # the share before any parcel is known
MIN_SAMPLES = 100
MIN_LATE_SAMPLES = 20
L2_PENALTY = 1.0


def ahead_run(parcel: Parcel) -> datetime.date:
    """The run with WARNING_LEAD_DAYS days of lead (promise - run - 1), or the order's day when it
    came later."""
    return max(parcel.promised_on - datetime.timedelta(days=WARNING_LEAD_DAYS + 1), parcel.placed_on)


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return float(np.log(p / (1 - p)))


@dataclass(frozen=True)
class Shares:
    """Late parcels and parcels with a settled promise, by destination and in all, at a run."""

    by_destination: dict[str, tuple[int, int]]
    overall: tuple[int, int]

    def overall_share(self) -> float:
        late, count = self.overall
        return late / count if count else DEFAULT_SHARE

    def destination_share(self, destination: str) -> float:
        late, count = self.by_destination.get(destination, (0, 0))
        return (late + PRIOR_WEIGHT * self.overall_share()) / (count + PRIOR_WEIGHT)

    def as_dict(self) -> dict:
        return {
            "by_destination": {key: list(value) for key, value in self.by_destination.items()},
            "overall": list(self.overall),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Shares":
        return cls(
            {key: (int(late), int(count)) for key, (late, count) in data["by_destination"].items()},
            (int(data["overall"][0]), int(data["overall"][1])),
        )


class Outcomes:
    """The delivered parcels with a promise among `views`: what each earlier run knew of them."""

    def __init__(self, views: Sequence[ParcelView]):
        known = [v for v in views if v.delivered_on is not None and v.parcel.promised_on is not None]
        self.promised = np.array([v.parcel.promised_on for v in known], dtype="datetime64[D]")
        self.delivered = np.array([v.delivered_on for v in known], dtype="datetime64[D]")
        self.late = self.delivered > self.promised
        self.destinations = np.array([v.parcel.destination for v in known], dtype=object)

    def shares_at(self, day: datetime.date) -> Shares:
        """The late shares a run at the end of `day` knew: parcels promised in the SHARE_DAYS
        before it and delivered by then (a parcel still travelling past its promise is left out:
        it may be late or lost, and the export cannot tell)."""
        today = np.datetime64(day, "D")
        window = (self.delivered <= today) & (self.promised < today) & (self.promised >= today - SHARE_DAYS)
        by_destination = {}
        for destination in set(self.destinations[window]):
            mine = window & (self.destinations == destination)
            by_destination[destination] = (int(self.late[mine].sum()), int(mine.sum()))
        return Shares(by_destination, (int(self.late[window].sum()), int(window.sum())))


def features(hazard: HazardModel, shares: Shares, view: ParcelView) -> np.ndarray:
    """The raw features of the undelivered `view`, with the late shares `shares`."""
    return np.array(
        [
            _logit(predict(hazard, view).probability_late),
            _logit(shares.destination_share(view.parcel.destination)),
            float(view.handed_over_on is not None),
        ]
    )


@dataclass
class AheadModel:
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray  # the intercept first, then one per FEATURES
    shares: Shares  # as known at the training day: the runs until the next training use them

    def probability(self, hazard: HazardModel, view: ParcelView) -> float:
        """The probability that the undelivered `view` misses its promise."""
        x = (features(hazard, self.shares, view) - self.mean) / self.scale
        return float(sigmoid(self.coefficients[0] + x @ self.coefficients[1:]))

    def as_dict(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "features": list(FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coefficients": [round(float(v), 6) for v in self.coefficients],
            "shares": self.shares.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "AheadModel":
        if data.get("format") != FORMAT_VERSION or data.get("features") != list(FEATURES):
            raise ValueError(f"unknown ahead model format: {data.get('format')!r}")
        return cls(
            np.asarray(data["mean"], dtype=float),
            np.asarray(data["scale"], dtype=float),
            np.asarray(data["coefficients"], dtype=float),
            Shares.from_dict(data["shares"]),
        )


def training_samples(hazard: HazardModel, views: Sequence[ParcelView]) -> tuple[np.ndarray, np.ndarray]:
    """One sample per parcel promised before the views' day and delivered by it, still undelivered
    at its ahead run: its features as known at that run, and whether it was late."""
    rows, labels = [], []
    if views:
        day = views[0].day
        outcomes = Outcomes(views)
        shares_at: dict[datetime.date, Shares] = {}
        for view in views:
            parcel = view.parcel
            if parcel.promised_on is None or view.delivered_on is None or parcel.promised_on >= day:
                continue
            run = ahead_run(parcel)
            if view.delivered_on <= run:
                continue
            if run not in shares_at:
                shares_at[run] = outcomes.shares_at(run)
            rows.append(features(hazard, shares_at[run], parcel.known_at(run)))
            labels.append(float(view.delivered_on > parcel.promised_on))
    if not rows:
        return np.empty((0, len(FEATURES))), np.empty(0)
    return np.vstack(rows), np.array(labels)


def _fit_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method; the intercept is not penalised."""
    design = np.hstack([np.ones((len(x), 1)), x])
    coefficients = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], L2_PENALTY)
    penalty[0] = 1e-9
    for _ in range(50):
        p = sigmoid(design @ coefficients)
        gradient = design.T @ (y - p) - penalty * coefficients
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        coefficients += step
        if np.abs(step).max() < 1e-8:
            break
    return coefficients


def train_ahead(hazard: HazardModel, views: Sequence[ParcelView]) -> AheadModel | None:
    """Fit on the parcels whose outcome is known at the views' day (all as known then, with the
    hazard model just trained on them); None with fewer than MIN_SAMPLES samples or
    MIN_LATE_SAMPLES late ones (the hazard model's probability is the ahead score then)."""
    x, y = training_samples(hazard, views)
    if len(y) < MIN_SAMPLES or y.sum() < MIN_LATE_SAMPLES or y.sum() == len(y):
        return None
    mean, spread = x.mean(axis=0), x.std(axis=0)
    scale = np.where(spread > 1e-9, spread, 1.0)
    coefficients = _fit_logistic((x - mean) / scale, y)
    return AheadModel(mean, scale, coefficients, Outcomes(views).shares_at(views[0].day))
