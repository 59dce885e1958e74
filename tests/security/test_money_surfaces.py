"""The case page's money actions as an attacker tries them: hostile amounts and keys, ids of other
orders' refunds, no CSRF token, people who are not agents, a missing answer to an approval. Each
is refused with nothing written and no call to the shop's platform."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from premura.agents.models import RefundLimit, Role
from premura.commerce.models import Refund, RefundStatus
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(shopify, shop_connection, customer):
    return make_case(customer, order=shop_order(shopify, customer))


def refund_form(**changes) -> dict:
    return {"idempotency_key": "k-1", "reason": "Graffio", "amount": "10.00", "to": "card", **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "-5"},
        {"amount": "0"},
        {"amount": "0.001"},
        {"amount": "NaN"},
        {"amount": "Infinity"},
        {"amount": "1e3"},
        {"amount": "9" * 40},
        {"amount": ""},
        {"to": "bitcoin"},
        {"idempotency_key": ""},
        {"idempotency_key": "k" * 65},
        {"reason": ""},
        {"reason": "x" * 201},
    ],
)
def test_a_hostile_refund_form_is_refused_and_writes_nothing(client, agent, case, shopify, changes):
    client.force_login(agent.user)
    url = reverse("console:case_refund_order", args=[case.pk])
    response = client.post(url, refund_form(**changes), follow=True)
    assert response.status_code == 200
    assert '<li class="error">' in response.content.decode()
    assert Refund.objects.count() == 0 and shopify.requests == []


def test_without_the_csrf_token_nothing_happens(agent, case, shopify):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    response = client.post(reverse("console:case_refund_order", args=[case.pk]), refund_form())
    assert response.status_code == 403
    assert Refund.objects.count() == 0 and shopify.requests == []


def test_only_agents_act_on_money(client, case, shopify, django_user_model):
    url = reverse("console:case_refund_order", args=[case.pk])
    assert client.post(url, refund_form()).status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user("curioso", password="pw-lunga-abbastanza"))
    assert client.post(url, refund_form()).status_code == 403
    assert Refund.objects.count() == 0 and shopify.requests == []


@pytest.mark.parametrize("case_id", [0, 2**63, 10**25])
def test_unknown_case_ids_are_not_found(client, agent, case, case_id):
    client.force_login(agent.user)
    assert client.post(f"/console/cases/{case_id}/order/refund/", refund_form()).status_code == 404
    assert client.post(f"/console/cases/{case_id}/order/cancel/", refund_form()).status_code == 404


def test_a_refund_of_another_order_cannot_be_decided_through_this_case(
    client, admin, agent, case, shopify, shop_connection
):
    """The refund id must belong to the case's own order; another order's refund is not found."""
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("5"))
    client.force_login(agent.user)
    client.post(reverse("console:case_refund_order", args=[case.pk]), refund_form())
    waiting = Refund.objects.get()
    assert waiting.status == RefundStatus.AWAITING_APPROVAL
    stranger = CustomerFactory()
    other_case = make_case(stranger, order=shop_order(shopify, stranger, external_id="450789470"))
    client.force_login(admin.user)
    url = reverse("console:case_refund_decision", args=[other_case.pk, waiting.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == RefundStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("answer", [None, "", "APPROVE", "yes"])
def test_a_missing_or_unknown_answer_neither_approves_nor_declines(client, admin, agent, case, answer):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("5"))
    client.force_login(agent.user)
    client.post(reverse("console:case_refund_order", args=[case.pk]), refund_form())
    waiting = Refund.objects.get()
    client.force_login(admin.user)
    form = {} if answer is None else {"decision": answer}
    url = reverse("console:case_refund_decision", args=[case.pk, waiting.pk])
    page = client.post(url, form, follow=True).content.decode()
    assert "Approva o rifiuta il rimborso" in page or "Approve or decline the refund" in page
    waiting.refresh_from_db()
    assert waiting.status == RefundStatus.AWAITING_APPROVAL
