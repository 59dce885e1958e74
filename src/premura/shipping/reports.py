"""The carrier scorecard's figures, read from the summary rows only (docs/architecture.md,
"Carrier scorecard"): per carrier and per carrier and lane over a run of months, with the reasons
a carrier is flagged for a contract review."""

import dataclasses
import datetime
import math
from decimal import Decimal

from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from premura.shipping.models import DELAY_BINS, Carrier, CarrierLaneMonth, ScorecardThresholds

COUNTERS = ("shipments", "delivered", "on_time", "delay_days_total", "exceptions", "lost", "contacts")
BIN_COLUMNS = tuple(column for _first, _last, column in DELAY_BINS)


def thresholds() -> ScorecardThresholds:
    """The administrators' thresholds, or the defaults while nobody has saved any."""
    return ScorecardThresholds.objects.order_by("pk").first() or ScorecardThresholds()


def _percent(part: int, whole: int) -> float | None:
    return part * 100 / whole if whole else None


@dataclasses.dataclass
class Figures:
    """One carrier's, or one carrier's lane's, counters over the period and what they mean."""

    carrier: str
    origin: str
    destination: str
    shipments: int
    delivered: int
    on_time: int
    delay_days_total: int
    exceptions: int
    lost: int
    contacts: int
    histogram: tuple[int, ...]  # deliveries per bin of DELAY_BINS
    flags: list[str] = dataclasses.field(default_factory=list)

    @property
    def on_time_percent(self) -> float | None:
        """Of the delivered shipments that had a promised date, the share delivered by then."""
        return _percent(self.on_time, self.delivered)

    @property
    def mean_delay_days(self) -> float | None:
        """Days late on average over the same deliveries, on-time ones counting 0."""
        return self.delay_days_total / self.delivered if self.delivered else None

    @property
    def p90_delay_days(self) -> float | None:
        """The 90th percentile of days late (nearest rank), read from the histogram: exact in a
        one-day bin, interpolated within a wider one, the bin's first day in the last, open one."""
        if not self.delivered:
            return None
        rank = math.ceil(0.9 * self.delivered)
        seen = 0
        for (first, last, _column), count in zip(DELAY_BINS, self.histogram, strict=True):
            if count and seen + count >= rank:
                if last is None or last == first:
                    return float(first)
                return first + (last - first) * (rank - seen - 1) / max(count - 1, 1)
            seen += count
        raise AssertionError("the histogram holds fewer deliveries than counted")

    @property
    def exception_percent(self) -> float | None:
        return _percent(self.exceptions, self.shipments)

    @property
    def lost_percent(self) -> float | None:
        return _percent(self.lost, self.shipments)

    @property
    def contacts_per_100(self) -> float | None:
        """Cases opened on the orders of these shipments, per 100 shipments."""
        return _percent(self.contacts, self.shipments)

    @property
    def is_open_ended_p90(self) -> bool:
        """The 90th percentile falls in the last bin: it is at least, not exactly, its value."""
        return (
            self.p90_delay_days is not None
            and DELAY_BINS[-1][1] is None
            and (self.p90_delay_days >= DELAY_BINS[-1][0])
        )


@dataclasses.dataclass
class Scorecard:
    first_month: datetime.date
    last_month: datetime.date
    thresholds: ScorecardThresholds
    carriers: list[Figures]
    lanes: list[Figures]

    @property
    def flagged(self) -> list[Figures]:
        return [figures for figures in self.carriers if figures.flags]

    @property
    def histogram(self) -> tuple[int, ...]:
        """Deliveries per delay bin, all carriers together."""
        totals = [0] * len(DELAY_BINS)
        for carrier in self.carriers:
            totals = [total + count for total, count in zip(totals, carrier.histogram, strict=True)]
        return tuple(totals)


def _flags(figures: Figures, limits: ScorecardThresholds) -> list[str]:
    """Why a carrier needs a contract review, one sentence per threshold it crosses; none while
    it has too few shipments to judge."""
    if figures.shipments < limits.min_shipments:
        return []
    checks = (
        (
            figures.on_time_percent,
            lambda value: value < limits.min_on_time_percent,
            _("On time %(value)s%%, below %(limit)s%%"),
            limits.min_on_time_percent,
        ),
        (
            figures.exception_percent,
            lambda value: value > limits.max_exception_percent,
            _("Exceptions %(value)s%%, above %(limit)s%%"),
            limits.max_exception_percent,
        ),
        (
            figures.lost_percent,
            lambda value: value > limits.max_lost_percent,
            _("Lost %(value)s%%, above %(limit)s%%"),
            limits.max_lost_percent,
        ),
        (
            figures.contacts_per_100,
            lambda value: value > limits.max_contacts_per_100,
            _("%(value)s cases per 100 shipments, above %(limit)s"),
            limits.max_contacts_per_100,
        ),
    )
    return [
        message % {"value": number_format(round(value, 1), 1), "limit": number_format(limit.normalize())}
        for value, crosses, message, limit in checks
        if value is not None and crosses(Decimal(str(round(value, 2))))
    ]


def month_range(months: int, *, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first days of the first and last of the `months` months that end with today's."""
    last = today.replace(day=1)
    index = last.year * 12 + last.month - 1 - (months - 1)
    return datetime.date(index // 12, index % 12 + 1, 1), last


def scorecard(first_month: datetime.date, last_month: datetime.date) -> Scorecard:
    """The figures of the shipments created from `first_month` to `last_month` (first days of
    months), per carrier (worst on-time rate first) and per carrier and lane (likewise). Reads
    one summary row per carrier, lane and month: its cost follows the lanes, not the shipments.
    """
    limits = thresholds()
    rows = CarrierLaneMonth.objects.filter(month__gte=first_month, month__lte=last_month).order_by()
    sums = {column: Sum(column) for column in COUNTERS + BIN_COLUMNS}
    names = dict(Carrier.objects.values_list("pk", "name"))

    def figures(row: dict, origin: str = "", destination: str = "") -> Figures:
        return Figures(
            carrier=names.get(row["carrier_id"], ""),
            origin=origin,
            destination=destination,
            histogram=tuple(row[column] for column in BIN_COLUMNS),
            **{column: row[column] for column in COUNTERS},
        )

    carriers = [figures(row) for row in rows.values("carrier_id").annotate(**sums)]
    for carrier in carriers:
        carrier.flags = _flags(carrier, limits)
    lanes = [
        figures(row, row["origin"], row["destination"])
        for row in rows.values("carrier_id", "origin", "destination").annotate(**sums)
    ]
    return Scorecard(
        first_month=first_month,
        last_month=last_month,
        thresholds=limits,
        carriers=sorted(carriers, key=_worst_first),
        lanes=sorted(lanes, key=_worst_first),
    )


def _worst_first(figures: Figures) -> tuple:
    on_time = figures.on_time_percent
    return (
        on_time is None,
        on_time or 0,
        -figures.shipments,
        figures.carrier,
        figures.origin,
        figures.destination,
    )
