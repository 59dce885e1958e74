"""Keeping the carrier scorecard's summary rows up to date (docs/architecture.md, "Carrier
scorecard").

Each shipment adds counters to the CarrierLaneMonth row of its carrier, lane and creation month;
its ScorecardEntry remembers what it added. After a change, `update_scorecards` works out what each
shipment adds now and applies the difference with F() updates, so a change costs a few small
writes and the page never reads shipments. `rebuild_scorecard` computes the same rows from the
shipments, with the same `_counters`; a test holds the two paths equal.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from premura.core import bulk
from premura.shipping.models import (
    DELAY_BINS,
    EXCEPTION_EVENT,
    CarrierLaneMonth,
    ExceptionReason,
    ScorecardEntry,
    Shipment,
    TrackingEvent,
    is_exception,
)

RowKey = tuple[int, str, str, datetime.date]  # carrier id, origin, destination, month

LOST_EVENT = Q(exception_reason=ExceptionReason.LOST)


def delay_bin(days: int) -> str:
    """The histogram column that counts a delivery `days` late."""
    for first, last, column in DELAY_BINS:
        if days >= first and (last is None or days <= last):
            return column
    raise ValueError(f"negative delay: {days}")


def _row_key(shipment: Shipment) -> RowKey:
    # Carrier, lane and creation date are set when the shipment is created and never change, so
    # a shipment stays in one row for good.
    month = timezone.localdate(shipment.created_at).replace(day=1)
    return (shipment.carrier_id, shipment.origin, shipment.destination, month)


def _fill_entry(
    entry: ScorecardEntry, shipment: Shipment, *, had_exception: bool, had_lost: bool, contacts: int
) -> None:
    """Set what `shipment` adds to the scorecard, from its state, whether any of its events was
    an exception or said it was lost, and the cases opened on its order since it was created."""
    delivered_on = timezone.localdate(shipment.delivered_at) if shipment.delivered_at else None
    promised = shipment.promised_delivery_date
    # Counted once the carrier has reported on it: a shipment the carrier never scanned says
    # nothing about the carrier.
    entry.is_counted = shipment.last_event_at is not None
    entry.is_delivered = delivered_on is not None and promised is not None
    entry.delay_days = max((delivered_on - promised).days, 0) if entry.is_delivered else None
    entry.had_exception = had_exception
    entry.is_lost = had_lost and delivered_on is None
    entry.contacts = contacts


def _counters(entry: ScorecardEntry) -> Counter:
    """The counters `entry` adds to its CarrierLaneMonth row."""
    if not entry.is_counted:
        return Counter()
    counters = Counter(
        shipments=1,
        exceptions=int(entry.had_exception),
        lost=int(entry.is_lost),
        contacts=entry.contacts,
    )
    if entry.is_delivered:
        counters.update(
            {
                "delivered": 1,
                "on_time": int(entry.delay_days == 0),
                "delay_days_total": entry.delay_days,
                delay_bin(entry.delay_days): 1,
            }
        )
    return counters


def _store(entry: ScorecardEntry, shipment: Shipment, before: Counter) -> None:
    difference = _counters(entry)
    difference.subtract(before)
    _add_to_rows({_row_key(shipment): difference})
    entry.save()


def update_scorecard(shipment: Shipment) -> None:
    """`update_scorecards` for one shipment."""
    update_scorecards([shipment])


_ENTRY_FIELDS = ("is_counted", "is_delivered", "delay_days", "had_exception", "is_lost", "contacts")
_ENTRY_COLUMNS = [field.attname for field in ScorecardEntry._meta.concrete_fields]  # shipment_id first


def _entry(row: Sequence) -> ScorecardEntry:
    """An entry from its raw columns (_ENTRY_COLUMNS), built as the ORM builds it: the flags as
    booleans (SQLite gives 0 or 1), the rest as they come."""
    shipment_id, is_counted, is_delivered, delay_days, had_exception, is_lost, contacts = row
    values = [shipment_id, bool(is_counted), bool(is_delivered), delay_days, bool(had_exception)]
    return ScorecardEntry.from_db(connection.alias, _ENTRY_COLUMNS, [*values, bool(is_lost), contacts])


def update_scorecards(shipments: Sequence[Shipment]) -> None:
    """Bring the scorecard up to date after changes of `shipments` (their status, dates or
    events), each given as it is now in the database (the instances the change saved). Idempotent:
    with nothing changed it writes nothing. A fixed number of statements whatever their number (a
    webhook delivery, an import batch): two reads, one INSERT of new entries, one UPDATE executed
    per changed entry, and for the summary rows one read, one INSERT of missing ones and one UPDATE
    executed per row touched. The caller holds the shipments' row locks (record_tracking_batch
    does), so two changes of one shipment take turns.
    """
    ids = [shipment.pk for shipment in shipments]
    if not ids:
        return
    had_exception, had_lost = set(), set()
    for shipment_id, status, reason in bulk.values(
        TrackingEvent, ["shipment", "status", "exception_reason"], shipment=ids
    ):
        if is_exception(status, reason):
            had_exception.add(shipment_id)
        if reason == ExceptionReason.LOST:
            had_lost.add(shipment_id)
    entries = {row[0]: _entry(row) for row in bulk.values(ScorecardEntry, _ENTRY_COLUMNS, shipment=ids)}
    differences: dict[RowKey, Counter] = defaultdict(Counter)
    created, changed = [], []
    for shipment in shipments:
        entry = entries.get(shipment.pk)
        is_new = entry is None
        if is_new:
            entry = ScorecardEntry(shipment_id=shipment.pk)
        before, before_fields = _counters(entry), [getattr(entry, name) for name in _ENTRY_FIELDS]
        _fill_entry(
            entry,
            shipment,
            had_exception=shipment.pk in had_exception,
            had_lost=shipment.pk in had_lost,
            contacts=entry.contacts,
        )
        if not is_new and before_fields == [getattr(entry, name) for name in _ENTRY_FIELDS]:
            continue  # adds what it added
        (created if is_new else changed).append(entry)
        difference = differences[_row_key(shipment)]
        difference.update(_counters(entry))
        difference.subtract(before)
    preparer = bulk.Preparer(ScorecardEntry, _ENTRY_COLUMNS)
    bulk.insert(ScorecardEntry, _ENTRY_COLUMNS, [preparer.values(e) for e in created], returning=False)
    bulk.save_fields(changed, _ENTRY_FIELDS)
    _add_to_rows(differences)


_ROW_KEY_FIELDS = ("carrier", "origin", "destination", "month")


def _add_to_rows(differences: Mapping[RowKey, Counter]) -> None:
    """Apply `differences` to their CarrierLaneMonth rows, creating the missing ones: one read, one
    INSERT, one UPDATE executed per row, in key order (so two writers never wait on each other's
    rows in opposite orders)."""
    differences = {key: change for key, change in sorted(differences.items()) if any(change.values())}
    if not differences:
        return
    carriers, origins, destinations, months = (set(part) for part in zip(*differences, strict=True))
    prepare_month = CarrierLaneMonth._meta.get_field("month").get_db_prep_save
    # The rows of every combination of the keys' parts: a superset of the keys, found by the unique
    # index (the month comes back a date on every backend).
    existing = set(
        bulk.values(
            CarrierLaneMonth,
            _ROW_KEY_FIELDS,
            carrier=carriers,
            origin=origins,
            destination=destinations,
            month={prepare_month(month, connection) for month in months},
        )
    )
    CarrierLaneMonth.objects.bulk_create(
        [
            CarrierLaneMonth(carrier_id=carrier, origin=origin, destination=destination, month=month)
            for carrier, origin, destination, month in differences
            if (carrier, origin, destination, month) not in existing
        ],
        ignore_conflicts=True,  # created meanwhile by another writer: the update adds to it
    )
    counters = sorted({column for difference in differences.values() for column in difference})
    bulk.add(
        CarrierLaneMonth,
        counters,
        _ROW_KEY_FIELDS,
        (
            [difference[column] for column in counters]
            + [carrier, origin, destination, prepare_month(month, connection)]
            for (carrier, origin, destination, month), difference in differences.items()
        ),
    )


@transaction.atomic
def count_contact(*, order_id: int, opened_at: datetime.datetime) -> None:
    """A case was opened on order `order_id` at `opened_at`: one more contact for each of the
    order's shipments created by then. Called by conversations.services.open_case, in its
    transaction. Locks those shipments, in id order. Not idempotent: call it once per case.
    """
    shipments = Shipment.objects.select_for_update().filter(order_id=order_id, created_at__lte=opened_at)
    for shipment in shipments.order_by("pk"):
        entry, _created = ScorecardEntry.objects.get_or_create(shipment=shipment)
        before = _counters(entry)
        entry.contacts += 1
        _store(entry, shipment, before)


def _shipments_with_flags():
    events = TrackingEvent.objects.filter(shipment=OuterRef("pk"))
    # The cases on the order, by their relation's name: shipping sits below conversations and
    # never imports it (docs/architecture.md, "Apps").
    since_created = Q(order__cases__created_at__gte=F("created_at"))
    return (
        Shipment.objects.order_by("pk")
        .annotate(
            had_exception=Exists(events.filter(EXCEPTION_EVENT)),
            had_lost=Exists(events.filter(LOST_EVENT)),
            contact_count=Count("order__cases", filter=since_created),
        )
        .only(
            "pk",
            "carrier_id",
            "origin",
            "destination",
            "created_at",
            "promised_delivery_date",
            "delivered_at",
            "last_event_at",
        )
    )


@transaction.atomic
def rebuild_scorecard(*, batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> int:
    """Throw the scorecard away and compute it again from every shipment, its events and the
    cases on its order. Returns the number of shipments read. Gives the same rows as the
    incremental path; run it after a bulk import that bypassed the services, or to check them.
    Takes one transaction, so the page shows the old figures until it is done.
    """
    ScorecardEntry.objects.all().delete()
    CarrierLaneMonth.objects.all().delete()
    rows: dict[RowKey, Counter] = {}
    read = 0
    for batch in bulk.in_batches(_shipments_with_flags().iterator(chunk_size=batch_size), batch_size):
        entries = []
        for shipment in batch:
            entry = ScorecardEntry(shipment=shipment)
            _fill_entry(
                entry,
                shipment,
                had_exception=shipment.had_exception,
                had_lost=shipment.had_lost,
                contacts=shipment.contact_count,
            )
            entries.append(entry)
            rows.setdefault(_row_key(shipment), Counter()).update(_counters(entry))
        ScorecardEntry.objects.bulk_create(entries)
        read += len(batch)
        if progress is not None:
            progress(read)
    CarrierLaneMonth.objects.bulk_create(
        CarrierLaneMonth(carrier_id=carrier, origin=origin, destination=destination, month=month, **counters)
        for (carrier, origin, destination, month), counters in rows.items()
        if counters
    )
    return read
