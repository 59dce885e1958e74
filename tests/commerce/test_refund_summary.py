"""One presentation of a refund, the same words in the console and in the portal (commerce/display.py)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from premura.commerce.display import refund_summary
from premura.commerce.models import Refund, RefundStatus
from premura.portal.links import order_path
from tests.factories.conversations import make_case

UTC = datetime.UTC
REQUESTED_AT = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
EXPECTED_BY = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
CREDITED_AT = datetime.datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def refund(order, status, n=1, **dates) -> Refund:
    return Refund.objects.create(
        order=order,
        amount=Decimal("12.50"),
        status=status,
        idempotency_key=f"refund-{status}-{n}",
        created_at=REQUESTED_AT,
        **dates,
    )


@pytest.mark.parametrize(
    ("status", "dates", "kind", "day", "italian", "english"),
    [
        (RefundStatus.REQUESTED, {}, "requested", datetime.date(2026, 11, 24),
         "Richiesto il 24 novembre 2026", "Requested on 24 November 2026"),
        (RefundStatus.SUBMITTED, {"expected_arrival_at": EXPECTED_BY}, "expected", datetime.date(2026, 12, 9),
         "Inviato alla banca, accredito previsto entro il 9 dicembre 2026",
         "Sent to the bank, expected by 9 December 2026"),
        (RefundStatus.SUBMITTED, {}, "", None, "Inviato alla banca", "Sent to the bank"),
        # Arrived: the day it was credited, never the date it was expected by.
        (RefundStatus.COMPLETED, {"expected_arrival_at": EXPECTED_BY, "completed_at": CREDITED_AT},
         "credited", datetime.date(2026, 12, 1),
         "Accreditato il 1 dicembre 2026", "Credited on 1 December 2026"),
        (RefundStatus.FAILED, {"expected_arrival_at": EXPECTED_BY}, "", None,
         "Non andato a buon fine", "Did not go through"),
    ],
)  # fmt: skip
def test_a_refund_names_the_one_date_of_its_state(anna_order, status, dates, kind, day, italian, english):
    made = refund(anna_order, status, **dates)
    with translation.override("it"):
        summary = refund_summary(made)
        assert (summary.status, summary.date_kind, summary.date, summary.text) == (status, kind, day, italian)
    with translation.override("en"):
        assert refund_summary(made).text == english


def test_the_date_is_the_local_day(anna_order, settings):
    late_evening = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 1 December in Rome
    made = refund(anna_order, RefundStatus.COMPLETED, completed_at=late_evening)
    assert refund_summary(made).date == datetime.date(2026, 12, 1)


def test_console_and_portal_say_the_same_about_a_credited_refund(client, agent, customer, anna_order):
    refund(anna_order, RefundStatus.COMPLETED, expected_arrival_at=EXPECTED_BY, completed_at=CREDITED_AT)
    case = make_case(customer, order=anna_order)
    line = "Rimborso 12,50\u00a0€ · <strong>Accreditato il 1 dicembre 2026</strong>"

    portal = client.get(order_path(anna_order), follow=True).content.decode()
    client.force_login(agent.user)
    console = client.get(reverse("console:case", args=[case.pk])).content.decode()

    assert line in portal
    assert line in console
    for page in (portal, console):
        assert "previsto" not in page
        assert "9 dic" not in page
