"""The model never sees a label dated after the run it is trained at."""

import dataclasses
import datetime
import random
from collections import defaultdict

import numpy as np

from premura.shipping.delays import detector as detector_module
from premura.shipping.delays import replay as replay_module
from premura.shipping.delays.ahead import ahead_run
from premura.shipping.delays.detector import (
    CALIBRATION_DAYS,
    calibrate,
    counted_runs,
    fit_detector,
    lead_days,
)
from premura.shipping.delays.model import train, training_rows
from premura.shipping.delays.parcels import Parcel

RUN = datetime.date(2026, 3, 1)


def history(seed: int = 7) -> list[Parcel]:
    rng = random.Random(seed)
    parcels = []
    for i in range(400):
        placed = RUN - datetime.timedelta(days=rng.randint(0, 90))
        handed = placed + datetime.timedelta(days=rng.randint(0, 3))
        delivered = handed + datetime.timedelta(days=rng.randint(1, 9))
        origin, destination = rng.choice(["Lombardia", "Veneto"]), rng.choice(["MI", "RM", "NA"])
        promised = placed + datetime.timedelta(days=rng.randint(4, 10))
        parcels.append(Parcel(str(i), "brt", origin, destination, placed, promised, handed, delivered))
    return parcels


def rewrite_the_future(parcels: list[Parcel]) -> list[Parcel]:
    """The same history up to RUN, and another one after it: every handover and delivery dated
    after the run moved, and parcels ordered after the run added."""
    changed = []
    for p in parcels:
        handed = (
            p.handed_over_on if p.handed_over_on <= RUN else p.handed_over_on + datetime.timedelta(days=5)
        )
        delivered = p.delivered_on if p.delivered_on <= RUN else p.delivered_on + datetime.timedelta(days=20)
        changed.append(dataclasses.replace(p, handed_over_on=handed, delivered_on=delivered))
    later = RUN + datetime.timedelta(days=1)
    changed += [Parcel(f"new{i}", "brt", "Veneto", "MI", later, later, later, later) for i in range(50)]
    return changed


def fit(parcels: list[Parcel]):
    return fit_detector([p.known_at(RUN) for p in parcels if p.placed_on <= RUN], day=RUN, country="IT")


def test_what_happens_after_the_run_changes_nothing_in_the_model_its_norms_or_its_threshold():
    parcels = history()
    assert any(p.delivered_on > RUN for p in parcels)  # the fixture has a future to hide
    detector = fit(parcels)
    other = fit(rewrite_the_future(parcels))
    assert np.array_equal(detector.model.coefficients, other.model.coefficients)
    assert detector.model.usual_transit == other.model.usual_transit
    assert np.array_equal(detector.model.handover_hazard, other.model.handover_hazard)
    assert detector.ahead is not None
    assert np.array_equal(detector.ahead.coefficients, other.ahead.coefficients)
    assert detector.ahead.shares == other.ahead.shares
    assert (detector.norms, detector.thresholds) == (other.norms, other.thresholds)


def test_training_rows_stop_at_the_run_and_a_parcel_delivered_after_it_is_only_not_yet_delivered():
    parcels = history()
    views = [p.known_at(RUN) for p in parcels]
    model = train(views)
    for view in views:
        single_rows, delivered = training_rows(model, [view])
        if view.parcel.delivered_on > RUN:
            assert delivered.sum() == 0
            assert len(single_rows) == max((RUN - view.parcel.handed_over_on).days, 0)
    _rows, delivered = training_rows(model, views)
    assert delivered.sum() == sum(
        p.delivered_on <= RUN and p.delivered_on > p.handed_over_on for p in parcels
    )


def test_the_replay_trains_each_time_on_parcels_as_known_at_that_run(monkeypatch):
    seen_runs = []
    real_train = detector_module.train

    def spying_train(views, **kwargs):
        run = views[0].day
        seen_runs.append(run)
        for view in views:
            assert view.day == run and view.parcel.placed_on <= run
            assert view.delivered_on is None or view.delivered_on <= run
            assert view.handed_over_on is None or view.handed_over_on <= run
        return real_train(views, **kwargs)

    monkeypatch.setattr(detector_module, "train", spying_train)
    parcels = history()
    replay_module.replay(parcels, split=RUN - datetime.timedelta(days=20), country="IT")
    assert len(seen_runs) >= 3 and seen_runs == sorted(seen_runs)


def test_the_calibration_scores_each_parcel_only_as_known_at_a_run_up_to_the_training_day(monkeypatch):
    scored = []
    real_predict = detector_module.predict

    def spying_predict(model, view):
        scored.append(view)
        return real_predict(model, view)

    monkeypatch.setattr(detector_module, "predict", spying_predict)
    views = [p.known_at(RUN) for p in history() if p.placed_on <= RUN]
    calibrate(train(views), None, views, day=RUN)
    scored_runs = defaultdict(set)
    for view in scored:
        assert view == view.parcel.known_at(view.day) and view.day < RUN
        scored_runs[view.parcel.key].add(view.day)
    # Each parcel promised in the window at its counted runs from the eve of its promise on, and
    # an on-time one also at its ahead run (the ahead score, the hazard model's without classifier).
    allowed, required = {}, {}
    for view in views:
        promised = view.parcel.promised_on
        if RUN - datetime.timedelta(days=CALIBRATION_DAYS) <= promised < RUN:
            eve = {r for r in counted_runs(view) if lead_days(view.parcel, r) <= 0}
            allowed[view.parcel.key] = eve | ({ahead_run(view.parcel)} if not view.is_late else set())
            if view.is_late and eve:
                required[view.parcel.key] = eve
    assert set(scored_runs) <= set(allowed) and required
    for key, runs in scored_runs.items():
        assert runs <= allowed[key]
    for key, runs in required.items():
        assert runs <= scored_runs[key]
