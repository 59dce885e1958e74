"""Refunds and cancellations through the REST API (POST /api/v1/orders/{number}/refunds and
/cancel): the console's money actions (care.money) with the token's agent as the actor, the
Idempotency-Key required and used as the action's key, against the fake Shopify on 127.0.0.1."""

import datetime
import json
from decimal import Decimal

import pytest

from premura.agents.models import Notification, NotificationKind, RefundLimit, Role
from premura.api.idempotency import IDEMPOTENCY_KEY_TTL
from premura.api.models import IdempotentRequest
from premura.channels.models import OutboundEmail, OutboundKind
from premura.commerce import submission
from premura.commerce.models import (
    Cancellation,
    OrderStatus,
    PaymentState,
    Refund,
    RefundDestination,
    RefundStatus,
)
from premura.core import clock
from premura.core.models import AuditEvent
from tests.api.conftest import row_counts
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

pytestmark = pytest.mark.django_db

REFUND = {"amount": "20.00", "to": "card", "reason": "Caffettiera arrivata graffiata"}


def post(api, path, body, key="k-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    headers = {**api.headers, **headers}
    return api.client.post(path, json.dumps(body), content_type="application/json", **headers)


def refunds_path(order) -> str:
    return f"/api/v1/orders/{order.number}/refunds"


def money_rows() -> dict:
    return {
        **row_counts(),
        "Refund": Refund.objects.count(),
        "Cancellation": Cancellation.objects.count(),
        "IdempotentRequest": IdempotentRequest.objects.count(),
    }


@pytest.fixture
def order(shopify, shop_connection, customer):
    order = shop_order(shopify, customer)
    make_case(customer, order=order)
    return order


def test_a_refund_reaches_the_shop_once_when_the_request_is_sent_twice(
    agent_api, agent, order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(agent_api, refunds_path(order), REFUND)
    assert first.status_code == 201, first.content
    data = first.json()
    refund = Refund.objects.get()
    assert data["id"] == refund.pk and refund.requested_by == agent.user
    assert (data["amount"], data["currency"], data["destination"], data["status"]) == (
        "20.00",
        "EUR",
        "card",
        "requested",
    )
    # The answer comes before the shop is asked (on commit, in a task): the date comes with its answer.
    assert data["expected_arrival_at"] is None
    assert data["message"].startswith("Refund of €20.00 asked of the shop")
    # Sent again (a timeout, a proxy's retry): the first answer, nothing asked of the shop again.
    with django_capture_on_commit_callbacks(execute=True):
        again = post(agent_api, refunds_path(order), REFUND)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == refund.pk
    # A retried job does nothing either.
    submission.submit("refund", refund.pk)
    assert Refund.objects.count() == 1
    assert len(shopify.posts("refunds.json")) == 1
    # The customer is told once, in their language, as from the console.
    (mail,) = OutboundEmail.objects.filter(kind=OutboundKind.NOTICE)
    assert "abbiamo rimborsato 20,00 €" in mail.body_text.replace("\xa0", " ")
    listed = agent_api.get(refunds_path(order).lower())
    assert listed.status_code == 200
    (listed_refund,) = listed.json()
    assert (listed_refund["id"], listed_refund["amount"], listed_refund["status"]) == (
        refund.pk,
        "20.00",
        "submitted",
    )
    assert listed_refund["expected_arrival_at"] is not None


def test_the_same_key_with_another_body_is_refused_and_refunds_nothing(agent_api, order, shopify):
    assert post(agent_api, refunds_path(order), REFUND).status_code == 201
    before = money_rows()
    response = post(agent_api, refunds_path(order), {**REFUND, "amount": "30.00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "idempotency_key_reused"
    assert money_rows() == before


def test_another_key_makes_a_second_refund_only_while_money_is_left(
    agent_api, order, shopify, django_capture_on_commit_callbacks
):
    body = {**REFUND, "amount": "30.00"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(agent_api, refunds_path(order), body, key="k-a").status_code == 201
        assert post(agent_api, refunds_path(order), body, key="k-b").status_code == 422
    # 30 of 54.90 refunded: another 30 is more than is left.
    assert Refund.objects.count() == 1
    assert len(shopify.posts("refunds.json")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        last = post(agent_api, refunds_path(order), {**body, "amount": "24.90"}, key="k-c")
    assert last.status_code == 201, last.content
    assert Refund.objects.count() == 2
    assert len(shopify.posts("refunds.json")) == 2


def test_over_the_agent_s_limit_the_refund_awaits_an_administrator(
    agent_api, admin, order, shopify, django_capture_on_commit_callbacks
):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("15"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_api, refunds_path(order), REFUND)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == RefundStatus.AWAITING_APPROVAL and data["expected_arrival_at"] is None
    assert "need an administrator's approval" in data["message"]
    assert shopify.requests == []
    (notice,) = Notification.objects.filter(kind=NotificationKind.REFUND_APPROVAL)
    assert notice.recipient == admin and notice.case_id == order.cases.get().pk


def test_an_administrator_s_token_refunds_as_store_credit(
    admin_api, order, shopify, django_capture_on_commit_callbacks
):
    RefundLimit.objects.create(role=Role.AGENT, currency="EUR", amount=Decimal("15"))
    body = {**REFUND, "to": "store_credit"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_api, refunds_path(order), body)
    assert response.status_code == 201, response.content
    assert response.json()["destination"] == RefundDestination.STORE_CREDIT
    # A store credit is a discount code: the customer has it as soon as the shop made it.
    assert Refund.objects.get().status == RefundStatus.COMPLETED
    assert shopify.posts("refunds.json") == [] and len(shopify.posts("discount_codes.json")) == 1


def test_cancel_voids_the_authorisation(
    agent_api, shopify, shop_connection, customer, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    make_case(customer, order=order)
    path = f"/api/v1/orders/{order.number}/cancel"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_api, path, {"reason": "Ordine doppio"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["outcome"], data["amount"], data["currency"], data["status"]) == (
        "void",
        "54.90",
        "EUR",
        "requested",
    )
    assert "voided at once" in data["message"]
    with django_capture_on_commit_callbacks(execute=True):
        assert post(agent_api, path, {"reason": "Ordine doppio"}).status_code == 201
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.VOIDED
    assert Cancellation.objects.count() == 1
    assert len(shopify.posts("cancel.json")) == 1


@pytest.mark.parametrize(
    "body",
    [
        {**REFUND, "amount": "-5.00"},
        {**REFUND, "amount": "NaN"},
        {**REFUND, "amount": "1e3"},
        {**REFUND, "amount": "10.001"},
        {**REFUND, "amount": 10.5},
        {**REFUND, "amount": "Infinity"},
        {**REFUND, "to": "bank_transfer"},
        {**REFUND, "reason": ""},
        {**REFUND, "reason": "x" * 201},
        {**REFUND, "case_id": 1},
        {"amount": "20.00", "to": "card"},
    ],
)
def test_malformed_refunds_are_refused_with_nothing_written(agent_api, order, shopify, body):
    before = money_rows()
    response = post(agent_api, refunds_path(order), body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]
    assert money_rows() == before and shopify.requests == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {**REFUND, "amount": "99.00"},
            "The refund of €99.00 is not between €0.01 and the €54.90 left to refund.",
        ),
        ({**REFUND, "amount": "0"}, "is not between €0.01 and"),
        ({**REFUND, "reason": "   "}, "Say why the order is refunded."),
    ],
)
def test_refused_refunds_say_why_and_write_nothing(agent_api, order, shopify, body, detail):
    before = {**money_rows(), "IdempotentRequest": 1}  # the refusal is kept for the key (decision 0007)
    audit = AuditEvent.objects.count()
    response = post(agent_api, refunds_path(order), body)
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert money_rows() == before and AuditEvent.objects.count() == audit and shopify.requests == []


def test_an_unconnected_shop_s_order_and_an_order_without_a_case_are_refused(
    agent_api, customer, anna_order, shopify, shop_connection
):
    make_case(customer, order=anna_order)
    response = post(agent_api, refunds_path(anna_order), REFUND, key="k-manual")
    assert response.status_code == 422
    assert "Premura cannot act on the shop of order" in response.json()["detail"]
    lonely = shop_order(shopify, customer, external_id="450789470")
    response = post(agent_api, f"/api/v1/orders/{lonely.number}/cancel", {"reason": "Doppio"}, key="k-lonely")
    assert response.status_code == 422
    assert f"Order {lonely.number} has no case" in response.json()["detail"]
    path = f"/api/v1/orders/{lonely.number}/cancel"
    response = post(agent_api, path, {"reason": "Doppio"}, key="k-it", HTTP_ACCEPT_LANGUAGE="it")
    assert f"L'ordine {lonely.number} non ha una pratica" in response.json()["detail"]
    assert Refund.objects.count() == 0 and Cancellation.objects.count() == 0 and shopify.requests == []


def test_the_idempotency_key_is_required(agent_api, order, shopify):
    response = post(agent_api, refunds_path(order), REFUND, key=None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert Refund.objects.count() == 0 and shopify.requests == []


def test_an_unknown_order_is_a_404_and_no_token_a_401(agent_api, anonymous_api, order):
    assert post(agent_api, "/api/v1/orders/PRM-404/refunds", REFUND).status_code == 404
    assert post(agent_api, "/api/v1/orders/PRM-404/cancel", {"reason": "x"}, key="k-2").status_code == 404
    assert agent_api.get("/api/v1/orders/PRM-404/refunds").status_code == 404
    assert post(anonymous_api, refunds_path(order), REFUND).status_code == 401
    assert anonymous_api.get(refunds_path(order)).status_code == 401
    assert Refund.objects.count() == 0


def test_the_schema_lists_the_money_endpoints_with_the_key_required(db, anonymous_api):
    paths = anonymous_api.get("/api/openapi.json").json()["paths"]
    refunds = paths["/api/v1/orders/{number}/refunds"]
    assert set(refunds) == {"get", "post"}
    for operation in (refunds["post"], paths["/api/v1/orders/{number}/cancel"]["post"]):
        assert sorted(operation["responses"]) == ["200", "201", "401", "403", "404", "409", "422"]
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and header["required"] is True


def test_a_key_sent_again_after_it_expired_answers_200_with_the_same_refund(
    agent_api, order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(agent_api, refunds_path(order), REFUND)
    assert first.status_code == 201
    later = clock.now() + IDEMPOTENCY_KEY_TTL + datetime.timedelta(hours=1)
    with clock.frozen_at(later), django_capture_on_commit_callbacks(execute=True):
        again = post(agent_api, refunds_path(order), REFUND)
    # The API's key counts as new after 24 hours, but it is still the refund's key: no second refund.
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert Refund.objects.count() == 1 and len(shopify.posts("refunds.json")) == 1
