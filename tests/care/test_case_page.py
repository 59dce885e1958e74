"""The case page of a proactive case: the incident panel (signal, expected date, notices sent and
held, the grant) and a timeline that says the shop wrote first."""

import datetime

from django.urls import reverse

from premura.care.models import Incident
from premura.core.clock import frozen_at
from premura.customers.models import Customer
from tests.care.conftest import ROME, signal


def test_the_case_page_shows_the_incident_the_held_notice_and_the_grant(
    client, agent, mailbox, shipment, customer, coupon_rule
):
    Customer.objects.filter(pk=customer.pk).update(
        quiet_hours_start=datetime.time(21, 0), quiet_hours_end=datetime.time(8, 0)
    )
    shipment.order.customer.refresh_from_db()
    with frozen_at(datetime.datetime(2026, 12, 1, 22, 30, tzinfo=ROME)):
        signal(shipment, "predicted", datetime.date(2026, 12, 7))
        incident = Incident.objects.get()
        client.force_login(agent.user)
        page = client.get(reverse("console:case", args=[incident.case.pk])).content.decode()
    assert 'id="incident"' in page
    assert "Ritardo previsto" in page
    assert incident.grant.code in page and "Cucina" in page
    assert "trattenuto fino a" in page
    assert "Il negozio ha aperto il caso prima che il cliente scrivesse (proattivo)" in page
    assert "Avviso proattivo" in page


def test_the_incidents_of_the_day_by_kind_carrier_and_promised_date(
    client, agent, mailbox, customer, morning
):
    from decimal import Decimal

    from tests.factories.commerce import OrderFactory
    from tests.factories.shipping import CarrierFactory, ShipmentFactory

    gls = CarrierFactory(code="gls", name="GLS")
    soon = ShipmentFactory(
        order=OrderFactory(customer=customer), promised_delivery_date=datetime.date(2026, 12, 2)
    )
    later = ShipmentFactory(
        order=OrderFactory(customer=customer, total=Decimal("20")),
        carrier=gls,
        promised_delivery_date=datetime.date(2026, 12, 4),
    )
    signal(later, "stalled", None)
    signal(soon, "predicted", datetime.date(2026, 12, 5))
    client.force_login(agent.user)
    page = client.get(reverse("care:incidents")).content.decode()
    assert page.index(soon.tracking_number) < page.index(later.tracking_number)
    assert "Ritardo previsto" in page and "Fermo" in page
    only_gls = client.get(reverse("care:incidents"), {"carrier": gls.pk}).content.decode()
    assert later.tracking_number in only_gls and soon.tracking_number not in only_gls
    stalled = client.get(reverse("care:incidents"), {"situation": "stalled"}).content.decode()
    assert later.tracking_number in stalled and soon.tracking_number not in stalled
    assert client.get(reverse("care:incidents"), {"carrier": "x' or 1=1"}).status_code == 200
