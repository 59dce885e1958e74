"""Care's measures over a period, on figures computed by hand: incidents per carrier, customers
told before the promised date passed or after, customers who wrote before we did, grants by
value; and the report page that shows them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from premura.care.models import Compensation, CompensationRule, Incident
from premura.care.queries import care_report
from premura.channels.models import OutboundEmail, OutboundStatus
from premura.core.clock import frozen_at
from tests.care.conftest import PROMISED, ROME, signal
from tests.factories.commerce import OrderFactory
from tests.factories.conversations import make_case
from tests.factories.shipping import CarrierFactory, ShipmentFactory


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=ROME)


@pytest.fixture
def incidents(mailbox, customer, coupon_rule):
    """Six incidents, five of them opened from 1 to 5 December:

    A  BRT  signal 1 Dec, its notice sent 1 Dec            told in time   10%
    B  GLS  signal 4 Dec, its notice sent 4 Dec            told late      5 EUR
    C  BRT  signal 3 Dec 23:30, its notice sent 23:31      told in time   5 EUR (the promised day)
    D  BRT  the customer wrote first: no notice            neither        10%
    E  GLS  its notice still queued                        neither        5 EUR
    F  BRT  opened 20 November                             outside the period
    """
    CompensationRule.objects.create(
        position=0, name="Small orders: 5 EUR", max_order_total=Decimal("30"),
        compensation=Compensation.COUPON_AMOUNT, value=Decimal("5"),
    )  # fmt: skip
    brt, gls = CarrierFactory(code="brt", name="BRT"), CarrierFactory(code="gls", name="GLS")

    def incident(carrier, total, opened, sent=None, wrote_first=False):
        order = OrderFactory(customer=customer, total=Decimal(total))
        shipment = ShipmentFactory(order=order, carrier=carrier, promised_delivery_date=PROMISED)
        if wrote_first:
            make_case(customer, order=order)
        with frozen_at(opened):
            signal(shipment, "predicted", datetime.date(2026, 12, 9))
        made = Incident.objects.get(shipment=shipment)
        if sent:
            OutboundEmail.objects.filter(care_notice__incident=made).update(
                status=OutboundStatus.SENT, sent_at=sent
            )
        return made

    return [
        incident(brt, "89", at(1, 10), sent=at(1, 10, 1)),
        incident(gls, "20", at(4, 10), sent=at(4, 10, 1)),
        incident(brt, "20", at(3, 23, 30), sent=at(3, 23, 31)),
        incident(brt, "89", at(2, 9), wrote_first=True),
        incident(gls, "20", at(2, 11)),
        incident(brt, "89", at(20, 10, month=11), sent=at(20, 10, 1, month=11)),
    ]


def test_the_measures_of_a_period_on_hand_made_incidents(incidents):
    report = care_report(datetime.date(2026, 12, 1), datetime.date(2026, 12, 5))
    assert report.incidents == 5
    assert report.by_carrier == [("BRT", 3), ("GLS", 2)]
    assert (report.told_in_time, report.told_late) == (2, 1)
    assert report.customer_first == 1
    assert report.grants == [
        ("coupon_amount", Decimal("5.00"), "EUR", 3, Decimal("15.00")),
        ("coupon_percent", Decimal("10.00"), "EUR", 2, None),
    ]
    november = care_report(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert (november.incidents, november.by_carrier) == (1, [("BRT", 1)])
    assert (november.told_in_time, november.told_late) == (1, 0)


def test_the_report_page_in_italian_and_english_with_its_period(client, agent, incidents):
    client.force_login(agent.user)
    url = reverse("care:report")
    page = client.get(url, {"from": "2026-12-01", "to": "2026-12-05"}).content.decode()
    assert "<h1>Rapporto sull'assistenza proattiva</h1>" in page
    assert '<dd data-measure="incidents">5</dd>' in page
    assert '<dd data-measure="told-in-time">2 (67%)</dd>' in page
    assert '<dd data-measure="told-late">1</dd>' in page
    assert '<dd data-measure="customer-first">1</dd>' in page
    assert '<tr data-carrier="GLS"><td>GLS</td><td class="num">2</td></tr>' in page
    assert "Buono: sconto in euro" in page and "15,00" in page
    client.cookies["django_language"] = "en"
    english = client.get(url, {"from": "2026-12-01", "to": "2026-12-05"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Care report" in english.content.decode() and "Incidents per carrier" in english.content.decode()
    refused = client.get(url, {"from": "2026-12-05", "to": "2026-12-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "the first not after the second" in refused.content.decode()
