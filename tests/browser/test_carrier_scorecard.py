"""The carrier scorecard in a real Chromium: on a 390 px phone nothing is wider than the screen
(the wide tables scroll inside their card), the charts draw, the CSV link is at hand, and the
Content-Security-Policy refuses nothing."""

import datetime

import pytest
from django.utils import timezone

from premura.shipping.services import (
    NewTrackingEvent,
    configure_carrier,
    create_shipment,
    record_tracking_events,
)
from tests.browser.test_phone_layout import PHONE, log_in, no_sideways_scroll, on_screen_horizontally
from tests.factories.commerce import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "Poste Italiane Crono Express Internazionale"


@pytest.fixture
def shipments(db):
    """Two carriers on a few lanes, delivered over the last weeks, some late."""
    configure_carrier(code="poste", name=LONG_NAME)
    configure_carrier(code="brt", name="BRT")
    now = timezone.now()
    for n in range(24):
        order = OrderFactory(shipping_province=["MI", "RM", "NA", "BZ"][n % 4])
        shipment = create_shipment(
            order=order,
            carrier_code=["poste", "brt"][n % 2],
            tracking_number=f"PH{n:06d}",
            promised_delivery_date=timezone.localdate(now - datetime.timedelta(days=6)),
            origin="Emilia-Romagna",
        )
        delivered = now - datetime.timedelta(days=8 - n % 8)  # 1 to 8 days ago
        record_tracking_events(
            shipment,
            [
                NewTrackingEvent(now - datetime.timedelta(days=9), "in_transit", "IN TRANSITO"),
                NewTrackingEvent(delivered, "delivered", "CONSEGNATA"),
            ],
        )


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="it-IT", viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.violations = violations
    yield page
    context.close()


def test_the_carrier_scorecard_works_on_a_phone(phone, live_server, admin, shipments):
    log_in(phone, live_server, admin.user)
    phone.goto(f"{live_server.url}/console/")
    phone.get_by_role("link", name="Corrieri").click()
    phone.get_by_role("heading", name="Pagella dei corrieri").wait_for()

    no_sideways_scroll(phone)
    on_screen_horizontally(phone, phone.get_by_role("link", name="Scarica CSV"))
    assert phone.locator("svg.chart").count() == 2
    assert phone.locator("svg.chart rect.bar").count() > 2
    for chart in phone.locator("svg.chart").all():
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.locator("[data-scorecard=carriers] tbody tr").count() == 2
    assert phone.locator("[data-scorecard=lanes] tbody tr").count() == 4
    assert phone.violations == []
