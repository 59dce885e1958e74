"""A parcel's history as plain dates, and what of it is known at the end of a given day."""

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parcel:
    """Everything dated that happened to one shipment. Dates are calendar days in the shop's time
    zone. `scans` are the carrier's scans after the handover (handover and delivery excluded).
    """

    key: str
    carrier: str
    origin: str
    destination: str
    placed_on: datetime.date
    promised_on: datetime.date | None
    handed_over_on: datetime.date | None = None
    delivered_on: datetime.date | None = None
    scans: tuple[datetime.date, ...] = ()
    # The day the carrier first reported the exception the parcel is in, and its reason.
    exception_on: datetime.date | None = None
    exception_reason: str = ""

    def known_at(self, day: datetime.date) -> "ParcelView":
        """What a run at the end of `day` sees: only events dated on or before it."""
        handed = self.handed_over_on if self.handed_over_on and self.handed_over_on <= day else None
        delivered = self.delivered_on if self.delivered_on and self.delivered_on <= day else None
        scans = [s for s in self.scans if s <= day]
        last_scan = max([*scans, handed] if handed else scans, default=None)
        exception = self.exception_on is not None and self.exception_on <= day
        return ParcelView(
            parcel=self,
            day=day,
            handed_over_on=handed,
            delivered_on=delivered,
            last_scan_on=last_scan,
            scans=tuple(sorted({*scans} | ({handed} if handed else set()))),
            exception_reason=self.exception_reason if exception else "",
        )


@dataclass(frozen=True)
class ParcelView:
    """A parcel as known at the end of `day`: its future is absent, not hidden."""

    parcel: Parcel
    day: datetime.date
    handed_over_on: datetime.date | None
    delivered_on: datetime.date | None
    last_scan_on: datetime.date | None
    scans: tuple[datetime.date, ...] = field(default=())
    exception_reason: str = ""

    @property
    def lane(self) -> str:
        return f"{self.parcel.origin}>{self.parcel.destination}"

    @property
    def is_late(self) -> bool | None:
        """Whether it missed its promise, once that is known at `day`; None while it is not."""
        promised = self.parcel.promised_on
        if promised is None:
            return None
        if self.delivered_on is not None:
            return self.delivered_on > promised
        return True if self.day > promised else None
