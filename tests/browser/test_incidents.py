"""Care's pages in a real Chromium, as a new agent on a 390 px phone in Italian and on a desktop
in English: the incidents of the day and the incident panel of a proactive case fit the screen,
speak the page's language, and the Content-Security-Policy refuses nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from premura.care.models import Compensation, CompensationRule, Incident
from premura.channels.models import Mailbox
from premura.shipping.models import Shipment
from premura.shipping.signals import risk_changed
from tests.browser.test_phone_layout import PHONE, log_in
from tests.factories.commerce import OrderFactory, OrderLineFactory
from tests.factories.shipping import ShipmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident(team, customer):
    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega", default_team=team)
    CompensationRule.objects.create(
        position=1, name="Ritardo: 10% sulla categoria", compensation=Compensation.COUPON_PERCENT,
        value=Decimal("10"), same_category=True, valid_days=60,
    )  # fmt: skip
    order = OrderFactory(customer=customer, number="PRM-300001", total=Decimal("89.00"))
    OrderLineFactory(order=order, name="Moka Express da sei tazze", category="Caffè", total=Decimal("89.00"))
    today = timezone.localdate()
    shipment = ShipmentFactory(
        order=order, tracking_number="BRT-0840000000012345678", promised_delivery_date=today
    )
    shipment.exception_reason = "weather"
    shipment.save()
    risk_changed.send(
        sender=Shipment,
        shipment=shipment,
        risk_signal="exception",
        expected_date=today + datetime.timedelta(days=3),
        level="high",
    )
    return Incident.objects.get()


@pytest.fixture
def browser_page(chromium, request):
    language, viewport = request.param
    context = chromium.new_context(locale=language, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.violations = violations
    page.language = language[:2]
    yield page
    context.close()


def no_sideways_scroll(page) -> None:
    width, viewport = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px window"


WORDS = {
    "it": ("Incidenti del giorno", "Incidente", "Maltempo", "Avvisi", "Indennizzo"),
    "en": ("Incidents of the day", "Incident", "Weather", "Notices", "Compensation"),
}


@pytest.mark.parametrize(
    "browser_page", [("it-IT", PHONE), ("en-GB", {"width": 1280, "height": 900})], indirect=True
)
def test_the_incidents_of_the_day_and_the_incident_panel(browser_page, live_server, agent, incident):
    page = browser_page
    heading, panel, reason, notices, compensation = WORDS[page.language]
    log_in(page, live_server, agent.user)
    page.goto(f"{live_server.url}/console/care/incidents/")
    page.get_by_role("heading", name=heading).wait_for()
    assert page.locator("html").get_attribute("lang") == page.language
    no_sideways_scroll(page)
    page.get_by_text("PRM-300001").first.wait_for()

    page.goto(f"{live_server.url}/console/cases/{incident.case_id}/")
    section = page.get_by_role("region", name=panel)
    section.wait_for()
    text = section.inner_text().lower()  # the headings are in small capitals
    assert all(word.lower() in text for word in (reason, notices, compensation, incident.grant.code))
    no_sideways_scroll(page)
    assert page.violations == []
