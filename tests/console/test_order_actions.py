"""The case page's Coupon, Send again and Change address: shown only when the shop's platform
takes them, each with what the customer will be told; one action for a double click; the
customer's confirmation in their language once the shop has done it, once; an amount coupon over
the agent's refund limit refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from premura.agents.models import RefundLimit, Role
from premura.channels.models import OutboundEmail, OutboundKind
from premura.commerce.models import ActionStatus, AddressChange, Coupon, OrderStatus, Reshipment
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


def confirmations() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk"))


@pytest.fixture
def case(shopify, shop_connection, customer):
    order = shop_order(shopify, customer)
    order.lines.update(category="Cucina")
    return make_case(customer, order=order)


def test_the_panel_offers_the_actions_the_shop_takes_with_what_the_customer_will_be_told(marco_client, case):
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    for name in ("case_coupon", "case_reship", "case_change_address"):
        assert reverse(f"console:{name}", args=[case.pk]) in html
    assert "Usa il codice (il codice creato dal negozio) al momento del pagamento" in html
    assert "il nuovo ordine è (il numero del nuovo ordine)" in html
    assert "sarà consegnato al nuovo indirizzo" in html
    assert "<option>Cucina</option>" in html
    # Shipped: the address can no longer change.
    case.order.status = OrderStatus.SHIPPED
    case.order.save()
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    assert reverse("console:case_change_address", args=[case.pk]) not in html
    assert reverse("console:case_reship", args=[case.pk]) in html


def test_an_unconnected_shop_s_order_has_none_of_these_buttons(marco_client, customer, anna_order):
    case = make_case(customer, order=anna_order)
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    for name in ("case_coupon", "case_reship", "case_change_address"):
        assert reverse(f"console:{name}", args=[case.pk]) not in html


def test_a_coupon_from_the_case_is_made_once_and_its_code_sent_once(
    marco_client, case, shopify, django_capture_on_commit_callbacks
):
    form = {
        "idempotency_key": "k-coupon",
        "reason": "Ritardo",
        "kind": "amount",
        "value": "5.00",
        "category": "",
        "expires_on": "",
    }
    url = reverse("console:case_coupon", args=[case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = marco_client.post(url, form, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        marco_client.post(url, form)
    html = text(response)
    assert "Coupon (5,00 € di sconto) chiesto al negozio" in html
    coupon = Coupon.objects.get()
    assert coupon.status == ActionStatus.DONE and coupon.case == case
    assert len(shopify.price_rules) == 1 and len(shopify.discount_codes) == 1
    (mail,) = confirmations()
    body = mail.body_text.replace("\xa0", " ")
    assert "ecco 5,00 € di sconto sul tuo prossimo ordine" in body and coupon.code in body
    # The panel lists it with its code.
    assert coupon.code in text(marco_client.get(reverse("console:case", args=[case.pk])))


def test_an_amount_coupon_over_the_agent_s_limit_is_refused(marco_client, case, shopify):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("25"))
    form = {"idempotency_key": "k-big", "reason": "Scuse", "kind": "amount", "value": "30.00"}
    response = marco_client.post(reverse("console:case_coupon", args=[case.pk]), form, follow=True)
    assert "Un coupon di 30,00 € supera il tuo limite di 25,00 €" in text(response)
    assert Coupon.objects.count() == 0 and shopify.requests == []
    # A percentage is not an amount of money: it goes through.
    form = {"idempotency_key": "k-pct", "reason": "Scuse", "kind": "percentage", "value": "30"}
    marco_client.post(reverse("console:case_coupon", args=[case.pk]), form)
    assert Coupon.objects.get().kind == "percentage"


def test_send_again_from_the_case_makes_one_replacement_and_tells_the_customer(
    marco_client, case, shopify, django_capture_on_commit_callbacks
):
    url = reverse("console:case_reship", args=[case.pk])
    form = {"idempotency_key": "k-reship", "reason": "Pacco perso"}
    with django_capture_on_commit_callbacks(execute=True):
        response = marco_client.post(url, form, follow=True)
        marco_client.post(url, form)
    assert f"L'ordine {case.order.number} sta per essere rispedito" in text(response).replace("&#x27;", "'")
    reshipment = Reshipment.objects.get()
    assert reshipment.status == ActionStatus.DONE and len(shopify.made_orders()) == 1
    (mail,) = confirmations()
    assert mail.subject.startswith(f"Il tuo ordine {case.order.number} ripartirà a breve")
    assert "il nuovo ordine è #1002" in mail.body_text
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    assert "ordine sostitutivo #1002" in html and url not in html


def test_change_address_from_the_case_and_a_refusal_after_shipment(
    marco_client, case, shopify, django_capture_on_commit_callbacks
):
    url = reverse("console:case_change_address", args=[case.pk])
    form = {
        "idempotency_key": "k-address",
        "reason": "Trasloco",
        "name": "Anna Colombo",
        "street": "Corso Buenos Aires 12",
        "postcode": "20124",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
    }
    with django_capture_on_commit_callbacks(execute=True):
        marco_client.post(url, form)
        marco_client.post(url, form)
    case.order.refresh_from_db()
    assert case.order.shipping_street == "Corso Buenos Aires 12"
    assert AddressChange.objects.get().status == ActionStatus.DONE
    assert len(shopify.posts("orders/450789469.json", method="PUT")) == 1
    (mail,) = confirmations()
    assert "Corso Buenos Aires 12\n20124 Milano (MI)" in mail.body_text
    case.order.status = OrderStatus.SHIPPED
    case.order.save()
    response = marco_client.post(
        url, {**form, "idempotency_key": "k-late", "street": "Via Po 2"}, follow=True
    )
    assert "il suo indirizzo di consegna non si può più cambiare" in text(response)
    assert AddressChange.objects.count() == 1


def test_a_case_without_an_order_or_an_unknown_case_is_a_404(marco_client, customer, case, shopify):
    lonely = make_case(customer)
    form = {"idempotency_key": "k-x", "reason": "x", "kind": "free_shipping", "value": "0"}
    for case_id in (lonely.pk, case.pk + 1000):
        for name in ("case_coupon", "case_reship", "case_change_address"):
            assert marco_client.post(reverse(f"console:{name}", args=[case_id]), form).status_code == 404
    assert Coupon.objects.count() == 0 and Reshipment.objects.count() == 0 and shopify.requests == []


def test_a_coupon_refused_by_the_form_says_why(marco_client, case, shopify):
    form = {"idempotency_key": "k-bad", "reason": "x", "kind": "percentage", "value": "150"}
    response = marco_client.post(reverse("console:case_coupon", args=[case.pk]), form, follow=True)
    assert "Un coupon in percentuale vuole una percentuale da 1 a 100." in text(response)
    assert Coupon.objects.count() == 0 and shopify.requests == []
