"""A shipment's delay risk, expected date and why, through the API and on the case page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from premura.shipping.delays import services
from premura.shipping.models import Shipment
from tests.factories.conversations import make_case


@pytest.fixture
def stalled_shipment(anna_order) -> Shipment:
    """Anna's parcel, last scanned ten days ago with its promise still ahead."""
    shipment = Shipment.objects.get(order=anna_order)
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    shipment.events.update(occurred_at=ten_days_ago)
    Shipment.objects.filter(pk=shipment.pk).update(
        shipped_at=ten_days_ago,
        last_event_at=ten_days_ago,
        promised_delivery_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    services.assess_open_shipments()
    shipment.refresh_from_db()
    return shipment


def test_the_api_shows_the_risk_its_expected_date_and_why(agent_api, stalled_shipment):
    for body in (
        agent_api.get(f"/api/v1/shipments/{stalled_shipment.pk}").json(),
        agent_api.get("/api/v1/shipments", {"order": stalled_shipment.order_id}).json()["items"][0],
    ):
        assert body["delay_level"] == "high"
        assert body["delay_signal"] == "stalled"
        assert body["expected_delivery_date"] == stalled_shipment.expected_delivery_date.isoformat()
        assert 0 <= body["delay_probability"] <= 1
        assert body["delay_factors"][0]["factor"] == "no_scan"
        assert body["delay_assessed_at"] is not None


def test_a_shipment_not_yet_assessed_says_so(agent_api, anna_order):
    body = agent_api.get(f"/api/v1/shipments/{Shipment.objects.get(order=anna_order).pk}").json()
    assert (body["delay_level"], body["delay_signal"], body["expected_delivery_date"]) == ("", "", None)
    assert body["delay_factors"] == []


def test_the_case_page_shows_the_risk_in_italian(client, agent, customer, stalled_shipment):
    client.force_login(agent.user)
    case = make_case(customer, order=stalled_shipment.order, subject="Dov'è il mio pacco?")
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "A rischio" in html
    assert "Fermo" in html
    assert "nessuna scansione da" in html
    assert "previsto il" in html
