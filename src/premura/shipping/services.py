"""Shipment actions: configure a carrier, create a shipment, record the carrier's tracking events.

Every tracking event is stored, even one that arrives late or out of order; the shipment's status
is that of its latest event by occurred_at, except that a final status is never left: a late "in
transit" scan arriving after the delivery does not undo it. Delivered is final unless a return
starts (an event whose exception reason is "returned"), and a return is final. The shipment's
exception_reason is that of the event that decided its status.
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.models import Order
from premura.core import bulk, clock, text
from premura.core.audit import record_event, record_events
from premura.shipping.delays import services as delays
from premura.shipping.exceptions import DuplicateShipment, ShipmentError
from premura.shipping.models import (
    FINAL_TRACKING_STATUSES,
    Carrier,
    ExceptionReason,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from premura.shipping.scorecard import update_scorecards

TRACKING_STATUSES = frozenset(TrackingStatus.values)
EXCEPTION_REASONS = frozenset(ExceptionReason.values)
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
    exception_reason: str = ""


def record_tracking_event(
    shipment: Shipment,
    *,
    occurred_at: datetime.datetime,
    status: str,
    raw_code: str,
    raw_description: str = "",
    location: str = "",
    external_id: str = "",
    exception_reason: str = "",
    actor: Any = None,
) -> RecordedEvent:
    """Store one tracking event: `record_tracking_events` with a single event."""
    new = NewTrackingEvent(
        occurred_at, status, raw_code, raw_description, location, external_id, exception_reason
    )
    return record_tracking_events(shipment, [new], actor=actor)[0]


def record_tracking_events(
    shipment: Shipment, events: Sequence[NewTrackingEvent], *, actor: Any = None
) -> list[RecordedEvent]:
    """Store a carrier's events for one shipment (one webhook, or the whole history a carrier
    returns when a tracking number is registered) and bring the shipment's status, exception
    reason, last_event_at, shipped_at and delivered_at up to date once. Returns one RecordedEvent
    per event, in order: `record_tracking_batch` for one shipment, with its contract.
    """
    return record_tracking_batch({shipment.pk: events}, actor=actor)[shipment.pk]


# What the batch reads of its shipments (the rest is deferred): what the state rules, the scorecard
# and the end of the delay risk look at.
STATE_FIELDS = (
    "carrier",
    "origin",
    "destination",
    "status",
    "exception_reason",
    "promised_delivery_date",
    "shipped_at",
    "delivered_at",
    "last_event_at",
    "delay_level",
    "delay_signal",
    "created_at",
)
# The columns of a new TrackingEvent.
_EVENT_FIELDS = [field.attname for field in TrackingEvent._meta.concrete_fields if not field.primary_key]


@transaction.atomic
def record_tracking_batch(
    events_by_shipment: Mapping[int, Sequence[NewTrackingEvent]], *, actor: Any = None
) -> dict[int, list[RecordedEvent]]:
    """Store the events of many shipments, given by id, at once (a provider's delivery, a batch of
    an import) with a fixed number of statements, whatever the number of shipments (decision 0026): one
    locked read of the shipments, one read of the events already stored, one multi-row INSERT of
    the new events, one UPDATE executed per row for each set of changed fields, one INSERT of audit
    events, then the scorecard's and the delay detector's own few. Returns {shipment id:
    [RecordedEvent per event, in order]}.

    Idempotent on (shipment, external_id): a redelivered event is not stored again and the stored
    one is returned with created=False. Events without an external_id are always stored. A
    shipment's status becomes that of its latest event by occurred_at, unless it is already
    delivered (only a return moves it on) or returned (final); a change writes one audit event.
    A delivery ends the shipment's delay risk; a new exception event has it assessed at once.
    Raises ShipmentError for an unknown shipment, status or exception reason or a naive
    occurred_at; nothing is written then.
    """
    for events in events_by_shipment.values():
        for new in events:
            if new.status not in TRACKING_STATUSES:
                raise ShipmentError(_("Unknown tracking status: %(status)s") % {"status": new.status})
            if new.exception_reason and new.exception_reason not in EXCEPTION_REASONS:
                raise ShipmentError(
                    _("Unknown exception reason: %(reason)s") % {"reason": new.exception_reason}
                )
            if timezone.is_naive(new.occurred_at):
                raise ShipmentError(_("The event time needs a time zone."))
    # Lock the shipments first, in id order (PostgreSQL; SQLite's IMMEDIATE transactions already
    # serialise writers): two deliveries of one event, or two webhooks arriving together, then take
    # turns, so neither stores a duplicate nor decides from the same old status.
    ids = sorted(events_by_shipment)
    locked = {s.pk: s for s in bulk.fetch(Shipment, only=STATE_FIELDS, lock=True, id=ids)}
    if len(locked) < len(ids):
        missing = ", ".join(str(pk) for pk in ids if pk not in locked)
        raise ShipmentError(_("Unknown shipment: %(ids)s") % {"ids": missing})
    stored = _stored_events(events_by_shipment)
    received_at = clock.now()
    results: dict[int, list[tuple[TrackingEvent, bool]]] = {}
    new_events: list[TrackingEvent] = []
    for shipment_id, events in events_by_shipment.items():
        pairs = results[shipment_id] = []
        for new in events:
            external_id = new.external_id.strip()
            found = stored.get((shipment_id, external_id)) if external_id else None
            if found is not None:
                pairs.append((found, False))
                continue
            event = TrackingEvent(
                shipment_id=shipment_id,
                occurred_at=new.occurred_at.astimezone(datetime.UTC),
                status=new.status,
                exception_reason=new.exception_reason,
                raw_code=new.raw_code,
                raw_description=new.raw_description,
                location=new.location,
                external_id=external_id,
                received_at=received_at,
            )
            if external_id:
                stored[(shipment_id, external_id)] = event  # the same id twice in one delivery is stored once
            pairs.append((event, True))
            new_events.append(event)
    _insert_events(new_events)
    changed: dict[tuple[str, ...], list[Shipment]] = defaultdict(list)
    status_changes = []
    touched: list[Shipment] = []  # with new events
    settled: list[Shipment] = []  # delivered now, or sent back after the delivery: the risk is over
    exceptions: list[Shipment] = []  # a new event says something is wrong: assessed at once
    for pk, pairs in results.items():
        created = [event for event, is_new in pairs if is_new]
        if not created:
            continue
        shipment = locked[pk]
        touched.append(shipment)
        fields, status_change = _apply_events(shipment, created)
        if fields:
            changed[tuple(sorted(fields))].append(shipment)
        if status_change:
            status_changes.append((shipment, status_change))
        if "delivered_at" in fields or (
            "exception_reason" in fields and _is_returned(shipment) and shipment.delivered_at
        ):
            settled.append(shipment)
        elif any(event.is_exception for event in created):
            exceptions.append(shipment)
    for fields, shipments in changed.items():
        bulk.save_fields(shipments, fields)
    record_events(status_changes, "shipment.status_changed", actor=actor)
    update_scorecards(touched)
    delays.shipments_settled(settled)
    delays.assess_at_once(exceptions)  # the rest waits for the end-of-day run
    return {
        pk: [RecordedEvent(event=event, created=is_new, shipment=locked[pk]) for event, is_new in pairs]
        for pk, pairs in results.items()
    }


def _stored_events(
    events_by_shipment: Mapping[int, Sequence[NewTrackingEvent]],
) -> dict[tuple[int, str], TrackingEvent]:
    """The events already stored under the external ids given, by (shipment id, external id).
    Their keys are read as values first: almost every delivery finds none, and building no
    instances costs a fraction of the instances' query."""
    wanted = {
        (shipment_id, new.external_id.strip())
        for shipment_id, events in events_by_shipment.items()
        for new in events
        if new.external_id.strip()
    }
    if not wanted:
        return {}
    candidates = bulk.values(
        TrackingEvent,
        ["id", "shipment", "external_id"],
        shipment={pk for pk, _id in wanted},
        external_id={external for _pk, external in wanted},
    )
    found = [pk for pk, shipment_id, external_id in candidates if (shipment_id, external_id) in wanted]
    return {(e.shipment_id, e.external_id): e for e in bulk.fetch(TrackingEvent, id=found)}


