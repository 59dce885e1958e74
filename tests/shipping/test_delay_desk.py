"""The delay detector on the shop's shipments: the end-of-day run, the exception event, training,
and `risk_changed` sent on commit only when the risk appears, moves or clears."""

import datetime
import zoneinfo

import pytest

from premura.core import clock
from premura.shipping.delays import services
from premura.shipping.models import DelayModel, DelaySignal, Shipment, TrackingStatus
from premura.shipping.services import record_tracking_event
from premura.shipping.signals import risk_changed
from tests.factories.commerce import OrderFactory
from tests.factories.shipping import ShipmentFactory, TrackingEventFactory

ROME = zoneinfo.ZoneInfo("Europe/Rome")
# Thursday 24 April 2025; Friday 25 April (Liberation Day), the weekend, and Thursday 1 May (Labour
# Day) are not business days: with the default norm of 3, the parcel stalls on Friday 2 May.
THURSDAY = datetime.datetime(2025, 4, 24, 10, 0, tzinfo=ROME)


def on(day: int, month: int = 4) -> datetime.date:
    return datetime.date(2025, month, day)


@pytest.fixture
def shipment(db):
    order = OrderFactory(placed_at=THURSDAY - datetime.timedelta(days=2))
    shipment = ShipmentFactory(
        order=order, shipped_at=THURSDAY, promised_delivery_date=on(15, 5), origin="Lombardia"
    )
    TrackingEventFactory(shipment=shipment, occurred_at=THURSDAY, status=TrackingStatus.IN_TRANSIT)
    return shipment


@pytest.fixture
def changes():
    received = []

    def listen(sender, shipment, risk_signal, expected_date, level, **kwargs):
        received.append((shipment.pk, level, risk_signal, expected_date))

    risk_changed.connect(listen)
    yield received
    risk_changed.disconnect(listen)


def test_a_parcel_quiet_over_a_holiday_weekend_and_labour_day_stalls_on_the_fourth_business_day(
    shipment, changes, django_capture_on_commit_callbacks
):
    for day in (on(28), on(30), on(1, 5)):
        with django_capture_on_commit_callbacks(execute=True):
            services.assess_open_shipments(day=day)
        shipment.refresh_from_db()
        assert (shipment.delay_level, shipment.delay_signal) == ("low", ""), day
    assert changes == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.assess_open_shipments(day=on(2, 5))
    shipment.refresh_from_db()
    assert (shipment.delay_level, shipment.delay_signal) == ("high", DelaySignal.STALLED)
    assert shipment.delay_factors[0] == {"factor": "no_scan", "value": "4", "weight": None}
    assert shipment.expected_delivery_date is not None and 0 < shipment.delay_probability < 1
    assert len(callbacks) == 1
    assert changes == [(shipment.pk, "high", "stalled", shipment.expected_delivery_date)]


def test_risk_changed_waits_for_the_commit_and_is_not_sent_again_when_nothing_moved(
    shipment, changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.assess_open_shipments(day=on(2, 5))
    assert changes == [] and len(callbacks) == 1  # not before the commit
    callbacks[0]()
    assert len(changes) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.assess_open_shipments(day=on(2, 5))  # the same run again: nothing moved
    assert len(changes) == 1
    with django_capture_on_commit_callbacks(execute=True):
        record_tracking_event(
            shipment,
            occurred_at=datetime.datetime(2025, 5, 3, 9, tzinfo=ROME),
            status="in_transit",
            raw_code="X",
        )
        services.assess_open_shipments(day=on(3, 5))  # scanned again: the risk clears
    shipment.refresh_from_db()
    assert shipment.delay_level == "low"
    assert changes[-1][1:3] == ("low", "")


def test_an_exception_event_is_assessed_at_once(shipment, changes, django_capture_on_commit_callbacks):
    with (
        clock.frozen_at(THURSDAY + datetime.timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record_tracking_event(
            shipment,
            occurred_at=THURSDAY + datetime.timedelta(hours=20),
            status="exception",
            raw_code="GIACENZA",
        )
    shipment.refresh_from_db()
    assert (shipment.delay_level, shipment.delay_signal) == ("high", DelaySignal.EXCEPTION)
    assert shipment.delay_factors[0]["factor"] == "exception"
    assert [c[1:3] for c in changes] == [("high", "exception")]


def test_training_stores_a_new_version_that_the_detector_then_uses(shipment):
    for i in range(12):
        order = OrderFactory(placed_at=THURSDAY - datetime.timedelta(days=30 + i))
        ShipmentFactory(
            order=order,
            shipped_at=order.placed_at + datetime.timedelta(days=1),
            promised_delivery_date=order.placed_at.date() + datetime.timedelta(days=5),
            status=TrackingStatus.DELIVERED,
        ).__class__.objects.filter(order=order).update(
            delivered_at=order.placed_at + datetime.timedelta(days=3 + i % 4)
        )
    first = services.train_delay_model(day=on(30))
    second = services.train_delay_model(day=on(30))
    assert (first.version, second.version) == (1, 2)
    assert (second.shipments, second.delivered, second.data_until) == (13, 12, on(30))
    assert DelayModel.objects.count() == 2
    detector = services.current_detector()
    assert (detector.thresholds.ahead, detector.thresholds.eve) == (second.ahead_threshold, second.threshold)
    assert list(detector.model.coefficients) == second.parameters["coefficients"]


def test_training_reads_the_history_in_chunks_and_loses_no_event(shipment, monkeypatch):
    """A shop's whole history in one look-up of ids would pass SQLite's bound-value limit: the
    events are read a chunk of shipments at a time, and the parcels are the same."""
    for i in range(5):
        order = OrderFactory(placed_at=THURSDAY - datetime.timedelta(days=30 + i))
        other = ShipmentFactory(order=order, shipped_at=order.placed_at, promised_delivery_date=on(20))
        for hours in (20, 44):
            at = order.placed_at + datetime.timedelta(hours=hours)
            TrackingEventFactory(shipment=other, occurred_at=at, status=TrackingStatus.IN_TRANSIT)
    shipments = Shipment.objects.select_related("carrier", "order").order_by("pk")
    whole = services._parcels(list(shipments))
    monkeypatch.setattr(services, "PARCEL_CHUNK", 2)
    assert services._parcels(shipments.iterator(chunk_size=2)) == whole
    assert sum(len(parcel.scans) for parcel in whole) >= 5
