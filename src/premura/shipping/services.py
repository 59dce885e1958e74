"""Shipment actions: configure a carrier, create a shipment, record the carrier's tracking events.

Every tracking event is stored, even one that arrives late or out of order; the shipment's status
is that of its latest event by occurred_at, except that a final status (delivered) is never left:
a late "in transit" scan arriving after the delivery does not undo it.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.models import Order
from premura.core import clock, text
from premura.core.audit import record_event
from premura.shipping.delays import services as delays
from premura.shipping.exceptions import DuplicateShipment, ShipmentError
from premura.shipping.models import (
    FINAL_TRACKING_STATUSES,
    Carrier,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)

# Statuses that say the parcel has left the shop: the first such event stamps shipped_at.
NOT_YET_SHIPPED = frozenset({TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED, TrackingStatus.EXPIRED})


@dataclass(frozen=True)
class RecordedEvent:
    event: TrackingEvent
    # False when the event was a redelivery (same external_id) and nothing was written.
    created: bool
    shipment: Shipment


@transaction.atomic
def configure_carrier(*, code: str, name: str, tracking_url_template: str = "", actor: Any = None) -> Carrier:
    """Create the carrier `code`, or bring its name and tracking page up to date. Idempotent: the
    same values again write nothing. `tracking_url_template` is empty or contains
    "{tracking_number}". Raises ShipmentError for an empty code or name or a template without the
    placeholder; nothing is written then.
    """
    code, name, template = code.strip().lower(), " ".join(name.split()), tracking_url_template.strip()
    if not code or not name:
        raise ShipmentError(_("A carrier needs a code and a name."))
    if template and "{tracking_number}" not in template:
        raise ShipmentError(_("The tracking page URL must contain {tracking_number}."))
    carrier = Carrier.objects.select_for_update().filter(code=code).first()
    if carrier is None:
        carrier = Carrier.objects.create(code=code, name=name, tracking_url_template=template)
        record_event(carrier, "carrier.created", actor=actor, code=code, name=name)
        return carrier
    changes = {
        field: [getattr(carrier, field), value]
        for field, value in (("name", name), ("tracking_url_template", template))
        if getattr(carrier, field) != value
    }
    if changes:
        for field, (_old, new) in changes.items():
            setattr(carrier, field, new)
        carrier.save(update_fields=list(changes))
        record_event(carrier, "carrier.updated", actor=actor, changes=changes)
    return carrier


@transaction.atomic
def create_shipment(
    *,
    order: Order,
    carrier_code: str,
    tracking_number: str,
    promised_delivery_date: datetime.date | None = None,
    estimated_delivery_date: datetime.date | None = None,
    shipped_at: datetime.datetime | None = None,
    origin: str = "",
    actor: Any = None,
) -> Shipment:
    """Create a shipment of `order`. Not idempotent: the same carrier and tracking number again
    raises DuplicateShipment. Raises ShipmentError for an unknown carrier or an empty tracking
    number, or one with a line break or a control character. Nothing is written when it raises.
    `origin` is the region it leaves from; its destination is the order's province, else country.
    """
    try:
        carrier = Carrier.objects.get(code=carrier_code.strip().lower())
    except Carrier.DoesNotExist:
        raise ShipmentError(_("Unknown carrier: %(code)s") % {"code": carrier_code}) from None
    tracking_number = "".join(
        text.single_line(tracking_number, field=_("tracking number"), error=ShipmentError).split()
    )
    if not tracking_number:
        raise ShipmentError(_("The tracking number is empty."))
    origin = " ".join(text.single_line(origin, field=_("origin"), error=ShipmentError).split())
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order,
                carrier=carrier,
                tracking_number=tracking_number,
                origin=origin,
                destination=order.shipping_province.strip().upper() or order.shipping_country,
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


@dataclass(frozen=True)
class NewTrackingEvent:
    occurred_at: datetime.datetime
    status: str
    raw_code: str
    raw_description: str = ""
    location: str = ""
    # The provider's id for the event, when it has one: a redelivered event is stored once.
    external_id: str = ""


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
    """Store one tracking event: `record_tracking_events` with a single event."""
    new = NewTrackingEvent(occurred_at, status, raw_code, raw_description, location, external_id)
    return record_tracking_events(shipment, [new], actor=actor)[0]


@transaction.atomic
def record_tracking_events(
    shipment: Shipment, events: Sequence[NewTrackingEvent], *, actor: Any = None
) -> list[RecordedEvent]:
    """Store a carrier's events for one shipment (one webhook, or the whole history a carrier
    returns when a tracking number is registered) and bring the shipment's status, last_event_at,
    shipped_at and delivered_at up to date once. Returns one RecordedEvent per event, in order.

    Idempotent on (shipment, external_id): a redelivered event is not stored again and the stored
    one is returned with created=False. Events without an external_id are always stored. The status
    becomes that of the latest event by occurred_at, unless the shipment is already in a final
    status (delivered), which no later event undoes; a change writes one audit event. Raises
    ShipmentError for an unknown status or a naive occurred_at; nothing is written then.
    """
    for new in events:
        if new.status not in TrackingStatus.values:
            raise ShipmentError(_("Unknown tracking status: %(status)s") % {"status": new.status})
        if timezone.is_naive(new.occurred_at):
            raise ShipmentError(_("The event time needs a time zone."))
    # Lock the shipment first (PostgreSQL; SQLite's IMMEDIATE transactions already serialise
    # writers): two deliveries of one event, or two webhooks arriving together, then take turns,
    # so neither stores a duplicate nor decides from the same old status.
    shipment = Shipment.objects.select_for_update().select_related("carrier").get(pk=shipment.pk)
    ids = {new.external_id.strip() for new in events} - {""}
    stored = {e.external_id: e for e in shipment.events.filter(external_id__in=ids)} if ids else {}
    received_at = clock.now()
    results: list[tuple[TrackingEvent, bool]] = []
    for new in events:
        external_id = new.external_id.strip()
        if external_id in stored:
            results.append((stored[external_id], False))
            continue
        event = TrackingEvent(
            shipment=shipment,
            occurred_at=new.occurred_at.astimezone(datetime.UTC),
            status=new.status,
            raw_code=new.raw_code,
            raw_description=new.raw_description,
            location=new.location,
            external_id=external_id,
            received_at=received_at,
        )
        if external_id:
            stored[external_id] = event  # the same id twice in one delivery is stored once
        results.append((event, True))
    created = [event for event, is_new in results if is_new]
    TrackingEvent.objects.bulk_create(created)
    if created:
        _apply_events(shipment, created, actor=actor)
    if any(e.status == TrackingStatus.EXCEPTION or e.exception_reason for e in created):
        delays.assess_shipment(shipment)
    return [RecordedEvent(event=event, created=is_new, shipment=shipment) for event, is_new in results]


def _apply_events(shipment: Shipment, events: list[TrackingEvent], *, actor: Any) -> None:
    fields: list[str] = []
    # The newest event of the batch; among events at the same time, the last one given.
    newest = max(reversed(events), key=lambda e: e.occurred_at)
    previous_last = shipment.last_event_at
    if previous_last is None or newest.occurred_at > previous_last:
        shipment.last_event_at = newest.occurred_at
        fields.append("last_event_at")
    finals = [e for e in events if e.status in FINAL_TRACKING_STATUSES]
    deciding = newest
    if finals:
        first_final = min(finals, key=lambda e: e.occurred_at)
        deciding = first_final
        new_status = first_final.status
        if shipment.delivered_at is None or first_final.occurred_at < shipment.delivered_at:
            shipment.delivered_at = first_final.occurred_at
            fields.append("delivered_at")
    elif shipment.status in FINAL_TRACKING_STATUSES:
        new_status = shipment.status
    elif previous_last is None or newest.occurred_at >= previous_last:
        new_status = newest.status
    else:  # only late events: the latest stored one decides
        deciding = shipment.events.order_by("-occurred_at", "-id").only("status").first()
        new_status = deciding.status
    shipped = [e.occurred_at for e in events if e.status not in NOT_YET_SHIPPED]
    if shipped and shipment.shipped_at is None:
        shipment.shipped_at = min(shipped)
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
            tracking_event_id=deciding.pk,
        )
