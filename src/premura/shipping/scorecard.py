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
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from premura.shipping.models import (
    DELAY_BINS,
    EXCEPTION_EVENT,
    CarrierLaneMonth,
    ExceptionReason,
    ScorecardEntry,
    Shipment,
    TrackingEvent,
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


def _add_to_row(key: RowKey, difference: Counter) -> None:
    changes = {column: F(column) + amount for column, amount in difference.items() if amount}
    if not changes:
        return
    carrier_id, origin, destination, month = key
    row, _created = CarrierLaneMonth.objects.get_or_create(
        carrier_id=carrier_id, origin=origin, destination=destination, month=month
    )
    CarrierLaneMonth.objects.filter(pk=row.pk).update(**changes)


def _store(entry: ScorecardEntry, shipment: Shipment, before: Counter) -> None:
    difference = _counters(entry)
    difference.subtract(before)
    _add_to_row(_row_key(shipment), difference)
    entry.save()


def update_scorecard(shipment: Shipment) -> None:
    """`update_scorecards` for one shipment."""
    update_scorecards([shipment])


_ENTRY_FIELDS = ("is_counted", "is_delivered", "delay_days", "had_exception", "is_lost", "contacts")


def update_scorecards(shipments: Sequence[Shipment]) -> None:
    """Bring the scorecard up to date after changes of `shipments` (their status, dates or
    events), each given as it is now in the database (the instances the change saved). Idempotent:
    with nothing changed it writes nothing. A fixed number of reads whatever their number (a
    webhook delivery, an import batch), one write per entry that changed and two per summary row
    touched. The caller holds the shipments' row locks (record_tracking_batch does), so two
    changes of one shipment take turns.
    """
    ids = [shipment.pk for shipment in shipments]
    if not ids:
        return
    flags = {
        row["shipment_id"]: row
        for row in TrackingEvent.objects.filter(shipment_id__in=ids)
        .values("shipment_id")
        .annotate(exceptions=Count("pk", filter=EXCEPTION_EVENT), lost=Count("pk", filter=LOST_EVENT))
    }
    entries = {entry.shipment_id: entry for entry in ScorecardEntry.objects.filter(shipment_id__in=ids)}
    differences: dict[RowKey, Counter] = defaultdict(Counter)
    created = []
    for shipment in shipments:
        entry = entries.get(shipment.pk)
        if entry is None:
            entry = ScorecardEntry(shipment_id=shipment.pk)
            created.append(entry)
        before, before_fields = _counters(entry), [getattr(entry, name) for name in _ENTRY_FIELDS]
        found = flags.get(shipment.pk, {})
        _fill_entry(
            entry,
            shipment,
            had_exception=found.get("exceptions", 0) > 0,
            had_lost=found.get("lost", 0) > 0,
            contacts=entry.contacts,
        )
        differences[_row_key(shipment)].update(_counters(entry))
        differences[_row_key(shipment)].subtract(before)
        if (
            entry.pk is not None
            and entry not in created
            and before_fields != [getattr(entry, name) for name in _ENTRY_FIELDS]
        ):
            entry.save(update_fields=_ENTRY_FIELDS)
    ScorecardEntry.objects.bulk_create(created)
    for key, difference in differences.items():
        _add_to_row(key, difference)


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


def _in_batches(items: Iterable, size: int) -> Iterable[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
    for batch in _in_batches(_shipments_with_flags().iterator(chunk_size=batch_size), batch_size):
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
