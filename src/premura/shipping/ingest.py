"""Tracking events in (docs/architecture.md, "Tracking in"): a signed webhook is checked over its
raw body, stored as it came (a TrackingDelivery, committed first), then parsed by its provider's
adapter, normalised (shipping.carrier_codes) and recorded, all its shipments at once, by
`services.record_tracking_batch`, which keeps the state rules. `premura import_tracking` enters at
`record_parsed_events`.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from premura.core import bulk, clock
from premura.core.signing import kept_headers
from premura.core.text import storable
from premura.shipping import carrier_codes, services
from premura.shipping.adapters import adapter_for
from premura.shipping.adapters.base import ParsedEvent, PayloadInvalid
from premura.shipping.exceptions import ShipmentError
from premura.shipping.models import (
    Carrier,
    DeliveryStatus,
    Shipment,
    TrackingCode,
    TrackingDelivery,
    TrackingSource,
)

logger = logging.getLogger(__name__)
# An event dated further ahead than this is a sender's clock or format error (a local time sent
# as UTC is hours off, not a day): recorded, it would stay the parcel's latest scan and every
# real one after it would be out of order, so the shipment could never move again.
FUTURE_TOLERANCE = datetime.timedelta(days=1)
# Provider names of carriers, in our Carrier.code: used only when one tracking number belongs to
# shipments of several carriers.
CARRIER_ALIASES = {
    "brt-it": "brt",
    "bartolini": "brt",
    "gls-italy": "gls",
    "gls-it": "gls",
    "poste-italiane": "poste",
    "posteitaliane": "poste",
    "sda-it": "sda",
    "dhl_express": "dhl",
    "dhlexpress": "dhl",
    "tnt-it": "tnt",
}


@dataclass
class IngestResult:
    recorded: int = 0
    duplicates: int = 0
    # Tracking numbers that name no shipment (or several, of carriers the sender did not name).
    unmatched: list[str] = field(default_factory=list)
    # Tracking numbers of events dated in the future (not recorded).
    dated_ahead: list[str] = field(default_factory=list)


def dated_ahead(occurred_at: datetime.datetime) -> bool:
    """Whether an event's date is further in the future than FUTURE_TOLERANCE."""
    return occurred_at > clock.now() + FUTURE_TOLERANCE


def receive_webhook(
    source: TrackingSource, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
) -> tuple[TrackingDelivery, bool]:
    """Check a webhook's signature, store it raw and record its events.

    `headers` is looked up by the providers' header names: pass Django's case-insensitive
    request.headers. Raises adapters.base.SignatureInvalid when the signature (or Shippo's token,
    or the generic endpoint's timestamp) is missing or wrong: nothing is stored then. Otherwise the body and
    headers are committed first as a TrackingDelivery; a delivery with an event id already stored
    for the source returns `(the stored row, False)` and changes nothing (a provider's retry).
    A new one is processed at once (`process_delivery`); whatever happens there, the raw row
    stays, marked processed or failed with the reason. Must not run inside a transaction.
    """
    adapter = adapter_for(source.provider)
    adapter.verify(body, headers=headers, query=query, secret=source.secret, now=clock.now())
    delivery = TrackingDelivery(
        source=source,
        event_id=adapter.event_id(body),
        body=body,
        headers=kept_headers(headers),
        received_at=clock.now(),
    )
    try:
        with transaction.atomic():
            delivery.save(force_insert=True)
    except IntegrityError:
        if not delivery.event_id:
            raise
        return TrackingDelivery.objects.get(source=source, event_id=delivery.event_id), False
    return _process(delivery), True


def process_delivery(delivery_id: int) -> TrackingDelivery:
    """Parse a stored delivery and record its events, in one transaction with the delivery's new
    status. Idempotent: events already recorded are found by their ids and not stored again, so a
    failed delivery can be processed again (the admin's action) once its shipment exists or its
    format is understood. A body that cannot be parsed, or events for unknown tracking numbers,
    leave the delivery `failed` with the reason; the events it could record stay recorded."""
    return _process(TrackingDelivery.objects.select_related("source").get(pk=delivery_id))


def _process(delivery: TrackingDelivery) -> TrackingDelivery:
    """`process_delivery` of the row read or just stored."""
    adapter = adapter_for(delivery.source.provider)
    try:
        with transaction.atomic():
            result = record_parsed_events(adapter.parse(bytes(delivery.body)))
            problems = []
            if result.unmatched:
                problems.append("No shipment with tracking number " + ", ".join(sorted(result.unmatched)))
            if result.dated_ahead:
                problems.append(
                    "Events dated more than a day ahead, not recorded, of tracking number "
                    + ", ".join(sorted(set(result.dated_ahead)))
                )
            error = "; ".join(problems)
            _finish(
                delivery, DeliveryStatus.FAILED if error else DeliveryStatus.PROCESSED, error, result.recorded
            )
    except (PayloadInvalid, ShipmentError) as failure:
        _finish(delivery, DeliveryStatus.FAILED, str(failure), 0)
    except Exception as failure:
        # Anything else is our bug or the database's: recorded on the row (an administrator
        # processes it again once fixed), never retried forever, never holding up the others.
        logger.exception("tracking delivery %s could not be processed", delivery.pk)
        _finish(delivery, DeliveryStatus.FAILED, f"{failure.__class__.__name__}: {failure}", 0)
    return delivery


