"""The delay detector on the shop's own shipments: train it, and assess undelivered shipments.

Shipments become `Parcel`s (dates in the shop's time zone); the model, the norms and the thresholds
are stored as a versioned `DelayModel` row. Until a first training the detector runs with an
untrained model and the default stall norms, so the exception and stalled signals work from day
one.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from premura.core import bulk, clock
from premura.shipping.delays.ahead import AheadModel
from premura.shipping.delays.detector import Assessment, Detector, Thresholds, assess, fit_detector
from premura.shipping.delays.model import HazardModel, train
from premura.shipping.delays.parcels import Parcel
from premura.shipping.delays.stalled import StallNorms
from premura.shipping.models import (
    DelayLevel,
    DelayModel,
    ExceptionReason,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from premura.shipping.signals import risk_changed

# Public holidays of the shop's country: the days no parcel is expected to move.
HOLIDAY_COUNTRY = "IT"
# Shipments whose events are read in one look-up (training, assessing).
PARCEL_CHUNK = 2000
NOT_A_SCAN = frozenset(
    {TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED, TrackingStatus.EXPIRED, TrackingStatus.DELIVERED}
)


def _day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def _parcel(shipment: Shipment, events: Iterable[tuple[datetime.datetime, str, str]]) -> Parcel:
    """`events` are (occurred_at, status, exception_reason) of the shipment, oldest first."""
    handed = _day(shipment.shipped_at)
    scans = tuple(sorted({_day(at) for at, status, _r in events if status not in NOT_A_SCAN} - {handed}))
    exception_on = None
    reason = shipment.exception_reason
    if shipment.status == TrackingStatus.EXCEPTION or reason:
        flagged = [at for at, status, r in events if status == TrackingStatus.EXCEPTION or r]
        exception_on = _day(max(flagged)) if flagged else _day(shipment.last_event_at)
        reason = reason or "unknown"
    return Parcel(
        key=str(shipment.pk),
        carrier=shipment.carrier.code,
        origin=shipment.origin,
        destination=shipment.destination,
        placed_on=_day(shipment.order.placed_at),
        promised_on=shipment.promised_delivery_date,
        handed_over_on=handed,
        delivered_on=_day(shipment.delivered_at),
        scans=tuple(s for s in scans if handed is None or s > handed),
        exception_on=exception_on or (_day(shipment.last_event_at) if reason else None),
        exception_reason=reason,
    )


def _parcels(shipments: Iterable[Shipment]) -> list[Parcel]:
    """The shipments as parcels, their events read PARCEL_CHUNK shipments at a time: a training
    reads a shop's whole history, and one look-up of every id would pass SQLite's limit of bound
    values (250,000) and hold every Shipment instance at once."""
    return [parcel for chunk in bulk.in_batches(shipments, PARCEL_CHUNK) for parcel in _parcels_of(chunk)]


def _parcels_of(shipments: Sequence[Shipment]) -> list[Parcel]:
    events: dict[int, list] = defaultdict(list)
    rows = TrackingEvent.objects.filter(shipment__in=[s.pk for s in shipments]).order_by("occurred_at", "id")
    for shipment_id, *event in rows.values_list("shipment_id", "occurred_at", "status", "exception_reason"):
        events[shipment_id].append(tuple(event))
    return [_parcel(s, events[s.pk]) for s in shipments]


def train_delay_model(*, day: datetime.date | None = None) -> DelayModel:
    """Train on every shipment ordered by the end of `day` (today), as known then; store it as the
    next version with its ahead classifier. Recalibrates the thresholds on the latest resolved
    shipments."""
    day = day or timezone.localdate(clock.now())
    shipments = Shipment.objects.select_related("carrier", "order").filter(
        order__placed_at__date__lte=day, promised_delivery_date__isnull=False
    )
    views = [parcel.known_at(day) for parcel in _parcels(shipments.iterator(chunk_size=PARCEL_CHUNK))]
    previous = current_detector()
    detector = fit_detector(
        views, day=day, country=HOLIDAY_COUNTRY, previous=previous.model if previous else None
    )
    with transaction.atomic():
        version = (DelayModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
        return DelayModel.objects.create(
            version=version,
            trained_at=clock.now(),
            data_from=min((v.parcel.placed_on for v in views), default=None),
            data_until=day,
            shipments=len(views),
            delivered=sum(v.delivered_on is not None for v in views),
            threshold=detector.thresholds.eve,
            ahead_threshold=detector.thresholds.ahead,
            parameters=detector.model.as_dict(),
            ahead_parameters=detector.ahead.as_dict() if detector.ahead else {},
            norms=detector.norms.as_dict(),
        )


def current_detector() -> Detector | None:
    """The detector of the newest trained model, or None before the first training."""
    row = DelayModel.objects.order_by("-version").first()
    if row is None:
        return None
    return Detector(
        HazardModel.from_dict(row.parameters),
        StallNorms.from_dict(row.norms),
        Thresholds(ahead=row.ahead_threshold, eve=row.threshold),
        AheadModel.from_dict(row.ahead_parameters) if row.ahead_parameters else None,
    )


def _untrained_detector() -> Detector:
    return Detector(train([]), StallNorms(HOLIDAY_COUNTRY))


def assess_shipments(shipments: Iterable[Shipment], *, day: datetime.date | None = None) -> int:
    """Assess each undelivered shipment as known at the end of `day` (today) and store its risk
    (one UPDATE executed per row); `risk_changed` goes out on commit for each whose risk appeared,
    moved or cleared. Returns how many were assessed."""
    day = day or timezone.localdate(clock.now())
    shipments = [s for s in shipments if s.delivered_at is None and s.promised_delivery_date is not None]
    if not shipments:
        return 0
    detector = current_detector() or _untrained_detector()
    assessed = [
        (shipment, assess(detector, parcel.known_at(day)))
        for shipment, parcel in zip(shipments, _parcels(shipments), strict=True)
    ]
    _store(assessed)
    return len(assessed)


def assess_at_once(shipments: Sequence[Shipment]) -> None:
    """Assess `shipments` now, read again with what the detector needs (called by
    record_tracking_batch for the shipments a new exception event came for, in its transaction)."""
    if shipments:
        assess_shipments(
            Shipment.objects.select_related("carrier", "order").filter(pk__in=[s.pk for s in shipments])
        )


def assess_open_shipments(*, day: datetime.date | None = None, batch: int = 500) -> int:
    """The end-of-day run over every undelivered shipment with a promise."""
    open_shipments = Shipment.objects.select_related("carrier", "order").filter(
        delivered_at__isnull=True, promised_delivery_date__isnull=False
    )
    assessed, last_pk = 0, 0
    while chunk := list(open_shipments.filter(pk__gt=last_pk).order_by("pk")[:batch]):
        with transaction.atomic():
            assessed += assess_shipments(chunk, day=day)
        last_pk = chunk[-1].pk
    return assessed


# The detector's word on a shipment, written together.
RISK_FIELDS = [
    "delay_level",
    "delay_signal",
    "delay_probability",
    "expected_delivery_date",
    "delay_factors",
    "delay_assessed_at",
]


def shipments_settled(shipments: Sequence[Shipment]) -> None:
    """`shipments` were just delivered, or sent back to the shop after their delivery: their
    journey's risk is over. Clears the detector's fields (one UPDATE executed per row) and, for
    each whose customer has something to hear (a risk we may have told them of, a late delivery,
    a return), sends `risk_changed` on commit with the shipment read again: signal "" for a
    delivery, "exception" for a return (the exception reason says which). Called by
    record_tracking_batch, in its transaction, with the shipments locked and their state saved."""
    signals = {}
    cleared = []
    for shipment in shipments:
        returned = shipment.exception_reason == ExceptionReason.RETURNED
        late = (
            shipment.delivered_at is not None
            and shipment.promised_delivery_date is not None
            and timezone.localdate(shipment.delivered_at) > shipment.promised_delivery_date
        )
        if shipment.delay_level == DelayLevel.HIGH or late or returned:
            signals[shipment.pk] = "exception" if returned else ""
        if shipment.delay_level or shipment.delay_signal:
            cleared.append(shipment.pk)
    if not signals and not cleared:
        return
    now = clock.now()
    told = Shipment.objects.select_related("carrier", "order").in_bulk([*signals, *cleared])
    for pk in cleared:
        shipment = told[pk]
        shipment.delay_level = shipment.delay_signal = ""
        shipment.delay_probability = None
        shipment.delay_factors = []
        shipment.delay_assessed_at = now
    bulk.save_fields([told[pk] for pk in cleared], RISK_FIELDS)
    for pk, signal in signals.items():
        _send_on_commit(told[pk], signal=signal, expected_date=None, level="")


def _send_on_commit(shipment: Shipment, *, signal: str, expected_date: datetime.date | None, level: str):
    transaction.on_commit(
        lambda: risk_changed.send(
            sender=Shipment, shipment=shipment, risk_signal=signal, expected_date=expected_date, level=level
        )
    )


def _store(assessed: Sequence[tuple[Shipment, Assessment]]) -> None:
    now = clock.now()
    for shipment, assessment in assessed:
        before = (shipment.delay_level, shipment.delay_signal, shipment.expected_delivery_date)
        shipment.delay_level = assessment.level
        shipment.delay_signal = assessment.signal
        shipment.delay_probability = (
            None if assessment.probability is None else round(assessment.probability, 4)
        )
        shipment.expected_delivery_date = assessment.expected_on
        shipment.delay_factors = assessment.factors
        shipment.delay_assessed_at = now
        after = (shipment.delay_level, shipment.delay_signal, shipment.expected_delivery_date)
        was_high, is_high = before[0] == "high", assessment.warns
        if (is_high and after != before) or (was_high and not is_high):
            signal, expected, level = assessment.signal, assessment.expected_on, assessment.level
            _send_on_commit(shipment, signal=signal, expected_date=expected, level=level)
    bulk.save_fields([shipment for shipment, _assessment in assessed], RISK_FIELDS)
