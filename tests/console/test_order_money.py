"""The case page's Cancel and Refund: confirmations with what the customer will be told, the
agent's refund limit routed to an administrator, and the customer's confirmation in their
language once the shop has done it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from premura.agents.models import Notification, NotificationKind, RefundLimit, Role
from premura.channels.models import OutboundEmail, OutboundKind
from premura.commerce.models import OrderStatus, PaymentState, Refund, RefundStatus
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def text(response) -> str:
    """The page, its amounts' non-breaking spaces (Babel's "54,90\xa0€") as plain ones."""
    return response.content.decode().replace("\xa0", " ")


def confirmations() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk"))


def test_the_order_panel_offers_cancel_and_refund_with_what_the_customer_will_be_told(
    marco_client, shopify, shop_connection, customer
):
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    case = make_case(customer, order=order)
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    assert reverse("console:case_cancel_order", args=[case.pk]) in html
    # Authorised only: nothing to refund yet, and the customer is told the money is free.
    assert reverse("console:case_refund_order", args=[case.pk]) not in html
    assert "Autorizzato (importo bloccato)" in html
    assert "sul tuo conto è stato sbloccato" in html


def test_an_unconnected_shop_s_order_has_no_money_buttons(marco_client, customer, anna_order):
    case = make_case(customer, order=anna_order)
    html = text(marco_client.get(reverse("console:case", args=[case.pk])))
    assert reverse("console:case_cancel_order", args=[case.pk]) not in html
    assert "annulla o rimborsa l'ordine dal pannello del negozio" in html


def test_cancel_from_the_case_voids_and_tells_the_customer_once(
    marco_client, shopify, shop_connection, customer, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    case = make_case(customer, order=order)
    form = {"idempotency_key": "k-cancel", "reason": "Ordine doppio"}
    with django_capture_on_commit_callbacks(execute=True):
        response = marco_client.post(reverse("console:case_cancel_order", args=[case.pk]), form, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        marco_client.post(reverse("console:case_cancel_order", args=[case.pk]), form)
    html = text(response)
    assert "autorizzazione sulla carta di 54,90 € viene annullata subito" in html
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.VOIDED
    assert len(shopify.posts("cancel.json")) == 1
    (mail,) = confirmations()
    assert mail.subject.startswith("Il tuo ordine PRM-") and "è annullato" in mail.subject
    assert "I 54,90 € bloccati sulla tua carta sono stati sbloccati" in mail.body_text.replace("\xa0", " ")


def test_an_agent_over_their_limit_is_told_and_the_refund_waits_for_an_administrator(
    client, agent, admin, shopify, shop_connection, customer, django_capture_on_commit_callbacks
):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("25"))
    order = shop_order(shopify, customer)
    case = make_case(customer, order=order)
    client.force_login(agent.user)
    form = {"idempotency_key": "k-over", "reason": "Caffettiera rotta", "amount": "30.00", "to": "card"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:case_refund_order", args=[case.pk]), form, follow=True)
        client.post(reverse("console:case_refund_order", args=[case.pk]), form)
    assert "I rimborsi oltre 25,00 € richiedono l&#x27;approvazione di un amministratore" in text(response)
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.AWAITING_APPROVAL and refund.requested_by == agent.user
    assert shopify.requests == [] and confirmations() == []
    (notice,) = Notification.objects.filter(kind=NotificationKind.REFUND_APPROVAL)
    assert notice.recipient == admin and notice.case_id == case.pk
    assert notice.data == {
        "refund_id": refund.pk,
        "order": order.number,
        "amount": "30.00",
        "currency": "EUR",
        "requested_by": "Marco Rossi",
    }
    # The agent cannot approve it themselves.
    decision = reverse("console:case_refund_decision", args=[case.pk, refund.pk])
    client.post(decision, {"decision": "approve"})
    refund.refresh_from_db()
    assert refund.status == RefundStatus.AWAITING_APPROVAL and shopify.requests == []
    # The administrator is told in words, in their language, and approves it on the case page:
    # the shop refunds once.
    client.force_login(admin.user)
    told = text(client.get(reverse("console:notifications")))
    assert f"Marco Rossi chiede di rimborsare 30,00 € sull'ordine {order.number}" in told
    assert decision in text(client.get(reverse("console:case", args=[case.pk])))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decision, {"decision": "approve"})
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.approved_by == admin.user
    assert len(shopify.orders["450789469"]["refunds"]) == 1
    (mail,) = confirmations()
    body = mail.body_text.replace("\xa0", " ")
    assert "abbiamo rimborsato 30,00 €" in body and "sulla carta con cui hai pagato" in body
    assert "La tua banca dovrebbe mostrarlo entro" in body


def test_within_the_limit_a_refund_goes_to_the_shop_at_once(
    marco_client, shopify, shop_connection, customer, django_capture_on_commit_callbacks
):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("25"))
    order = shop_order(shopify, customer)
    case = make_case(customer, order=order)
    form = {"idempotency_key": "k-in", "reason": "Graffio sul coperchio", "amount": "12.50", "to": "card"}
    with django_capture_on_commit_callbacks(execute=True):
        response = marco_client.post(reverse("console:case_refund_order", args=[case.pk]), form, follow=True)
    assert "Rimborso di 12,50 € chiesto al negozio" in text(response)
    assert Refund.objects.get().status == RefundStatus.SUBMITTED
    assert len(shopify.orders["450789469"]["refunds"]) == 1
    assert len(confirmations()) == 1


def test_a_refused_refund_says_why_and_leaves_nothing(marco_client, shopify, shop_connection, customer):
    order = shop_order(shopify, customer)
    case = make_case(customer, order=order)
    form = {"idempotency_key": "k-bad", "reason": "Troppo", "amount": "99.00", "to": "card"}
    response = marco_client.post(reverse("console:case_refund_order", args=[case.pk]), form, follow=True)
    refused = "Il rimborso di 99,00 € non è compreso tra 0,01 € e i 54,90 € ancora da rimborsare."
    assert refused in text(response)
    assert Refund.objects.count() == 0 and shopify.requests == [] and confirmations() == []