def _finish(delivery: TrackingDelivery, status: str, error: str, recorded: int) -> None:
    """Write the delivery's outcome, adding `recorded` to its count in the database (a delivery
    processed again adds to what it recorded before): one UPDATE … RETURNING, which costs a
    fraction of save() and a refresh_from_db on every delivery."""
    delivery.status, delivery.error, delivery.processed_at = status, storable(error)[:2000], clock.now()
    processed_at = TrackingDelivery._meta.get_field("processed_at").get_db_prep_save(
        delivery.processed_at, connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_FINISH_TABLE} SET status = %s, error = %s, processed_at = %s, "
            "events_recorded = events_recorded + %s WHERE id = %s RETURNING events_recorded",
            [status, delivery.error, processed_at, recorded, delivery.pk],
        )
        (delivery.events_recorded,) = cursor.fetchone()


_FINISH_TABLE = connection.ops.quote_name(TrackingDelivery._meta.db_table)


def record_parsed_events(events: Sequence[ParsedEvent]) -> IngestResult:
    """Normalise `events` and record them in one `services.record_tracking_batch` (the shipments'
    rows locked by it). Events of a tracking number that names no shipment
    are not recorded, nor are events dated ahead (`dated_ahead`): their numbers are in the
    result. Codes nothing maps are counted in TrackingCode for an administrator. Runs in the
    caller's transaction."""
    result = IngestResult()
    by_number: dict[str, list[ParsedEvent]] = defaultdict(list)
    for event in events:
        if dated_ahead(event.occurred_at):
            result.dated_ahead.append(event.tracking_number)
        else:
            by_number[event.tracking_number].append(event)
    if not by_number:
        return result
    # (id, carrier code) of the shipments of each tracking number.
    shipments: dict[str, list[tuple[int, str]]] = defaultdict(list)
    found = bulk.values(Shipment, ["id", "tracking_number", "carrier"], tracking_number=by_number)
    carriers = dict(bulk.values(Carrier, ["id", "code"], id={carrier for _pk, _number, carrier in found}))
    for pk, number, carrier in found:
        shipments[number].append((pk, carriers[carrier]))
    overrides = _administrators_mappings(events, shipments)
    unmapped: dict[tuple[str, str], list[ParsedEvent]] = defaultdict(list)
    batch: dict[int, list[services.NewTrackingEvent]] = {}
    for number, parsed in by_number.items():
        shipment = _shipment_for(shipments.get(number, []), parsed[0].carrier)
        if shipment is None:
            result.unmatched.append(number)
            continue
        shipment_id, carrier = shipment
        new_events = []
        for event in parsed:
            scheme = event.scheme or carrier
            normalised = carrier_codes.normalise(
                scheme, event.code, coarse=event.coarse, hint_status=event.hint_status, overrides=overrides
            )
            if not normalised.is_mapped:
                unmapped[(scheme, carrier_codes.code_key(scheme, event.code))].append(event)
            new_events.append(
                services.NewTrackingEvent(
                    occurred_at=event.occurred_at,
                    status=normalised.status,
                    raw_code=event.raw_code or event.code,
                    raw_description=event.description,
                    location=event.location,
                    external_id=event.external_id,
                    exception_reason=normalised.exception_reason,
                )
            )
        batch[shipment_id] = new_events
    for recorded in services.record_tracking_batch(batch).values():
        created = sum(1 for r in recorded if r.created)
        result.recorded += created
        result.duplicates += len(recorded) - created
    _count_unmapped(unmapped)
    return result


def _shipment_for(candidates: list[tuple[int, str]], carrier: str) -> tuple[int, str] | None:
    """The (id, carrier code) of the one shipment of a tracking number, or of the one of the
    carrier the sender named; None when there is none."""
    if len(candidates) == 1:
        return candidates[0]
    code = CARRIER_ALIASES.get(carrier.lower(), carrier.lower())
    named = [candidate for candidate in candidates if candidate[1] == code]
    return named[0] if len(named) == 1 else None


def _administrators_mappings(
    events: Iterable[ParsedEvent], shipments: Mapping[str, list[tuple[int, str]]]
) -> dict[tuple[str, str], carrier_codes.CodeMapping]:
    schemes = {event.scheme for event in events} - {""}
    schemes |= {carrier for group in shipments.values() for _pk, carrier in group}
    codes = {event.code for event in events}
    keys = {carrier_codes.code_key(scheme, code) for scheme in schemes for code in codes}
    rows = bulk.values(
        TrackingCode, ["scheme", "code", "status", "exception_reason"], scheme=schemes, code=keys
    )
    return {
        (scheme, code): carrier_codes.CodeMapping(status, exception_reason)
        for scheme, code, status, exception_reason in rows
        if status
    }


def _count_unmapped(unmapped: Mapping[tuple[str, str], list[ParsedEvent]]) -> None:
    now = clock.now()
    for (scheme, code), events in unmapped.items():
        description = events[-1].description
        counted = TrackingCode.objects.filter(scheme=scheme, code=code).update(
            seen_count=F("seen_count") + len(events), last_seen_at=now, description=description
        )
        if counted:
            continue
        try:
            with transaction.atomic():
                TrackingCode.objects.create(
                    scheme=scheme,
                    code=code,
                    description=description,
                    seen_count=len(events),
                    first_seen_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:  # created meanwhile by another delivery
            TrackingCode.objects.filter(scheme=scheme, code=code).update(
                seen_count=F("seen_count") + len(events), last_seen_at=now, description=description
            )


def process_stalled(
    *, older_than: datetime.timedelta = datetime.timedelta(minutes=5), limit: int = 200
) -> int:
    """Deliveries still `received` a while after they came (a worker died between the raw commit
    and the processing): process them now, oldest first. Returns how many."""
    ids = list(
        TrackingDelivery.objects.filter(
            status=DeliveryStatus.RECEIVED, received_at__lt=clock.now() - older_than
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        process_delivery(delivery_id)
    return len(ids)
