"""Shipment actions: create a shipment, record the carrier's tracking events.

Every tracking event is stored, even one that arrives late or out of order; the shipment's status
is that of its latest event by occurred_at, except that a final status (delivered) is never left:
a late "in transit" scan arriving after the delivery does not undo it.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.models import Order
from premura.core import clock
from premura.core.audit import record_event
from premura.shipping.models import (
    FINAL_TRACKING_STATUSES,
    Carrier,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)

# Statuses that say the parcel has left the shop: the first such event stamps shipped_at.
NOT_YET_SHIPPED = frozenset({TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED, TrackingStatus.EXPIRED})


class ShipmentError(Exception):
    """A shipment action that cannot be done; the message is safe to show to the user."""


class DuplicateShipment(ShipmentError):
    """The carrier already has a shipment with this tracking number."""


@dataclass(frozen=True)
class RecordedEvent:
    event: TrackingEvent
    # False when the event was a redelivery (same external_id) and nothing was written.
    created: bool
    shipment: Shipment


@transaction.atomic
def create_shipment(
    *,
    order: Order,
    carrier_code: str,
    tracking_number: str,
    promised_delivery_date: datetime.date | None = None,
    estimated_delivery_date: datetime.date | None = None,
    shipped_at: datetime.datetime | None = None,
    actor: Any = None,
) -> Shipment:
    """Create a shipment of `order`. Not idempotent: the same carrier and tracking number again
    raises DuplicateShipment. Raises ShipmentError for an unknown carrier or an empty tracking
    number. Nothing is written when it raises.
    """
    try:
        carrier = Carrier.objects.get(code=carrier_code.strip().lower())
    except Carrier.DoesNotExist:
        raise ShipmentError(_("Unknown carrier: %(code)s") % {"code": carrier_code}) from None
    tracking_number = "".join(tracking_number.split())
    if not tracking_number:
        raise ShipmentError(_("The tracking number is empty."))
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order,
                carrier=carrier,
                tracking_number=tracking_number,
                promised_delivery_date=promised_delivery_date,
                estimated_delivery_date=estimated_delivery_date,
                shipped_at=shipped_at.astimezone(datetime.UTC) if shipped_at else None,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise DuplicateShipment(
            _("%(carrier)s already has a shipment with tracking number %(number)s.")
            % {"carrier": carrier.name, "number": tracking_number}
        ) from None
    record_event(
        shipment,
        "shipment.created",
        actor=actor,
        order=order.number,
        carrier=carrier.code,
        tracking_number=tracking_number,
    )
    return shipment


@transaction.atomic
def record_tracking_event(
    shipment: Shipment,
    *,
    occurred_at: datetime.datetime,
    status: str,
    raw_code: str,
    raw_description: str = "",
    location: str = "",
    external_id: str = "",
    actor: Any = None,
) -> RecordedEvent:
    """Store one tracking event and bring the shipment's status, last_event_at and delivered_at up
    to date. Idempotent on (shipment, external_id): a redelivered event is not stored again and the
    stored one is returned with created=False. Events without an external_id are always stored.

    The status becomes that of the latest event by occurred_at, unless the shipment is already in a
    final status (delivered), which no later event undoes. Raises ShipmentError for an unknown status
    or a naive occurred_at; nothing is written then.
    """
    if status not in TrackingStatus.values:
        raise ShipmentError(_("Unknown tracking status: %(status)s") % {"status": status})
    if timezone.is_naive(occurred_at):
        raise ShipmentError(_("The event time needs a time zone."))
    occurred_at = occurred_at.astimezone(datetime.UTC)
    external_id = external_id.strip()
    try:
        with transaction.atomic():
            event = TrackingEvent.objects.create(
                shipment=shipment,
                occurred_at=occurred_at,
                status=status,
                raw_code=raw_code,
                raw_description=raw_description,
                location=location,
                external_id=external_id,
                received_at=clock.now(),
            )
    except IntegrityError:
        if not external_id:
            raise
        existing = TrackingEvent.objects.get(shipment=shipment, external_id=external_id)
        shipment.refresh_from_db()
        return RecordedEvent(event=existing, created=False, shipment=shipment)
    # Re-read under a lock (PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers),
    # so two events arriving together cannot both decide from the same old status.
    shipment = Shipment.objects.select_for_update().select_related("carrier").get(pk=shipment.pk)
    _apply_event(shipment, event, actor=actor)
    return RecordedEvent(event=event, created=True, shipment=shipment)


def _apply_event(shipment: Shipment, event: TrackingEvent, *, actor: Any) -> None:
    fields: list[str] = []
    if shipment.last_event_at is None or event.occurred_at > shipment.last_event_at:
        shipment.last_event_at = event.occurred_at
        fields.append("last_event_at")
    if event.status in FINAL_TRACKING_STATUSES:
        new_status = event.status
        if shipment.delivered_at is None or event.occurred_at < shipment.delivered_at:
            shipment.delivered_at = event.occurred_at
            fields.append("delivered_at")
    elif shipment.status in FINAL_TRACKING_STATUSES:
        new_status = shipment.status
    else:
        latest = shipment.events.order_by("-occurred_at", "-id").only("status").first()
        new_status = latest.status if latest else event.status
    if event.status not in NOT_YET_SHIPPED and shipment.shipped_at is None:
        shipment.shipped_at = event.occurred_at
        fields.append("shipped_at")
    old_status = shipment.status
    if new_status != old_status:
        shipment.status = new_status
        fields.append("status")
    if fields:
        shipment.save(update_fields=fields)
    if new_status != old_status:
        record_event(
            shipment,
            "shipment.status_changed",
            actor=actor,
            old=old_status,
            new=new_status,
            tracking_event_id=event.pk,
        )
