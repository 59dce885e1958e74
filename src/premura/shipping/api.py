"""Shipments and their tracking events in the REST API: /api/v1/shipments; tracking providers'
webhooks: /api/v1/tracking/webhooks/<provider>/<source slug> (docs/architecture.md, "Tracking in")."""

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.api.errors import errors, referenced
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset
from premura.api.webhooks import signed_webhook
from premura.commerce.models import Order
from premura.shipping import ingest, services
from premura.shipping.adapters import adapter_for
from premura.shipping.models import Shipment, TrackingEvent, TrackingSource
from premura.shipping.schemas import (
    ShipmentDetailOut,
    ShipmentFilters,
    ShipmentIn,
    ShipmentOut,
    TrackingEventIn,
    TrackingEventOut,
    TrackingEventResult,
    WebhookAccepted,
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
    fields = payload.model_dump()
    fields["exception_reason"] = fields["exception_reason"] or ""
    recorded = services.record_tracking_event(shipment, **fields, actor=request.user)
    result = {
        "event": recorded.event,
        "created": recorded.created,
        "shipment_status": recorded.shipment.status,
        "shipment_exception_reason": recorded.shipment.exception_reason,
        "delivered_at": recorded.shipment.delivered_at,
    }
    return Status(201 if recorded.created else 200, result)


# Tracking providers' webhooks: no API token; each request is signed with its source's secret.
webhooks_router = Router(tags=["tracking webhooks"], auth=None)


def _webhook_doc(provider: str) -> dict:
    adapter = adapter_for(provider)
    parameters = [
        {
            "name": name.lstrip("?").rstrip("="),
            "in": "query" if name.startswith("?") else "header",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in adapter.SIGNATURE_HEADERS.items()
    ]
    body = {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
    return {"parameters": parameters, "requestBody": body}


def _receive(request: HttpRequest, provider: str, slug: str):
    source = get_object_or_404(TrackingSource, provider=provider, slug=slug, is_active=True)
    with signed_webhook(
        request,
        max_bytes=settings.TRACKING_WEBHOOK_MAX_BYTES,
        not_signed=_("The request is not signed with this source's secret."),
        unreadable_secret=_("This source's secret cannot be read: an administrator must enter it again."),
        sender=f"tracking source {source.slug}",
    ):
        delivery, created = ingest.receive_webhook(
            source, body=request.body, headers=request.headers, query=request.GET
        )
    return Status(
        200,
        {
            "delivery_id": delivery.pk,
            "duplicate": not created,
            "status": delivery.status,
            "events_recorded": delivery.events_recorded,
        },
    )


WEBHOOK_RESPONSES = {200: WebhookAccepted, **errors(401, 404, 413, 503)}


@webhooks_router.post(
    "/tracking/webhooks/aftership/{slug}", response=WEBHOOK_RESPONSES, openapi_extra=_webhook_doc("aftership")
)
def aftership_webhook(request: HttpRequest, slug: str):
    """AfterShip tracking webhook (`tracking_update`), signed with `aftership-hmac-sha256`.

    200 once the body is stored, also for a redelivered `event_id` (nothing changes then);
    401 and nothing stored when the signature is missing or wrong."""
    return _receive(request, "aftership", slug)


@webhooks_router.post(
    "/tracking/webhooks/shippo/{slug}", response=WEBHOOK_RESPONSES, openapi_extra=_webhook_doc("shippo")
)
def shippo_webhook(request: HttpRequest, slug: str):
    """Shippo `track_updated` webhook; the URL carries `?token=` the source's secret (Shippo's
    self-generated token: it signs nothing). 401 and nothing stored without the right token."""
    return _receive(request, "shippo", slug)


@webhooks_router.post(
    "/tracking/webhooks/easypost/{slug}", response=WEBHOOK_RESPONSES, openapi_extra=_webhook_doc("easypost")
)
def easypost_webhook(request: HttpRequest, slug: str):
    """EasyPost Event webhook (`tracker.updated`), signed with `X-Hmac-Signature`.
    A redelivered Event `id` answers 200 and changes nothing."""
    return _receive(request, "easypost", slug)


@webhooks_router.post(
    "/tracking/webhooks/generic/{slug}", response=WEBHOOK_RESPONSES, openapi_extra=_webhook_doc("generic")
)
def generic_webhook(request: HttpRequest, slug: str):
    """The shop's own system: `{"event_id", "events": [...]}` (see shipping/adapters/generic.py),
    signed with `X-Premura-Signature` over the timestamp and the body; the timestamp must be within
    5 minutes of ours. A repeated `event_id` answers 200 and changes nothing."""
    return _receive(request, "generic", slug)
