"""Grant codes as CSV, for the shop to load into its platform until a shop connector creates them
there (the admin's export action and `premura export_grants`)."""

import csv
from collections.abc import Iterable
from typing import TextIO

from premura.care.models import Grant
from premura.core.text import spreadsheet_cell

COLUMNS = [
    "code",
    "compensation",
    "value",
    "currency",
    "category",
    "expires_on",
    "order",
    "customer_email",
    "rule",
]


def write_grants_csv(grants: Iterable[Grant], out: TextIO) -> int:
    """Write one row per grant with a code; return how many."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for grant in grants:
        if not grant.code:
            continue
        order = grant.incident.shipment.order
        # The category and the order come from the shop's platform, the rule's name from an
        # administrator: a cell starting like a formula must not run in the spreadsheet.
        writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    grant.code,
                    grant.compensation,
                    grant.value,
                    grant.currency,
                    grant.category,
                    grant.expires_on.isoformat() if grant.expires_on else "",
                    order.number,
                    order.email,
                    grant.rule_name,
                )
            ]
        )
        count += 1
    return count


def coded_grants():
    return (
        Grant.objects.exclude(code="")
        .select_related("incident__shipment__order")
        .order_by("created_at", "pk")
    )
