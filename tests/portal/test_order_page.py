"""The order page: tracking timeline, lines, payment and refunds, in the customer's language."""

import datetime
import zoneinfo
from decimal import Decimal

from django.utils import dateformat, timezone

from premura.commerce.models import PaymentState, Refund, RefundStatus
from premura.portal.links import order_path
from premura.shipping.models import TrackingEvent
from tests.factories.commerce import OrderFactory, PaymentFactory
from tests.factories.shipping import ShipmentFactory

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def english_page(client, path):
    client.cookies["django_language"] = "en"
    response = client.get(path, follow=True)  # a signed link redirects to the order's page
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_anna_tracking_events_newest_first_in_rome_time(client, anna_order, anna_path):
    body = english_page(client, anna_path)
    events = TrackingEvent.objects.filter(shipment__order=anna_order).order_by("-occurred_at")
    newest, oldest = events
    for event in events:
        assert f'<time datetime="{event.occurred_at.astimezone(ROME).isoformat()}">' in body
    assert '<strong class="timeline-status">In transit</strong>' in body
    assert '<strong class="timeline-status">Label created</strong>' in body
    assert '<span class="timeline-location">Hub BRT Bologna</span>' in body
    assert body.index("Spedizione in transito verso Milano") < body.index("Dati della spedizione ricevuti")
    assert newest.raw_description == "Spedizione in transito verso Milano"


def test_it_shows_the_shipment_carrier_link_and_promise(client, anna_order, anna_path):
    body = english_page(client, anna_path)
    shipment = anna_order.shipments.get()
    assert "<dd>BRT</dd>" in body
    assert f'href="{shipment.tracking_url.replace("&", "&amp;")}"' in body
    assert ">084012345678<" in body
    assert "On its way" in body
    promised = shipment.promised_delivery_date
    assert f"<dd>{dateformat.format(promised, 'j F Y')}</dd>" in body  # "25 November 2026", as in Europe
    assert "badge-late" not in body


def test_it_shows_lines_total_and_city_only(client, anna_path):
    body = english_page(client, anna_path)
    assert '<td class="line-name">Moka Bialetti 6 tazze</td>' in body
    assert '<td class="num line-total">€49.90</td>' in body
    assert '<td class="num">€54.90</td>' in body
    assert "Shipping to Milano" in body
    assert "Via Roma 1" not in body
    assert "20121" not in body


def test_amounts_follow_the_italian_locale(client, anna_path):
    body = client.get(anna_path).content.decode()
    assert '<td class="num">54,90\u00a0€</td>' in body


def test_a_late_shipment_is_flagged(client, customer):
    order = OrderFactory(customer=customer)
    ShipmentFactory(order=order, promised_delivery_date=timezone.localdate() - datetime.timedelta(days=2))
    body = english_page(client, order_path(order))
    assert '<span class="badge badge-late">Late</span>' in body


def test_a_parcel_expected_after_its_promise_shows_the_new_date_beside_the_promise(client, customer):
    """The portal says what the proactive notice said: the date the detector now expects, and the
    promise it replaces; an earlier expectation never replaces the promise."""
    order = OrderFactory(customer=customer)
    promised = timezone.localdate() + datetime.timedelta(days=1)
    later = promised + datetime.timedelta(days=3)
    shipment = ShipmentFactory(order=order, promised_delivery_date=promised, expected_delivery_date=later)
    body = english_page(client, order_path(order))
    assert "<dt>Now expected by</dt>" in body
    assert f"<dd>{dateformat.format(later, 'j F Y')}</dd>" in body
    assert "<dt>Promised at checkout</dt>" in body
    assert f"<dd>{dateformat.format(promised, 'j F Y')}</dd>" in body

    shipment.expected_delivery_date = promised - datetime.timedelta(days=1)
    shipment.save()
    body = english_page(client, order_path(order))
    assert "Now expected by" not in body
    assert f"<dt>Expected by</dt><dd>{dateformat.format(promised, 'j F Y')}</dd>" in body


def test_an_authorised_card_payment_is_said_in_words(client, customer):
    order = OrderFactory(customer=customer)
    PaymentFactory(order=order, state=PaymentState.AUTHORIZED)
    body = english_page(client, order_path(order))
    assert "<strong>Amount authorised on the card</strong>" in body


def test_a_refund_shows_its_expected_arrival(client, anna_order, anna_path):
    expected = timezone.now() + datetime.timedelta(days=5)
    Refund.objects.create(
        order=anna_order,
        amount=Decimal("12.50"),
        status=RefundStatus.SUBMITTED,
        idempotency_key="refund-anna-1",
        expected_arrival_at=expected,
    )
    body = english_page(client, anna_path)
    local = timezone.localtime(expected, ROME).date()
    expected_by = dateformat.format(local, "j F Y")
    assert f"Refund €12.50 · <strong>Sent to the bank, expected by {expected_by}</strong>" in body


def test_the_page_is_in_the_customer_language(client, customer, anna_path):
    assert '<html lang="it">' in client.get(anna_path).content.decode()
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = client.get(anna_path)
    assert '<html lang="en">' in response.content.decode()
    assert response.headers["Content-Language"] == "en"


def test_the_language_switch_wins_over_the_customer_language(client, anna_path):
    response = client.post("/i18n/setlang/", {"language": "en", "next": anna_path})
    assert response.status_code == 302
    assert response.headers["Location"] == anna_path
    assert '<html lang="en">' in client.get(anna_path).content.decode()


def test_the_browser_language_does_not_override_the_customer_language(client, anna_path):
    body = client.get(anna_path, headers={"accept-language": "en"}).content.decode()
    assert '<html lang="it">' in body


def test_the_page_is_private(client, anna_path):
    response = client.get(anna_path)
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_the_cases_on_the_order_are_listed_with_friendly_status(
    client, customer, anna_order, anna_path, other_customer, bruno_order
):
    from tests.factories.conversations import make_case

    case = make_case(customer, subject="Pacco in ritardo", order=anna_order)
    make_case(customer, subject="Domanda generica")  # Anna's, but not on this order
    make_case(other_customer, subject="Zaino rotto", order=bruno_order)
    body = english_page(client, anna_path)
    assert f'href="{anna_path}cases/{case.pk}/">#{case.pk} Pacco in ritardo</a>' in body
    assert "Received: we will answer soon" in body
    assert "Domanda generica" not in body
    assert "Zaino rotto" not in body
