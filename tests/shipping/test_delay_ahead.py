"""The ahead classifier (decision 0027): what it learns from, and that nothing dated after a run
reaches what it says of that run. Synthetic parcels only."""

import dataclasses
import datetime
import math
import random

import numpy as np
import pytest

from premura.shipping.delays import ahead as ahead_module
from premura.shipping.delays.ahead import AheadModel, Outcomes, ahead_run, train_ahead, training_samples
from premura.shipping.delays.detector import (
    CALIBRATION_DAYS,
    FALSE_ALARMS_OF_NAIVE,
    NEVER,
    TARGET_RECALL,
    Thresholds,
    assess,
    counted_runs,
    fit_detector,
    naive_warns,
)
from premura.shipping.delays.model import train
from premura.shipping.delays.parcels import Parcel
from premura.shipping.models import DELAY_FACTOR_LABELS

RUN = datetime.date(2026, 3, 1)


def d(offset: int) -> datetime.date:
    return RUN + datetime.timedelta(days=offset)


def history(seed: int = 3, size: int = 600) -> list[Parcel]:
    """Parcels to "NA" are late two times in three, those to "MI" one time in ten."""
    rng = random.Random(seed)
    parcels = []
    for i in range(size):
        placed = d(-rng.randint(0, 150))
        destination = rng.choice(["MI", "NA"])
        promised = placed + datetime.timedelta(days=8)
        handed = placed + datetime.timedelta(days=rng.randint(0, 2))
        late = rng.random() < (0.67 if destination == "NA" else 0.1)
        delivered = promised + datetime.timedelta(days=rng.randint(1, 4) if late else -rng.randint(0, 3))
        parcels.append(Parcel(str(i), "brt", "Lombardia", destination, placed, promised, handed, delivered))
    return parcels


def fitted(parcels: list[Parcel]):
    views = [p.known_at(RUN) for p in parcels if p.placed_on <= RUN]
    hazard = train(views)
    return hazard, train_ahead(hazard, views), views


def test_the_shares_count_parcels_delivered_by_the_run_whose_promise_had_passed():
    parcels = [
        Parcel("late", "brt", "A", "RM", d(-20), d(-10), d(-19), d(-8)),
        Parcel("on time", "brt", "A", "RM", d(-20), d(-10), d(-19), d(-11)),
        Parcel("late, elsewhere", "brt", "A", "MI", d(-20), d(-5), d(-19), d(-2)),
        # Delivered after the run: not known at it.
        Parcel("delivered later", "brt", "A", "RM", d(-20), d(-10), d(-19), d(1)),
        # Delivered early, but its promise is the run's own day: not settled yet.
        Parcel("promised today", "brt", "A", "RM", d(-20), d(0), d(-19), d(-3)),
        # Promised before the window.
        Parcel("old", "brt", "A", "RM", d(-200), d(-75), d(-199), d(-70)),
    ]
    shares = Outcomes([p.known_at(RUN) for p in parcels]).shares_at(RUN)
    assert shares.by_destination == {"RM": (1, 2), "MI": (1, 1)}
    assert shares.overall == (2, 3)
    # A destination's share is pulled towards the shop's while it has few parcels.
    assert shares.destination_share("RM") == pytest.approx((1 + 10 * 2 / 3) / (2 + 10))
    assert shares.destination_share("TO") == pytest.approx(2 / 3)
    # What the run before the late deliveries knew.
    assert Outcomes([p.known_at(RUN) for p in parcels]).shares_at(d(-9)).overall == (0, 1)


def test_the_classifier_learns_where_parcels_are_late():
    hazard, model, views = fitted(history())
    assert model is not None
    same_day = {
        destination: dataclasses.replace(
            history()[0],
            key=destination,
            destination=destination,
            placed_on=d(0),
            promised_on=d(8),
            handed_over_on=d(1),
            delivered_on=None,
        )
        for destination in ("MI", "NA")
    }
    probability = {
        destination: model.probability(hazard, parcel.known_at(ahead_run(parcel)))
        for destination, parcel in same_day.items()
    }
    assert probability["NA"] > probability["MI"] + 0.2


def test_too_little_history_gives_no_classifier():
    hazard, model, _views = fitted(history(size=40))
    assert model is None


def test_the_classifier_survives_its_storage():
    hazard, model, views = fitted(history())
    stored = AheadModel.from_dict(model.as_dict())
    view = views[0].parcel.known_at(ahead_run(views[0].parcel))
    assert stored.probability(hazard, view) == pytest.approx(model.probability(hazard, view), abs=1e-5)
    with pytest.raises(ValueError):
        AheadModel.from_dict({**model.as_dict(), "features": ["hazard"]})


