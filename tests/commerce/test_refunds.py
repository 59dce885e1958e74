"""Refunds: requested, submitted to the provider, completed; each step once, in order, with its event."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from premura.commerce.exceptions import RefundError
from premura.commerce.models import OrderStatus, PaymentState, Refund, RefundStatus
from premura.commerce.services import mark_refund_completed, mark_refund_submitted, request_refund
from premura.core import clock
from premura.core.audit import events_for
from tests.factories.commerce import OrderFactory, PaymentFactory

WHEN = datetime.datetime(2026, 5, 4, 9, 30, tzinfo=datetime.UTC)
ARRIVAL = WHEN + datetime.timedelta(days=10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def order(db):
    order = OrderFactory(status=OrderStatus.DELIVERED, total=Decimal("54.90"))
    PaymentFactory(order=order, amount=Decimal("54.90"), state=PaymentState.CAPTURED)
    return order


def test_a_full_refund_refunds_the_payment_and_the_order(order, agent):
    with clock.frozen_at(WHEN):
        refund = request_refund(
            order, amount=Decimal("54.90"), idempotency_key="k-1", reason="Reso", actor=agent.user
        )
        refund = mark_refund_submitted(refund, expected_arrival_at=ARRIVAL, actor=agent.user)
    with clock.frozen_at(ARRIVAL):
        refund = mark_refund_completed(refund)
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.created_at, refund.expected_arrival_at, refund.completed_at) == (
        RefundStatus.COMPLETED,
        WHEN,
        ARRIVAL,
        ARRIVAL,
    )
    assert refund.requested_by == agent.user
    assert order.status == OrderStatus.REFUNDED
    assert order.payments.get().state == PaymentState.REFUNDED
    assert [(e.action, e.created_at) for e in events_for(order)] == [
        ("refund.requested", WHEN),
        ("order.status_changed", WHEN),
        ("refund.submitted", WHEN),
        ("refund.completed", ARRIVAL),
    ]


def test_a_partial_refund_leaves_the_order_as_it_was(order):
    refund = request_refund(order, amount=Decimal("20"), idempotency_key="k-2")
    mark_refund_submitted(refund, expected_arrival_at=ARRIVAL)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.payments.get().state == PaymentState.PARTIALLY_REFUNDED


def test_the_same_key_returns_the_first_refund_and_another_use_of_it_is_refused(order):
    first = request_refund(order, amount=Decimal("20"), idempotency_key="k-3")
    assert request_refund(order, amount=Decimal("20.00"), idempotency_key="k-3") == first
    with pytest.raises(RefundError, match="used for another refund"):
        request_refund(order, amount=Decimal("21"), idempotency_key="k-3")
    assert Refund.objects.count() == 1
    assert [e.action for e in events_for(order)] == ["refund.requested"]


def test_no_more_than_what_is_left_can_be_refunded(order):
    request_refund(order, amount=Decimal("50"), idempotency_key="k-4")
    with pytest.raises(RefundError, match="between €0.01 and the €4.90 left"):
        request_refund(order, amount=Decimal("5"), idempotency_key="k-5")
    assert Refund.objects.count() == 1


def test_an_order_without_captured_money_has_nothing_to_refund(db):
    order = OrderFactory(status=OrderStatus.PAID)
    PaymentFactory(order=order, state=PaymentState.AUTHORIZED)
    with pytest.raises(RefundError, match="no captured payment"):
        request_refund(order, amount=Decimal("1"), idempotency_key="k-6")
    assert not Refund.objects.exists() and not events_for(order).exists()


def test_a_refund_moves_only_forward(order):
    refund = request_refund(order, amount=Decimal("54.90"), idempotency_key="k-7")
    with pytest.raises(RefundError, match="cannot become Arrived"):
        mark_refund_completed(refund)
    mark_refund_submitted(refund, expected_arrival_at=ARRIVAL)
    with pytest.raises(RefundError, match="cannot become Submitted"):
        mark_refund_submitted(refund, expected_arrival_at=ARRIVAL)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED and refund.completed_at is None
