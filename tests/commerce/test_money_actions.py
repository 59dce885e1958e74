"""Cancel and refund through the Shopify connector against the fake shop: the row first, the
platform call in a task, the state from its answer; never twice for a double click, a retried
job or an outage; a refused action leaves no row and makes no call."""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import translation

from premura.commerce import services, submission
from premura.commerce.exceptions import OrderError, RefundError
from premura.commerce.models import (
    Cancellation,
    CancellationOutcome,
    CancellationStatus,
    OrderStatus,
    PaymentState,
    Refund,
    RefundDestination,
    RefundStatus,
)
from premura.core import clock
from premura.core.models import AuditEvent
from tests.commerce.shop import shop_order
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def later(minutes: float) -> datetime.datetime:
    return clock.now() + datetime.timedelta(minutes=minutes)


def test_it_cancels_an_authorised_order_and_voids_the_authorisation(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-1", actor=agent.user, reason="Ordered twice")
    assert cancellation.outcome == CancellationOutcome.VOID
    assert cancellation.amount == Decimal("54.90")
    cancellation.refresh_from_db()
    order.refresh_from_db()
    payment = order.payments.get()
    assert cancellation.status == CancellationStatus.DONE
    assert order.status == OrderStatus.CANCELLED
    assert payment.state == PaymentState.VOIDED and payment.voided_at is not None
    assert shopify.posts("cancel.json") == [{"reason": "customer", "email": False}]
    voids = [t for t in shopify.orders["450789469"]["transactions"] if t["kind"] == "void"]
    assert len(voids) == 1 and cancellation.external_id == str(voids[0]["id"])
    assert shopify.orders["450789469"]["refunds"] == []
    actions = list(AuditEvent.objects.filter(subject_id=order.pk).values_list("action", flat=True))
    assert actions == ["order.cancel_requested", "order.status_changed", "payment.voided", "order.cancelled"]
    requested = AuditEvent.objects.get(action="order.cancel_requested")
    assert requested.actor == agent.user
    assert requested.data["reason"] == "Ordered twice" and requested.data["amount"] == "54.90"


def test_cancelling_a_captured_order_refunds_it_once(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer, state=PaymentState.CAPTURED)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.cancel(order, idempotency_key="c-2", actor=agent.user, reason="Changed mind")
    assert cancellation.outcome == CancellationOutcome.REFUND
    refund = Refund.objects.get(order=order)
    assert refund.idempotency_key == "c-2:refund"
    assert refund.status == RefundStatus.SUBMITTED and refund.amount == Decimal("54.90")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.REFUNDED
    assert len(shopify.orders["450789469"]["refunds"]) == 1


def test_a_partial_refund_reaches_the_platform_with_its_transaction(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-1", actor=agent.user, reason="Scratched lid"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED
    assert refund.expected_arrival_at is not None and refund.attempts == 1
    (made,) = shopify.orders["450789469"]["refunds"]
    assert refund.external_id == str(made["id"])
    assert made["note"] == "Scratched lid [premura:r-1]"
    sale = shopify.orders["450789469"]["transactions"][0]
    (body,) = shopify.posts("refunds.json")
    assert body["refund"]["notify"] is False
    assert body["refund"]["transactions"] == [
        {"parent_id": sale["id"], "amount": "20.00", "kind": "refund", "gateway": "shopify_payments"}
    ]
    assert order.payments.get().state == PaymentState.PARTIALLY_REFUNDED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert services.refundable_amount(order) == Decimal("34.90")


def test_store_credit_is_a_single_use_discount_code(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order,
            Decimal("10"),
            to=RefundDestination.STORE_CREDIT,
            idempotency_key="r-credit",
            actor=agent.user,
            reason="Late delivery",
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    (rule,) = shopify.price_rules
    assert rule["value"] == "-10.00" and rule["usage_limit"] == 1 and rule["value_type"] == "fixed_amount"
    (code,) = shopify.discount_codes
    assert refund.external_id == code["code"] and code["price_rule_id"] == rule["id"]
    # The card was not refunded: the payment stays captured.
    assert shopify.orders["450789469"]["refunds"] == []
    assert order.payments.get().state == PaymentState.CAPTURED


def test_a_double_submission_refunds_once(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.refund(
            order, Decimal("20"), idempotency_key="r-2", actor=agent.user, reason="Scratched"
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.refund(
            order, Decimal("20"), idempotency_key="r-2", actor=agent.user, reason="Scratched"
        )
    assert second.pk == first.pk
    assert Refund.objects.count() == 1
    assert len(shopify.posts("refunds.json")) == 1


def test_a_retried_job_refunds_once(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-3", actor=agent.user, reason="Scratched"
        )
    submission.submit("refund", refund.pk)
    with clock.frozen_at(later(90)):
        assert submission.submit_due_actions() == 0
    assert len(shopify.posts("refunds.json")) == 1


def test_a_worker_that_dies_after_the_platform_refunded_never_refunds_again(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    crash = mock.patch.object(services, "mark_refund_submitted", side_effect=RuntimeError("worker killed"))
    with crash, django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-4", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert len(shopify.orders["450789469"]["refunds"]) == 1
    with clock.frozen_at(later(5)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED
    (made,) = shopify.orders["450789469"]["refunds"]
    assert refund.external_id == str(made["id"])
    assert len(shopify.posts("refunds.json")) == 1


def test_an_outage_is_retried_and_never_duplicated(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    shopify.fail_next("POST", "refunds.json", 503, body={"errors": "Service Unavailable"})
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-5", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert refund.attempts == 1 and refund.error == "Service Unavailable"
    assert refund.next_attempt_at == pytest.approx(
        clock.now() + datetime.timedelta(seconds=30), abs=datetime.timedelta(seconds=5)
    )
    # Not due yet: the sweeper leaves it.
    assert submission.submit_due_actions() == 0
    with clock.frozen_at(later(1)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.attempts == 2
    assert len(shopify.orders["450789469"]["refunds"]) == 1
    assert len(shopify.posts("refunds.json")) == 2  # the refused one and the one that went through


def test_a_throttled_call_waits_as_long_as_the_platform_asks(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    shopify.fail_next(
        "POST",
        "refunds.json",
        429,
        body={"errors": "Exceeded 2 calls per second for api client."},
        headers={"Retry-After": "120.0"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-6", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert refund.error == "Exceeded 2 calls per second for api client."
    assert refund.next_attempt_at >= clock.now() + datetime.timedelta(seconds=110)
    with clock.frozen_at(later(1)):
        assert submission.submit_due_actions() == 0
    with clock.frozen_at(later(3)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    assert len(shopify.orders["450789469"]["refunds"]) == 1


def test_a_refusal_by_the_platform_fails_with_its_message_and_is_not_retried(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    shopify.fail_next(
        "POST",
        "refunds.json",
        422,
        body={"errors": {"base": ["Refund amount must be less than or equal to the refundable amount"]}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-7", actor=agent.user, reason="Scratched"
        )
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert refund.error == "Refund amount must be less than or equal to the refundable amount"
    assert AuditEvent.objects.filter(action="refund.failed", subject_id=order.pk).count() == 1
    with clock.frozen_at(later(120)):
        assert submission.submit_due_actions() == 0
    # What failed can be refunded again.
    assert services.refundable_amount(order) == Decimal("54.90")


def test_an_outage_that_lasts_gives_up_after_the_last_attempt(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    for _attempt in range(submission.MAX_ATTEMPTS):
        shopify.fail_next("POST", "refunds.json", 502, body={"errors": "Bad Gateway"})
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order, Decimal("20"), idempotency_key="r-8", actor=agent.user, reason="Scratched"
        )
    for hour in range(1, submission.MAX_ATTEMPTS + 1):
        with clock.frozen_at(later(61 * hour)), django_capture_on_commit_callbacks(execute=True):
            submission.submit_due_actions()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert refund.error == f"Gave up after {submission.MAX_ATTEMPTS} attempts: Bad Gateway"
    assert shopify.orders["450789469"]["refunds"] == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("60"), "The refund of €60.00 is not between €0.01 and the €54.90 left to refund."),
        (Decimal("0"), "The refund of €0.00 is not between €0.01 and the €54.90 left to refund."),
    ],
)
def test_a_refused_refund_leaves_no_row_and_makes_no_call(
    shopify, shop_connection, customer, agent, amount, message, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with (
        pytest.raises(RefundError, match=re.escape(message)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund(order, amount, idempotency_key="r-9", actor=agent.user, reason="Scratched")
    assert Refund.objects.count() == 0
    assert shopify.requests == []


def test_a_refund_without_a_reason_or_of_an_unconnected_shop_is_refused(
    shopify, shop_connection, customer, agent
):
    order = shop_order(shopify, customer)
    with pytest.raises(RefundError, match="Say why"):
        services.refund(order, Decimal("5"), idempotency_key="r-10", actor=agent.user, reason="  ")
    manual = OrderFactory(customer=customer)
    OrderLineFactory(order=manual)
    PaymentFactory(order=manual)
    with pytest.raises(OrderError, match="do it in the shop's back office"):
        services.refund(manual, Decimal("5"), idempotency_key="r-11", actor=agent.user, reason="Scratched")
    assert Refund.objects.count() == 0
    assert shopify.requests == []


def test_a_shipped_order_cannot_be_cancelled(shopify, shop_connection, customer, agent):
    order = shop_order(shopify, customer, status=OrderStatus.SHIPPED)
    with pytest.raises(OrderError, match="it can no longer be cancelled"):
        services.cancel(order, idempotency_key="c-3", actor=agent.user, reason="Too late")
    assert Cancellation.objects.count() == 0
    assert shopify.requests == []


def test_over_the_limit_a_refund_waits_for_approval_without_a_platform_call(
    shopify, shop_connection, customer, agent, admin, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund(
            order,
            Decimal("30"),
            idempotency_key="r-12",
            actor=agent.user,
            reason="Broken",
            limit=Decimal("25"),
        )
    assert refund.status == RefundStatus.AWAITING_APPROVAL
    assert shopify.requests == []
    # What waits is held: it cannot be refunded twice meanwhile.
    assert services.refundable_amount(order) == Decimal("24.90")
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_refund(refund, actor=admin.user)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.approved_by == admin.user
    assert len(shopify.orders["450789469"]["refunds"]) == 1
    with pytest.raises(RefundError):
        services.approve_refund(refund, actor=admin.user)


def test_a_cancellation_refunds_only_what_the_back_office_left(
    shopify, shop_connection, customer, agent, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer, state=PaymentState.CAPTURED)
    # The task has not run yet when someone refunds 20 € in Shopify's back office.
    cancellation = services.cancel(order, idempotency_key="c-4", actor=agent.user, reason="Changed mind")
    services.record_platform_refund(order, external_id="929361462", amount=Decimal("20.00"))
    with django_capture_on_commit_callbacks(execute=True):
        submission.submit("cancellation", cancellation.pk)
    refund = Refund.objects.get(idempotency_key="c-4:refund")
    assert refund.amount == Decimal("34.90") and refund.status == RefundStatus.SUBMITTED
    assert order.payments.get().state == PaymentState.REFUNDED
