"""Recording tracking events: every event stored once, the status follows the latest, delivered is final."""

import datetime

import pytest
from django.utils import timezone, translation

from premura.core.audit import events_for
from premura.shipping.models import Shipment, TrackingEvent, TrackingStatus
from premura.shipping.services import ShipmentError, record_tracking_event
from tests.factories.shipping import ShipmentFactory


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; the desk's default language is Italian."""
    with translation.override("en"):
        yield


T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def at(hours: float) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


@pytest.fixture
def shipment(db) -> Shipment:
    return ShipmentFactory(status=TrackingStatus.PENDING, shipped_at=None)


def record(shipment: Shipment, hours: float, status: str, external_id: str = "", **kwargs):
    return record_tracking_event(
        shipment,
        occurred_at=at(hours),
        status=status,
        raw_code=status.upper(),
        external_id=external_id,
        **kwargs,
    )


def test_the_status_follows_the_latest_event(shipment):
    record(shipment, 0, TrackingStatus.INFO_RECEIVED)
    recorded = record(shipment, 5, TrackingStatus.IN_TRANSIT)
    shipment.refresh_from_db()
    assert recorded.created is True
    assert (shipment.status, shipment.last_event_at, shipment.shipped_at) == (
        TrackingStatus.IN_TRANSIT,
        at(5),
        at(5),
    )


def test_an_older_event_arriving_late_is_stored_but_changes_nothing(shipment):
    record(shipment, 5, TrackingStatus.OUT_FOR_DELIVERY)
    record(shipment, 1, TrackingStatus.IN_TRANSIT)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.last_event_at) == (TrackingStatus.OUT_FOR_DELIVERY, at(5))
    assert shipment.events.count() == 2


def test_a_late_in_transit_never_undoes_delivered(shipment):
    record(shipment, 1, TrackingStatus.OUT_FOR_DELIVERY)
    record(shipment, 3, TrackingStatus.DELIVERED, external_id="e-delivered")
    recorded = record(shipment, 6, TrackingStatus.IN_TRANSIT, external_id="e-late")
    shipment.refresh_from_db()
    assert recorded.created is True
    assert recorded.shipment.status == TrackingStatus.DELIVERED
    assert (shipment.status, shipment.delivered_at, shipment.last_event_at) == (
        TrackingStatus.DELIVERED,
        at(3),
        at(6),
    )
    assert list(shipment.events.values_list("status", flat=True)) == [
        "out_for_delivery",
        "delivered",
        "in_transit",
    ]


def test_a_delivery_scan_older_than_the_latest_event_still_delivers(shipment):
    record(shipment, 5, TrackingStatus.IN_TRANSIT)
    record(shipment, 2, TrackingStatus.DELIVERED)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at, shipment.last_event_at) == (
        TrackingStatus.DELIVERED,
        at(2),
        at(5),
    )


def test_a_redelivered_event_is_stored_once(shipment):
    first = record(shipment, 1, TrackingStatus.IN_TRANSIT, external_id="aftership-1")
    again = record(shipment, 9, TrackingStatus.DELIVERED, external_id="aftership-1")
    shipment.refresh_from_db()
    assert (first.created, again.created) == (True, False)
    assert again.event.pk == first.event.pk
    assert again.event.status == TrackingStatus.IN_TRANSIT
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert (shipment.status, shipment.delivered_at) == (TrackingStatus.IN_TRANSIT, None)


def test_the_same_external_id_on_another_shipment_is_another_event(shipment):
    other = ShipmentFactory()
    record(shipment, 1, TrackingStatus.IN_TRANSIT, external_id="evt-1")
    recorded = record(other, 1, TrackingStatus.IN_TRANSIT, external_id="evt-1")
    assert recorded.created is True
    assert TrackingEvent.objects.filter(external_id="evt-1").count() == 2


def test_events_without_an_external_id_are_all_stored(shipment):
    record(shipment, 1, TrackingStatus.IN_TRANSIT)
    record(shipment, 1, TrackingStatus.IN_TRANSIT)
    assert shipment.events.count() == 2


def test_a_status_change_is_audited_with_its_actor(shipment, agent):
    record(shipment, 1, TrackingStatus.IN_TRANSIT, actor=agent.user)
    record(shipment, 0, TrackingStatus.INFO_RECEIVED, actor=agent.user)
    [changed] = events_for(shipment)
    assert (changed.action, changed.actor, changed.data["old"], changed.data["new"]) == (
        "shipment.status_changed",
        agent.user,
        "pending",
        "in_transit",
    )


def test_the_event_time_is_stored_in_utc(shipment):
    rome = datetime.timezone(datetime.timedelta(hours=1))
    recorded = record_tracking_event(
        shipment,
        occurred_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=rome),
        status="in_transit",
        raw_code="X",
    )
    assert recorded.event.occurred_at == T0
    assert recorded.event.occurred_at.tzinfo == datetime.UTC


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "lost"}, "Unknown tracking status: lost"),
        ({"occurred_at": datetime.datetime(2026, 3, 2, 9, 0)}, "The event time needs a time zone."),
    ],
)
def test_invalid_events_are_refused_and_nothing_is_written(shipment, kwargs, message):
    arguments = {"occurred_at": timezone.now(), "status": "in_transit", "raw_code": "X", **kwargs}
    with pytest.raises(ShipmentError, match=message):
        record_tracking_event(shipment, **arguments)
    assert not shipment.events.exists()
    shipment.refresh_from_db()
    assert shipment.status == TrackingStatus.PENDING


def test_a_carrier_history_is_stored_in_one_call_with_one_status_change(shipment):
    from premura.shipping.services import NewTrackingEvent, record_tracking_events

    history = [
        NewTrackingEvent(at(0), TrackingStatus.INFO_RECEIVED, "DATI RICEVUTI", external_id="e1"),
        NewTrackingEvent(at(5), TrackingStatus.IN_TRANSIT, "PARTITA", external_id="e2"),
        NewTrackingEvent(at(30), TrackingStatus.OUT_FOR_DELIVERY, "IN CONSEGNA", external_id="e3"),
    ]
    recorded = record_tracking_events(shipment, history)
    again = record_tracking_events(shipment, history[1:])
    shipment.refresh_from_db()
    assert [r.created for r in recorded + again] == [True, True, True, False, False]
    assert [r.event.pk for r in again] == [r.event.pk for r in recorded[1:]]
    assert (shipment.status, shipment.shipped_at, shipment.last_event_at) == (
        TrackingStatus.OUT_FOR_DELIVERY,
        at(5),
        at(30),
    )
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3
    (change,) = events_for(shipment)
    assert change.data == {
        "old": TrackingStatus.PENDING,
        "new": TrackingStatus.OUT_FOR_DELIVERY,
        "exception_reason": "",
        "tracking_event_id": recorded[2].event.pk,
    }


def test_a_batch_naming_an_unknown_shipment_is_refused_and_nothing_is_written(shipment):
    from premura.shipping.services import NewTrackingEvent, record_tracking_batch

    event = NewTrackingEvent(at(1), TrackingStatus.IN_TRANSIT, "PARTITA")
    with pytest.raises(ShipmentError, match=f"Unknown shipment: {shipment.pk + 1}"):
        record_tracking_batch({shipment.pk: [event], shipment.pk + 1: [event]})
    assert not TrackingEvent.objects.exists()
    shipment.refresh_from_db()
    assert shipment.status == TrackingStatus.PENDING
