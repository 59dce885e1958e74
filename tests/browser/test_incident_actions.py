"""The incident panel's actions in a real Chromium on a 390 px phone, in Italian: ask the carrier
for redelivery, redirect to a pickup point, set a new delivery date, approve the partial refund
with a double tap; each confirmed in place (htmx), on the timeline, and the page (and care's
report) never wider than the phone."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from premura.care.models import Approval, CarrierTask, Compensation, CompensationRule, Grant, Incident
from premura.channels.models import Mailbox
from premura.commerce.models import Refund
from premura.core.templatetags.dates import day_month
from premura.shipping.models import Shipment
from premura.shipping.signals import risk_changed
from tests.browser.test_incidents import no_sideways_scroll
from tests.browser.test_phone_layout import PHONE, log_in
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory
from tests.factories.shipping import ShipmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident(team, customer):
    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega", default_team=team)
    CompensationRule.objects.create(
        position=1, name="Ritardo: 12 euro indietro", compensation=Compensation.PARTIAL_REFUND,
        value=Decimal("12"),
    )  # fmt: skip
    order = OrderFactory(customer=customer, number="PRM-300001", total=Decimal("89.00"))
    OrderLineFactory(order=order, name="Moka Express da sei tazze", category="Caffè", total=Decimal("89.00"))
    PaymentFactory(order=order, amount=Decimal("89.00"))
    today = timezone.localdate()
    shipment = ShipmentFactory(
        order=order, tracking_number="BRT-0840000000012345678", promised_delivery_date=today
    )
    risk_changed.send(
        sender=Shipment,
        shipment=shipment,
        risk_signal="predicted",
        expected_date=today + datetime.timedelta(days=3),
        level="high",
    )
    return Incident.objects.get()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="it-IT", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.violations = violations
    yield page
    context.close()


def test_the_parcel_actions_and_the_refund_approval_on_a_phone(phone, live_server, agent, incident):
    page = phone
    log_in(page, live_server, agent.user)
    page.goto(f"{live_server.url}/console/cases/{incident.case_id}/")
    panel = page.locator("#incident")
    panel.wait_for()
    no_sideways_scroll(page)

    panel.get_by_role("button", name="Chiedi la riconsegna").click()
    page.locator("#incident .confirmation").filter(has_text="Riconsegnare: nessun connettore").wait_for()
    page.locator(".timeline").get_by_text("Marco Rossi ha chiesto al corriere: Riconsegnare").wait_for()

    page.locator("#pickup-point").fill("Tabaccheria Rossi, Via Po 3, Torino")
    page.locator("#incident").get_by_role("button", name="Dirotta lì").click()
    page.locator("#incident .confirmation").filter(has_text="Dirottare a un punto di ritiro").wait_for()
    page.locator(".carrier-tasks").get_by_text("Tabaccheria Rossi, Via Po 3, Torino").wait_for()

    new_date = timezone.localdate() + datetime.timedelta(days=5)
    page.locator("#delivery-date").fill(new_date.isoformat())
    page.locator("#incident").get_by_role("button", name="Imposta la data").click()
    page.locator("#incident .confirmation").filter(has_text="Consegnare in una nuova data").wait_for()
    with translation.override("it"):
        shown = day_month(new_date)
    page.locator("#incident .incident-expected").filter(has_text=shown).wait_for()
    assert CarrierTask.objects.count() == 3

    page.locator("#incident").get_by_role("button", name="Approva il rimborso").dblclick()
    page.locator("#incident .grant-decision").filter(has_text="Approvato da Marco Rossi").wait_for()
    page.locator(".timeline").get_by_text("Marco Rossi ha approvato il rimborso di 12.00 EUR").wait_for()
    assert Refund.objects.count() == 1 and Grant.objects.get().approval == Approval.APPROVED
    no_sideways_scroll(page)

    page.goto(f"{live_server.url}/console/care/report/")
    page.get_by_role("heading", name="Rapporto sull'assistenza proattiva").wait_for()
    assert page.locator('[data-measure="incidents"]').inner_text() == "1"
    no_sideways_scroll(page)
    assert page.violations == []
