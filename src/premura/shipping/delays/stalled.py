"""The stalled signal: no scan for longer than is normal on the parcel's carrier and lane.

Gaps are counted in business days (weekends and the public holidays of the shop's country are not
days a parcel is expected to move). The norm is a high quantile of the gaps between consecutive
scans (handover, scans, delivery) of the shop's delivered parcels, per carrier and lane, then per
carrier, then a default while there is too little history. A carrier whose delivered parcels
never had a scan between handover and delivery does not stall: silence is its normal, and the
gap from handover to delivery is the transit time, which the model weighs (decision 0019).
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
import numpy as np

from premura.shipping.delays.parcels import ParcelView

DEFAULT_NORM_BUSINESS_DAYS = 3
# Business days without a scan after which a parcel of a carrier that scans in transit is presumed
# lost: two working weeks, when Italian carriers open a search for a missing parcel and a shop
# can claim it (decision 0037).
LOST_AFTER_BUSINESS_DAYS = 10
NORM_QUANTILE = 0.95
# Gaps a group needs before its own quantile replaces the wider one.
MIN_GAPS = 30


@lru_cache(maxsize=8)
def _holiday_array(country: str, first_year: int, last_year: int) -> np.ndarray:
    days = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


def business_days_between(start: datetime.date, end: datetime.date, *, country: str) -> int:
    """Business days after `start` up to and including `end` (0 when `end` <= `start`)."""
    if end <= start:
        return 0
    holiday_days = _holiday_array(country, start.year, end.year)
    first = start + datetime.timedelta(days=1)
    return int(np.busday_count(first, end + datetime.timedelta(days=1), holidays=holiday_days))


def delivery_day_on_or_after(day: datetime.date, *, country: str) -> datetime.date:
    """`day`, or the first day after it that is neither a Sunday nor a public holiday: no carrier
    delivers then, so no expected date falls on one (Saturdays do have deliveries)."""
    holiday_days = _holiday_array(country, day.year, day.year + 1)
    return np.busday_offset(day, 0, roll="forward", weekmask="1111110", holidays=holiday_days).item()


@dataclass(frozen=True)
class StallNorms:
    """Business days without a scan beyond which a parcel is stalled."""

    country: str
    by_lane: dict[str, int] = field(default_factory=dict)  # "carrier|origin>destination"
    by_carrier: dict[str, int] = field(default_factory=dict)
    default: int = DEFAULT_NORM_BUSINESS_DAYS
    silent_carriers: frozenset[str] = frozenset()  # never scan in transit

    def norm(self, view: ParcelView) -> int:
        parcel = view.parcel
        lane_key = f"{parcel.carrier}|{view.lane}"
        return self.by_lane.get(lane_key, self.by_carrier.get(parcel.carrier, self.default))

    def as_dict(self) -> dict:
        return {
            "country": self.country,
            "by_lane": self.by_lane,
            "by_carrier": self.by_carrier,
            "default": self.default,
            "silent_carriers": sorted(self.silent_carriers),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "StallNorms":
        return cls(
            data["country"],
            dict(data["by_lane"]),
            dict(data["by_carrier"]),
            int(data["default"]),
            frozenset(data.get("silent_carriers", ())),
        )


def learn_norms(views: Iterable[ParcelView], *, country: str) -> StallNorms:
    """Norms from the delivered parcels among `views` (each as known at the same run)."""
    by_lane: dict[str, list[int]] = defaultdict(list)
    by_carrier: dict[str, list[int]] = defaultdict(list)
    delivered: Counter[str] = Counter()
    scanned: Counter[str] = Counter()
    for view in views:
        if view.delivered_on is None or not view.scans:
            continue
        delivered[view.parcel.carrier] += 1
        scanned[view.parcel.carrier] += len(view.scans) > 1  # the handover is the first
        stops = [*view.scans, view.delivered_on]
        gaps = [business_days_between(a, b, country=country) for a, b in zip(stops, stops[1:], strict=False)]
        by_lane[f"{view.parcel.carrier}|{view.lane}"].extend(gaps)
        by_carrier[view.parcel.carrier].extend(gaps)

    def quantiles(groups: dict[str, list[int]]) -> dict[str, int]:
        return {
            key: max(1, int(np.ceil(np.quantile(gaps, NORM_QUANTILE))))
            for key, gaps in groups.items()
            if len(gaps) >= MIN_GAPS
        }

    silent = frozenset(c for c, n in delivered.items() if n >= MIN_GAPS and not scanned[c])
    return StallNorms(country, quantiles(by_lane), quantiles(by_carrier), silent_carriers=silent)


def stalled_for(view: ParcelView, norms: StallNorms) -> int | None:
    """Business days the parcel has gone without a scan beyond its norm, or None if it has not
    stalled (or is not with the carrier yet, or is delivered, or its carrier never scans)."""
    quiet = _quiet_days(view, norms)
    if quiet is None:
        return None
    norm = norms.norm(view)
    return quiet - norm if quiet > norm else None


def presumed_lost(view: ParcelView, norms: StallNorms) -> int | None:
    """Business days without a scan when they reach LOST_AFTER_BUSINESS_DAYS: the parcel is
    presumed lost (issue 14). On a lane whose stall norm comes close to that, a day after the
    parcel stalled, so that the stalled signal always comes first (it opens the incident that
    care then tells the loss in). None otherwise, and for the parcels `stalled_for` never judges:
    not with the carrier yet, delivered, or with a carrier that never scans in transit, whose
    silence means nothing."""
    quiet = _quiet_days(view, norms)
    if quiet is None or quiet < max(LOST_AFTER_BUSINESS_DAYS, norms.norm(view) + 2):
        return None
    return quiet


def _quiet_days(view: ParcelView, norms: StallNorms) -> int | None:
    """Business days since the parcel's last scan; None when silence tells nothing about it."""
    if view.delivered_on is not None or view.last_scan_on is None:
        return None
    if view.parcel.carrier in norms.silent_carriers:
        return None
    return business_days_between(view.last_scan_on, view.day, country=norms.country)
