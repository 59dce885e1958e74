"""The console and the portal on a 390 × 844 phone: nothing wider than the screen, and the things
people come for (the order total, the reply button) on screen without scrolling sideways."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from premura.commerce.models import Refund, RefundStatus
from premura.conversations import services
from premura.portal.links import order_path
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory
from tests.factories.conversations import make_case
from tests.factories.shipping import ShipmentFactory, TrackingEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_SUBJECT = "Ordine arrivato incompleto: manca la caffettiera e il coperchio della pentola a pressione"


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="it-IT", viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def big_order(customer):
    """An order whose table is as wide as a real one gets: long names, four-digit amounts."""
    order = OrderFactory(
        customer=customer,
        number="PRM-100777",
        subtotal=Decimal("2469.80"),
        shipping_total=Decimal("12.90"),
        total=Decimal("2482.70"),
    )
    OrderLineFactory(
        order=order,
        name="Macchina da caffè espresso professionale in acciaio inossidabile con macinacaffè",
        quantity=2,
        unit_price=Decimal("1199.90"),
        total=Decimal("2399.80"),
    )
    OrderLineFactory(
        order=order, name="Set di 6 tazzine", quantity=1, unit_price=Decimal("70.00"), total=Decimal("70.00")
    )
    PaymentFactory(order=order, amount=Decimal("2482.70"))
    Refund.objects.create(
        order=order,
        amount=Decimal("70.00"),
        status=RefundStatus.SUBMITTED,
        idempotency_key="refund-phone-1",
        expected_arrival_at=timezone.now() + datetime.timedelta(days=6),
    )
    shipment = ShipmentFactory(order=order, tracking_number="0840123456789012345678")
    TrackingEventFactory(
        shipment=shipment,
        raw_description="Spedizione in transito verso il centro di smistamento di Milano Linate",
    )
    return order


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def on_screen_horizontally(page, locator) -> None:
    locator.scroll_into_view_if_needed()
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= PHONE["height"]


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_the_console_works_on_a_phone(phone, live_server, agent, admin, customer, big_order):
    case = make_case(
        customer, order=big_order, subject=LONG_SUBJECT, body="Buongiorno, " + "manca un pezzo. " * 20
    )
    services.add_note(
        case, agent, "Chiamato il magazzino: https://magazzino.example/spedizioni/PRM-100777/dettaglio"
    )
    services.assign(case, admin, actor=agent.user)
    for n in range(8):
        make_case(customer, subject=f"{LONG_SUBJECT} ({n})")
    log_in(phone, live_server, agent.user)

    phone.goto(f"{live_server.url}/console/?view=all")
    no_sideways_scroll(phone)
    on_screen_horizontally(phone, phone.get_by_role("link", name=LONG_SUBJECT, exact=True))
    on_screen_horizontally(phone, phone.locator(".filters select[name=priority]"))

    phone.goto(f"{live_server.url}/console/cases/{case.pk}/")
    no_sideways_scroll(phone)
    on_screen_horizontally(phone, phone.get_by_role("button", name="Invia risposta"))
    on_screen_horizontally(phone, phone.locator(".order-card .total .num"))
    assert phone.locator(".order-card .total .num").inner_text() == "2.482,70\u00a0€"

    phone.goto(f"{live_server.url}/console/cases/new/")
    no_sideways_scroll(phone)
    on_screen_horizontally(phone, phone.get_by_role("button", name="Apri caso"))


def test_the_portal_works_on_a_phone(phone, live_server, big_order):
    phone.goto(f"{live_server.url}{order_path(big_order)}")
    no_sideways_scroll(phone)
    total = phone.locator(".grand-total .num")
    on_screen_horizontally(phone, total)
    assert total.inner_text() == "2.482,70\u00a0€"

    phone.get_by_role("link", name="Contattaci per questo ordine").click()
    phone.wait_for_url("**/contact/")
    no_sideways_scroll(phone)
    on_screen_horizontally(phone, phone.get_by_role("button", name="Invia", exact=True))
