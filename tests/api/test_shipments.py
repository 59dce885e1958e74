"""Shipments and tracking events through the API."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from premura.shipping.models import Shipment, TrackingEvent
from tests.api.conftest import row_counts
from tests.factories.shipping import CarrierFactory, ShipmentFactory


@pytest.fixture
def shipment(anna_order) -> Shipment:
    return Shipment.objects.get(order=anna_order)


ROME = zoneinfo.ZoneInfo("Europe/Rome")


def later(hours: int) -> tuple[str, str]:
    """A time `hours` after now (after the fixtures' events): as sent from Rome, and as answered in UTC."""
    at = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=hours)
    return at.astimezone(ROME).isoformat(), at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(**overrides) -> dict:
    return {
        "occurred_at": later(1)[0],
        "status": "out_for_delivery",
        "raw_code": "IN CONSEGNA",
        "raw_description": "Spedizione in consegna",
        "location": "Milano",
        "external_id": "brt-evt-1",
        **overrides,
    }


def test_it_creates_a_shipment(agent_api, agent, bruno_order):
    CarrierFactory(code="gls", name="GLS", tracking_url_template="https://gls.example/{tracking_number}")
    response = agent_api.post(
        "/api/v1/shipments",
        {
            "order_id": bruno_order.pk,
            "carrier": "GLS",
            "tracking_number": " ZX 123 456 ",
            "promised_delivery_date": "2026-03-05",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    shipment = Shipment.objects.get(pk=data["id"])
    assert (data["order_id"], data["order_number"], data["carrier"], data["tracking_number"]) == (
        bruno_order.pk,
        "PRM-100002",
        "gls",
        "ZX123456",
    )
    assert (data["status"], data["promised_delivery_date"], data["tracking_url"], data["events"]) == (
        "pending",
        "2026-03-05",
        "https://gls.example/ZX123456",
        [],
    )
    assert shipment.carrier.code == "gls"


def test_it_refuses_a_duplicate_or_unknown_carrier(agent_api, anna_order):
    before = row_counts()
    response = agent_api.post(
        "/api/v1/shipments", {"order_id": anna_order.pk, "carrier": "brt", "tracking_number": "084012345678"}
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "BRT already has a shipment with tracking number 084012345678."}
    response = agent_api.post(
        "/api/v1/shipments", {"order_id": anna_order.pk, "carrier": "piccione", "tracking_number": "1"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Unknown carrier: piccione"}
    response = agent_api.post(
        "/api/v1/shipments", {"order_id": 77777, "carrier": "brt", "tracking_number": "1"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "body.order_id: There is no order with id 77777."
    assert row_counts() == before


def test_a_tracking_event_moves_the_shipment(agent_api, shipment):
    sent, answered = later(2)
    response = agent_api.post(f"/api/v1/shipments/{shipment.pk}/events", event_body(occurred_at=sent))
    assert response.status_code == 201, response.content
    data = response.json()
    event = TrackingEvent.objects.get(external_id="brt-evt-1")
    assert data["created"] is True
    assert data["shipment_status"] == "out_for_delivery"
    assert data["delivered_at"] is None
    assert data["event"] == {
        "id": event.pk,
        "occurred_at": answered,
        "status": "out_for_delivery",
        "exception_reason": "",
        "raw_code": "IN CONSEGNA",
        "raw_description": "Spedizione in consegna",
        "location": "Milano",
        "external_id": "brt-evt-1",
        "received_at": data["event"]["received_at"],
    }


def test_a_repeated_event_is_answered_with_the_stored_one(agent_api, shipment):
    first = agent_api.post(f"/api/v1/shipments/{shipment.pk}/events", event_body())
    count = TrackingEvent.objects.count()
    again = agent_api.post(
        f"/api/v1/shipments/{shipment.pk}/events", event_body(status="delivered", raw_code="X")
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert again.json()["event"] == first.json()["event"]
    assert again.json()["shipment_status"] == "out_for_delivery"
    assert TrackingEvent.objects.count() == count


def test_a_late_in_transit_event_never_undoes_delivered(agent_api, shipment):
    delivered_sent, delivered_answered = later(3)
    delivered = agent_api.post(
        f"/api/v1/shipments/{shipment.pk}/events",
        event_body(occurred_at=delivered_sent, status="delivered", raw_code="CONSEGNATA", external_id="e2"),
    )
    assert delivered.status_code == 201
    assert (delivered.json()["shipment_status"], delivered.json()["delivered_at"]) == (
        "delivered",
        delivered_answered,
    )
    late = agent_api.post(
        f"/api/v1/shipments/{shipment.pk}/events",
        event_body(occurred_at=later(5)[0], status="in_transit", raw_code="IN TRANSITO", external_id="e3"),
    )
    assert late.status_code == 201
    assert late.json()["shipment_status"] == "delivered"
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert TrackingEvent.objects.filter(shipment=shipment, external_id="e3").exists()
    detail = agent_api.get(f"/api/v1/shipments/{shipment.pk}").json()
    assert detail["status"] == "delivered"
    assert [e["external_id"] for e in detail["events"]][-2:] == ["e2", "e3"]


def test_an_exception_event_carries_its_reason_to_the_shipment(agent_api, shipment):
    response = agent_api.post(
        f"/api/v1/shipments/{shipment.pk}/events",
        event_body(status="exception", exception_reason="damaged", raw_code="DANNEGGIATA", external_id="x1"),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["event"]["exception_reason"], data["shipment_exception_reason"]) == ("damaged", "damaged")
    assert agent_api.get(f"/api/v1/shipments/{shipment.pk}").json()["exception_reason"] == "damaged"
    refused = agent_api.post(
        f"/api/v1/shipments/{shipment.pk}/events", event_body(exception_reason="stolen", external_id="x2")
    )
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"status": "lost"}, "body.status: Input should be"),
        ({"occurred_at": "2026-03-02T09:00:00"}, "body.occurred_at: Input should have timezone info"),
        ({"raw_code": ""}, "body.raw_code: String should have at least 1 character"),
    ],
)
def test_an_invalid_event_is_refused_naming_the_field(agent_api, shipment, overrides, detail):
    before = row_counts()
    response = agent_api.post(f"/api/v1/shipments/{shipment.pk}/events", event_body(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert row_counts() == before


def test_an_event_for_an_unknown_shipment_is_a_404(agent_api, db):
    response = agent_api.post("/api/v1/shipments/999999/events", event_body())
    assert response.status_code == 404
    assert agent_api.get("/api/v1/shipments/999999/events").status_code == 404


def test_list_events_oldest_first(agent_api, shipment):
    response = agent_api.get(f"/api/v1/shipments/{shipment.pk}/events")
    assert response.status_code == 200
    assert [(e["status"], e["raw_code"]) for e in response.json()["items"]] == [
        ("info_received", "DATI RICEVUTI"),
        ("in_transit", "IN TRANSITO"),
    ]


def test_list_filters_by_order_status_and_carrier(agent_api, shipment, bruno_order):
    gls = CarrierFactory(code="gls", name="GLS")
    other = ShipmentFactory(order=bruno_order, carrier=gls, status="delivered", tracking_number="GLS1")

    def tracking_numbers(**params):
        response = agent_api.get("/api/v1/shipments", params)
        assert response.status_code == 200
        return sorted(s["tracking_number"] for s in response.json()["items"])

    assert tracking_numbers(order=shipment.order_id) == ["084012345678"]
    assert tracking_numbers(status="delivered") == [other.tracking_number]
    assert tracking_numbers(carrier="GLS") == ["GLS1"]
    assert tracking_numbers(carrier="brt", status="in_transit") == ["084012345678", "084099999999"]


def test_a_shipment_knows_its_lane(agent_api, bruno_order):
    """Origin as given, destination from the order's province (else its country): the lane that
    norms, the delay model and the carrier scorecard group by."""
    CarrierFactory(code="gls", name="GLS")
    bruno_order.shipping_province = " mi "
    bruno_order.save()
    body = {"order_id": bruno_order.pk, "carrier": "gls", "tracking_number": "ZX1", "origin": "Lombardia"}
    data = agent_api.post("/api/v1/shipments", body).json()
    assert (data["origin"], data["destination"], data["exception_reason"]) == ("Lombardia", "MI", "")
    bruno_order.shipping_province = ""
    bruno_order.shipping_country = "PT"
    bruno_order.save()
    response = agent_api.post("/api/v1/shipments", {**body, "tracking_number": "ZX2", "origin": "x\ny"})
    assert response.status_code == 422, response.content
    data = agent_api.post("/api/v1/shipments", {**body, "tracking_number": "ZX2", "origin": ""}).json()
    assert (data["origin"], data["destination"]) == ("", "PT")
