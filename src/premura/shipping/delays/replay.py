"""Replay an export of past orders through the detector with a simulated daily clock.

At each run (the end of day e) the detector sees only events dated <= e: it is retrained every
RETRAIN_DAYS on the parcels as known then, its stall norms relearned and its thresholds
recalibrated, then it assesses every undelivered parcel of the reported period. The figures
(`evaluation`) are those of the parcels purchased on or after the split date.
"""

import csv
import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from premura.shipping.delays.detector import Detector, assess, fit_detector
from premura.shipping.delays.evaluation import Trace, by_month, figures, naive_trace, recall_at_false_alarms
from premura.shipping.delays.parcels import Parcel

logger = logging.getLogger(__name__)

RETRAIN_DAYS = 7
OLIST_CARRIER = "olist"


class ExportError(ValueError):
    """The export is missing a file or a column, or has a value that is not a date."""


def _day(value: str, *, where: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).date()
    except ValueError:
        raise ExportError(f"{where}: not a date: {value!r}") from None


def _rows(folder: Path, name: str, columns: set[str]) -> list[dict[str, str]]:
    path = folder / name
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = columns - set(reader.fieldnames or ())
        if missing:
            raise ExportError(f"{path}: missing columns {', '.join(sorted(missing))}")
        return list(reader)


def load_olist(folder: Path) -> list[Parcel]:
    """The orders of an Olist export that reached a carrier, as parcels: lane = the first
    seller's state to the customer's state, promise = order_estimated_delivery_date."""
    orders = _rows(
        folder,
        "orders.csv",
        {
            "order_id",
            "customer_id",
            "order_purchase_timestamp",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        },
    )
    customers = {
        r["customer_id"]: r["customer_state"]
        for r in _rows(folder, "customers.csv", {"customer_id", "customer_state"})
    }
    sellers = {
        r["seller_id"]: r["seller_state"] for r in _rows(folder, "sellers.csv", {"seller_id", "seller_state"})
    }
    first_seller: dict[str, tuple[int, str]] = {}
    for item in _rows(folder, "order_items.csv", {"order_id", "order_item_id", "seller_id"}):
        number = int(item["order_item_id"] or 0)
        if item["order_id"] not in first_seller or number < first_seller[item["order_id"]][0]:
            first_seller[item["order_id"]] = (number, item["seller_id"])
    parcels = []
    for line, order in enumerate(orders, start=2):
        where = f"orders.csv line {line}"
        handed = _day(order["order_delivered_carrier_date"], where=where)
        delivered = _day(order["order_delivered_customer_date"], where=where)
        if handed is None and delivered is None:
            continue  # never reached a carrier
        seller = first_seller.get(order["order_id"], (0, ""))[1]
        parcels.append(
            Parcel(
                key=order["order_id"],
                carrier=OLIST_CARRIER,
                origin=sellers.get(seller, ""),
                destination=customers.get(order["customer_id"], ""),
                placed_on=_day(order["order_purchase_timestamp"], where=where),
                promised_on=_day(order["order_estimated_delivery_date"], where=where),
                handed_over_on=handed,
                delivered_on=delivered,
            )
        )
    return parcels


@dataclass
class ReplayResult:
    model: list[Trace]
    naive: list[Trace]

    def report(self) -> dict:
        return {
            "model": figures(self.model),
            "naive_3_days": figures(self.naive),
            "by_month": by_month({"model": self.model, "naive_3_days": self.naive}),
            "curve": recall_at_false_alarms(self.model),
        }


def replay(
    parcels: Sequence[Parcel],
    *,
    split: datetime.date,
    country: str,
    progress: Callable[[datetime.date, Detector], None] | None = None,
) -> ReplayResult:
    """Run the detector at the end of every day from `split` until the last reported parcel is
    delivered. Reported: parcels purchased on or after `split`, delivered, with a promise."""
    reported = [p for p in parcels if p.placed_on >= split and p.delivered_on and p.promised_on]
    traces = {p.key: Trace(p) for p in reported}
    if not reported:
        return ReplayResult([], [])
    last_run = max(p.delivered_on for p in reported)
    detector: Detector | None = None
    run = split
    while run < last_run:
        if detector is None or (run - split).days % RETRAIN_DAYS == 0:
            known = [p.known_at(run) for p in parcels if p.placed_on <= run]
            previous = detector.model if detector else None
            detector = fit_detector(known, day=run, country=country, previous=previous)
            if progress:
                progress(run, detector)
        for parcel in reported:
            if parcel.placed_on <= run < parcel.delivered_on:
                assessment = assess(detector, parcel.known_at(run))
                trace = traces[parcel.key]
                trace.scores[run] = assessment.probability
                if assessment.warns:
                    trace.warnings.append(run)
                if run == parcel.handed_over_on:
                    trace.handover_score = assessment.probability
        run += datetime.timedelta(days=1)
    return ReplayResult(list(traces.values()), [naive_trace(p) for p in reported])
