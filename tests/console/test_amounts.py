"""The case page writes every amount in its own currency, in the agent's language."""

from decimal import Decimal

from django.urls import reverse

from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory
from tests.factories.conversations import make_case


def test_amounts_follow_the_order_currency_and_never_add_up_across_currencies(client, agent, customer):
    pounds = OrderFactory(
        customer=customer,
        number="PRM-300001",
        currency="GBP",
        subtotal=Decimal("1200.00"),
        shipping_total=Decimal("9.50"),
        total=Decimal("1209.50"),
    )
    OrderLineFactory(
        order=pounds, name="Cucina a gas", unit_price=Decimal("1200.00"), total=Decimal("1200.00")
    )
    PaymentFactory(order=pounds, amount=Decimal("1209.50"), currency="GBP")
    OrderFactory(customer=customer, number="PRM-300002", currency="EUR", total=Decimal("54.90"))
    case = make_case(customer, order=pounds)
    client.force_login(agent.user)
    url = reverse("console:case", args=[case.pk])

    italian = client.get(url).content.decode()
    assert '<td class="num">1.200,00\u00a0£</td>' in italian
    assert '<td class="num">1.209,50\u00a0£</td>' in italian
    assert "Carta · 1.209,50\u00a0£ ·" in italian
    assert "<dd>54,90\u00a0€<br>1.209,50\u00a0£</dd>" in italian  # lifetime value, one line per currency
    assert "1.264,40" not in italian  # what a sum of euros and pounds would say

    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert '<td class="num">£1,209.50</td>' in english
    assert "<dd>€54.90<br>£1,209.50</dd>" in english


def test_a_customer_without_revenue_has_no_lifetime_amount(client, agent, customer):
    case = make_case(customer)
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "<dt>Totale acquisti</dt><dd>—</dd>" in html
