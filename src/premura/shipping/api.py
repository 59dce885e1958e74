"""Shipments and their tracking events in the REST API: /api/v1/shipments."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.api.errors import errors, referenced
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset
from premura.commerce.models import Order
from premura.shipping import services
from premura.shipping.models import Shipment, TrackingEvent
from premura.shipping.schemas import (
    ShipmentDetailOut,
    ShipmentFilters,
    ShipmentIn,
    ShipmentOut,
    TrackingEventIn,
    TrackingEventOut,
    TrackingEventResult,
)

router = Router(tags=["shipments"])


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("carrier", "order")


@router.get("/shipments", response={200: list[ShipmentOut], **errors(401, 403, 422)})
@paginate(LimitOffset)
def list_shipments(request: HttpRequest, filters: Query[ShipmentFilters]):
    """Shipments, newest first; filter by `order` id, `status` or `carrier` code."""
    shipments = _shipments()
    if filters.order is not None:
        shipments = shipments.filter(order_id=filters.order)
    if filters.status:
        shipments = shipments.filter(status=filters.status)
    if filters.carrier:
        shipments = shipments.filter(carrier__code=filters.carrier.strip().lower())
    return shipments.order_by("-created_at", "-pk")


@router.get("/shipments/{int:shipment_id}", response={200: ShipmentDetailOut, **errors(401, 403, 404, 422)})
def get_shipment(request: HttpRequest, shipment_id: int):
    """One shipment with its tracking events, oldest first."""
    return get_object_or_404(_shipments().prefetch_related("events"), pk=shipment_id)


@router.post("/shipments", response={201: ShipmentDetailOut, **errors(401, 403, 409, 422)})
@idempotent
def create_shipment(request: HttpRequest, payload: ShipmentIn):
    """Create a shipment of an order. The same carrier and tracking number twice is a 409."""
    shipment = services.create_shipment(
        order=referenced(Order, payload.order_id, "body.order_id"),
        carrier_code=payload.carrier,
        tracking_number=payload.tracking_number,
        promised_delivery_date=payload.promised_delivery_date,
        estimated_delivery_date=payload.estimated_delivery_date,
        shipped_at=payload.shipped_at,
        origin=payload.origin,
        actor=request.user,
    )
    return Status(201, get_object_or_404(_shipments().prefetch_related("events"), pk=shipment.pk))


@router.get(
    "/shipments/{int:shipment_id}/events",
    response={200: list[TrackingEventOut], **errors(401, 403, 404, 422)},
)
@paginate(LimitOffset)
def list_tracking_events(request: HttpRequest, shipment_id: int):
    """The shipment's tracking events, oldest first."""
    shipment = get_object_or_404(Shipment, pk=shipment_id)
    return TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at", "pk")


@router.post(
    "/shipments/{int:shipment_id}/events",
    response={201: TrackingEventResult, 200: TrackingEventResult, **errors(401, 403, 404, 422)},
)
@idempotent
def record_tracking_event(request: HttpRequest, shipment_id: int, payload: TrackingEventIn):
    """Record a carrier's tracking event: 201 with the event and the shipment's resulting status.

    Idempotent on `external_id`: a repeat answers 200 with the stored event and changes nothing.
    A delivered shipment stays delivered whatever arrives later.
    """
    shipment = get_object_or_404(Shipment, pk=shipment_id)
    recorded = services.record_tracking_event(shipment, **payload.model_dump(), actor=request.user)
    result = {
        "event": recorded.event,
        "created": recorded.created,
        "shipment_status": recorded.shipment.status,
        "delivered_at": recorded.shipment.delivered_at,
    }
    return Status(201 if recorded.created else 200, result)