def rewrite_the_future(parcels: list[Parcel]) -> list[Parcel]:
    """The same history up to RUN, another one after it: the parcels delivered after the run
    never delivered, and parcels ordered after the run added."""
    changed = [dataclasses.replace(p, delivered_on=None) if p.delivered_on > RUN else p for p in parcels]
    changed += [Parcel(f"new{i}", "brt", "Lombardia", "MI", d(1), d(2), d(1), d(9)) for i in range(50)]
    return changed


def test_what_happens_after_the_training_day_changes_nothing_in_the_classifier():
    parcels = history()
    assert any(p.delivered_on > RUN for p in parcels)
    _hazard, model, _views = fitted(parcels)
    _other_hazard, other, _other_views = fitted(rewrite_the_future(parcels))
    assert np.array_equal(model.coefficients, other.coefficients)
    assert model.shares == other.shares


def test_each_training_sample_is_described_as_known_at_its_own_ahead_run(monkeypatch):
    """The shares a sample's features use are those its ahead run knew, not the training day's:
    the destination's late parcels delivered between the two must not reach them."""
    parcels = history()
    views = [p.known_at(RUN) for p in parcels if p.placed_on <= RUN]
    hazard = train(views)
    seen = []
    real_features = ahead_module.features

    def spying_features(model, shares, view):
        seen.append((view, shares))
        return real_features(model, shares, view)

    monkeypatch.setattr(ahead_module, "features", spying_features)
    _x, labels = training_samples(hazard, views)
    assert len(seen) == len(labels) > 100
    for view, shares in seen:
        run = ahead_run(view.parcel)
        assert view.day == run and view == view.parcel.known_at(run)
        assert view.parcel.promised_on < RUN and view.parcel.delivered_on <= RUN
        known_then = [p.known_at(run) for p in parcels if p.placed_on <= run]
        assert shares == Outcomes(known_then).shares_at(run)


def warned_runs(detector, parcel: Parcel) -> list[datetime.date]:
    last = min(parcel.delivered_on, RUN)
    runs = [parcel.placed_on + datetime.timedelta(days=i) for i in range((last - parcel.placed_on).days)]
    return [run for run in runs if assess(detector, parcel.known_at(run)).warns]


def test_the_calibration_keeps_recent_false_alarms_within_three_quarters_of_the_naive_rules():
    """On the parcels it is calibrated on, the detector warns at most FALSE_ALARMS_OF_NAIVE of the
    on-time parcels the naive rule warns, and TARGET_RECALL of the late ones."""
    views = [p.known_at(RUN) for p in history() if p.placed_on <= RUN]
    detector = fit_detector(views, day=RUN, country="IT")
    assert detector.ahead is not None and detector.thresholds.ahead < NEVER
    since = RUN - datetime.timedelta(days=CALIBRATION_DAYS)
    recent = [v.parcel for v in views if since <= v.parcel.promised_on < RUN and v.delivered_on is not None]
    on_time = [p for p in recent if p.delivered_on <= p.promised_on]
    late = [p for p in recent if p.delivered_on > p.promised_on]
    false_alarms = sum(bool(warned_runs(detector, p)) for p in on_time)
    naive = sum(naive_warns(p) for p in on_time)
    assert 0 < false_alarms <= math.floor(FALSE_ALARMS_OF_NAIVE * naive)
    warned_late = [p for p in late if set(warned_runs(detector, p)) & set(counted_runs(p.known_at(RUN)))]
    assert len(warned_late) >= TARGET_RECALL * len(late)


def test_a_warning_says_when_its_destination_is_lately_late():
    views = [p.known_at(RUN) for p in history() if p.placed_on <= RUN]
    trained = fit_detector(views, day=RUN, country="IT")
    detector = dataclasses.replace(trained, thresholds=Thresholds(ahead=0.0, eve=NEVER))
    factors = {}
    for destination in ("MI", "NA"):
        parcel = Parcel(destination, "brt", "Lombardia", destination, d(0), d(8), d(1))
        assessment = assess(detector, parcel.known_at(ahead_run(parcel)))
        assert assessment.warns
        factors[destination] = {f["factor"]: f["value"] for f in assessment.factors}
    share = detector.ahead.shares.destination_share("NA")
    assert factors["NA"]["destination_late"] == f"{share:.0%}" and share > 0.5
    assert "destination_late" not in factors["MI"]
    assert "destination_late" in DELAY_FACTOR_LABELS