def _insert_events(events: list[TrackingEvent]) -> None:
    """INSERT `events` (built in memory, every field but the id set) and give them their ids.
    Texts and the shipment's id are stored as they are; every other value as its field prepares
    it (get_db_prep_save), each distinct time once (the received_at of all, scans at one time)."""
    fields = [TrackingEvent._meta.get_field(name) for name in _EVENT_FIELDS]
    times: dict[datetime.datetime, Any] = {}

    def prepared(field: models.Field, value: Any) -> Any:
        if isinstance(field, models.CharField | models.ForeignKey):
            return value
        if not isinstance(value, datetime.datetime):
            return field.get_db_prep_save(value, connection)
        if value not in times:
            times[value] = field.get_db_prep_save(value, connection)
        return times[value]

    rows = [[prepared(field, getattr(event, field.attname)) for field in fields] for event in events]
    ids = bulk.insert(TrackingEvent, _EVENT_FIELDS, rows, returning=True)
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding, event._state.db = False, connection.alias  # as bulk_create leaves them


def _apply_events(shipment: Shipment, events: list[TrackingEvent]) -> tuple[list[str], dict | None]:
    """Bring `shipment` (in memory) up to date with its new `events`: the fields changed, and the
    audit data of its status change (None when the status stays)."""
    fields: list[str] = []
    # The newest event of the batch; among events at the same time, the last one given.
    newest = max(reversed(events), key=lambda e: e.occurred_at)
    previous_last = shipment.last_event_at
    if previous_last is None or newest.occurred_at > previous_last:
        shipment.last_event_at = newest.occurred_at
        fields.append("last_event_at")
    finals = [e for e in events if e.status in FINAL_TRACKING_STATUSES]
    returns = [e for e in events if e.exception_reason == ExceptionReason.RETURNED]
    if finals and (
        shipment.delivered_at is None or min(e.occurred_at for e in finals) < shipment.delivered_at
    ):
        shipment.delivered_at = min(e.occurred_at for e in finals)
        fields.append("delivered_at")
    deciding: TrackingEvent | None = newest
    if _is_returned(shipment):
        deciding = None  # a return is final
    elif returns:
        deciding = min(returns, key=lambda e: e.occurred_at)  # the return starts, delivered or not
    elif finals:
        deciding = min(finals, key=lambda e: e.occurred_at)
    elif shipment.status in FINAL_TRACKING_STATUSES:
        deciding = None
    elif previous_last is not None and newest.occurred_at < previous_last:
        # only late events: the latest stored one decides
        deciding = shipment.events.order_by("-occurred_at", "-id").only("status", "exception_reason").first()
    new_status = deciding.status if deciding else shipment.status
    new_reason = deciding.exception_reason if deciding else shipment.exception_reason
    if new_reason != shipment.exception_reason:
        shipment.exception_reason = new_reason
        fields.append("exception_reason")
    shipped = [e.occurred_at for e in events if e.status not in NOT_YET_SHIPPED]
    if shipped and shipment.shipped_at is None:
        shipment.shipped_at = min(shipped)
        fields.append("shipped_at")
    old_status = shipment.status
    if new_status == old_status:
        return fields, None
    shipment.status = new_status
    fields.append("status")
    return fields, {
        "old": old_status,
        "new": new_status,
        "exception_reason": new_reason,
        "tracking_event_id": deciding.pk if deciding else None,
    }


def _is_returned(shipment: Shipment) -> bool:
    return (
        shipment.status == TrackingStatus.EXCEPTION and shipment.exception_reason == ExceptionReason.RETURNED
    )
