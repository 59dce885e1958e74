"""How a refund's state reads, in one place for the console and the portal (the customer and the
agent on the phone with them must read the same thing).

A refund names the one date that matters in its state: when it was requested, by when it should
arrive while the bank has it, the day it was credited. Never an expected date for a refund that
has arrived, never a date for one that failed.
"""

import datetime
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from premura.commerce.models import Refund, RefundStatus


@dataclass(frozen=True)
class RefundSummary:
    status: str
    # "requested", "expected" or "credited": what `date` is; empty when there is no date to give.
    date_kind: str
    date: datetime.date | None
    # The state and its date in one phrase, in the active language: "Credited on 1 December 2026".
    text: str


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def refund_summary(refund: Refund) -> RefundSummary:
    """The refund's state with its one relevant date, in the active language and time zone."""
    if refund.status == RefundStatus.REQUESTED:
        kind, day = "requested", _local_date(refund.created_at)
    elif refund.status == RefundStatus.SUBMITTED:
        kind, day = "expected", _local_date(refund.expected_arrival_at)
    elif refund.status == RefundStatus.COMPLETED:
        kind, day = "credited", _local_date(refund.completed_at)
    else:
        kind, day = "", None
    if day is None:
        kind = ""
    phrases = {
        (RefundStatus.REQUESTED, "requested"): _("Requested on %(date)s"),
        (RefundStatus.REQUESTED, ""): _("Requested"),
        (RefundStatus.SUBMITTED, "expected"): _("Sent to the bank, expected by %(date)s"),
        (RefundStatus.SUBMITTED, ""): _("Sent to the bank"),
        (RefundStatus.COMPLETED, "credited"): _("Credited on %(date)s"),
        (RefundStatus.COMPLETED, ""): _("Credited"),
        (RefundStatus.FAILED, ""): _("Did not go through"),
    }
    phrase = phrases.get((refund.status, kind), refund.get_status_display())
    text = phrase % {"date": formats.date_format(day, "DATE_FORMAT")} if day else phrase
    return RefundSummary(status=refund.status, date_kind=kind, date=day, text=text)
