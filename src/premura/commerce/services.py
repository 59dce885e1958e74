"""Order actions: import an order from a shop, with its lines, payment and shipping address;
the money actions (docs/architecture.md, "Money"; decisions 0030, 0031): cancel, refund, coupon,
re-ship and change the delivery address, each a row written "requested" and committed before a
task asks the shop's platform (commerce.submission), idempotent on its key; and the states the
platform's answers and webhooks move them to.

Amounts are Decimals with two places; an order is refused unless its total is the sum of its lines
plus shipping, so every later refund and compensation starts from consistent numbers.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.exceptions import DuplicateOrder, OrderError, RefundError
from premura.commerce.models import (
    ActionStatus,
    AddressChange,
    Cancellation,
    CancellationOutcome,
    CancellationStatus,
    Coupon,
    CouponKind,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundDestination,
    RefundStatus,
    Reshipment,
    ShopConnection,
)
from premura.commerce.signals import refund_completed
from premura.core import clock, text
from premura.core.audit import record_event
from premura.core.money import format_money
from premura.customers.models import Customer

CENT = Decimal("0.01")


@dataclass(frozen=True)
class NewOrderLine:
    sku: str
    name: str
    unit_price: Decimal
    quantity: int = 1
    # The line's total after discounts; quantity × unit_price when not given.
    total: Decimal | None = None
    category: str = ""


@dataclass(frozen=True)
class NewPayment:
    method: str
    state: str
    amount: Decimal
    provider: str = ""
    external_id: str = ""
    authorized_at: datetime.datetime | None = None
    captured_at: datetime.datetime | None = None
    voided_at: datetime.datetime | None = None


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    street: str
    postcode: str
    city: str
    province: str = ""
    country: str = "IT"


def _utc(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        raise OrderError(_("Times need a time zone: %(value)s") % {"value": value.isoformat()})
    return value.astimezone(datetime.UTC)


def _money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)


@transaction.atomic
def import_order(
    *,
    number: str,
    customer: Customer,
    lines: Sequence[NewOrderLine],
    shipping_total: Decimal,
    total: Decimal,
    address: ShippingAddress,
    payment: NewPayment | None = None,
    email: str = "",
    currency: str = "EUR",
    status: str = OrderStatus.PAID,
    placed_at: datetime.datetime | None = None,
    source: str = "manual",
    external_id: str = "",
    actor: Any = None,
) -> Order:
    """Record an order placed in a shop. Not idempotent: a second import of the same number (or the
    same `source`/`external_id`) raises DuplicateOrder and writes nothing.

    Raises OrderError when the amounts do not add up (each line: quantity × unit price at most; the
    order: total == sum of lines + shipping; the payment: at most the total), when there are no
    lines, when the e-mail is malformed (or absent and the customer has none), or for naive times.
    """
    number = number.strip().upper()
    if not number:
        raise OrderError(_("The order number is empty."))
    if status not in OrderStatus.values:
        raise OrderError(_("Unknown order status: %(status)s") % {"status": status})
    if not lines:
        raise OrderError(_("An order needs at least one line."))
    currency = currency.upper()
    rows = [_order_line(line) for line in lines]
    subtotal = sum((row.total for row in rows), Decimal("0.00"))
    shipping_total, total = _money(shipping_total), _money(total)
    if shipping_total < 0:
        raise OrderError(_("The shipping total cannot be negative."))
    if total != subtotal + shipping_total:
        raise OrderError(
            _("The total %(total)s is not the lines' sum %(subtotal)s plus shipping %(shipping)s.")
            % {"total": total, "subtotal": subtotal, "shipping": shipping_total}
        )
    if payment is not None:
        _check_payment(payment, total)
    email = (email or customer.primary_email).strip()
    if not email:
        raise OrderError(_("The order needs an e-mail address: the customer has none."))
    email = text.normalise_email(email, error=OrderError)
    for field, value in (
        (_("order number"), number),
        (_("shipping name"), address.name),
        (_("street"), address.street),
        (_("postcode"), address.postcode),
        (_("city"), address.city),
        (_("province"), address.province),
        (_("country"), address.country),
    ):
        text.single_line(value, field=field, error=OrderError)
    placed_at = _utc(placed_at) or clock.now()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=number,
                customer=customer,
                status=status,
                placed_at=placed_at,
                currency=currency,
                subtotal=subtotal,
                shipping_total=shipping_total,
                total=total,
                email=email,
                shipping_name=address.name,
                shipping_street=address.street,
                shipping_postcode=address.postcode,
                shipping_city=address.city,
                shipping_province=address.province,
                shipping_country=address.country.upper(),
                source=source,
                external_id=external_id,
            )
    except IntegrityError:
        raise DuplicateOrder(_("The order %(number)s was already imported.") % {"number": number}) from None
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    if payment is not None:
        Payment.objects.create(
            order=order,
            method=payment.method,
            state=payment.state,
            amount=_money(payment.amount),
            currency=currency,
            provider=payment.provider,
            external_id=payment.external_id,
            authorized_at=_utc(payment.authorized_at)
            or (placed_at if payment.state != PaymentState.PENDING else None),
            captured_at=_utc(payment.captured_at)
            or (placed_at if payment.state in _CAPTURED_STATES else None),
            voided_at=_utc(payment.voided_at)
            or (placed_at if payment.state == PaymentState.VOIDED else None),
        )
    record_event(order, "order.imported", actor=actor, number=number, source=source, total=str(total))
    return order


# States in which the money was taken, so the payment has a capture time.
_CAPTURED_STATES = frozenset({PaymentState.CAPTURED, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED})


def _order_line(line: NewOrderLine) -> OrderLine:
    if line.quantity < 1:
        raise OrderError(_("Line %(sku)s: the quantity must be at least 1.") % {"sku": line.sku})
    unit_price = _money(line.unit_price)
    if unit_price < 0:
        raise OrderError(_("Line %(sku)s: the unit price cannot be negative.") % {"sku": line.sku})
    gross = _money(unit_price * line.quantity)
    total = gross if line.total is None else _money(line.total)
    if not Decimal("0") <= total <= gross:
        raise OrderError(
            _("Line %(sku)s: the total %(total)s is not between 0 and quantity × unit price (%(gross)s).")
            % {"sku": line.sku, "total": total, "gross": gross}
        )
    return OrderLine(
        sku=line.sku,
        name=line.name,
        category=line.category,
        quantity=line.quantity,
        unit_price=unit_price,
        total=total,
    )


def _check_payment(payment: NewPayment, total: Decimal) -> None:
    if payment.method not in PaymentMethod.values:
        raise OrderError(_("Unknown payment method: %(method)s") % {"method": payment.method})
    if payment.state not in PaymentState.values:
        raise OrderError(_("Unknown payment state: %(state)s") % {"state": payment.state})
    amount = _money(payment.amount)
    if not Decimal("0") <= amount <= total:
        raise OrderError(
            _("The payment of %(amount)s is not between 0 and the order total %(total)s.")
            % {"amount": amount, "total": total}
        )


# A refund moves only along these arrows; completed, failed and rejected are final.
REFUND_TRANSITIONS = {
    RefundStatus.AWAITING_APPROVAL: frozenset({RefundStatus.REQUESTED, RefundStatus.REJECTED}),
    RefundStatus.REQUESTED: frozenset({RefundStatus.SUBMITTED, RefundStatus.FAILED}),
    RefundStatus.SUBMITTED: frozenset({RefundStatus.COMPLETED, RefundStatus.FAILED}),
}
# Payment states from which money can be given back.
_REFUNDABLE_STATES = frozenset({PaymentState.CAPTURED, PaymentState.PARTIALLY_REFUNDED})
# Refunds that no longer hold any of the payment.
_RELEASED_REFUNDS = (RefundStatus.FAILED, RefundStatus.REJECTED)


def _checked_key(idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key:
        raise RefundError(_("A money action needs an idempotency key."))
    if len(key) > 64:
        raise RefundError(_("The idempotency key is longer than 64 characters."))
    return key


def shop_connection(order: Order) -> ShopConnection | None:
    """The active connection of the shop the order came from, when it takes actions from us."""
    connection = ShopConnection.objects.filter(slug=order.source, is_active=True).first()
    if connection is None:
        return None
    from premura.commerce.connectors import connector_for

    return connection if connector_for(connection).takes_actions else None


def _platform_connection(order: Order) -> ShopConnection:
    connection = shop_connection(order)
    if connection is None or not order.external_id:
        raise OrderError(
            _("Premura cannot act on the shop of order %(number)s: do it in the shop's back office.")
            % {"number": order.number}
        )
    return connection


def refundable_amount(order: Order) -> Decimal:
    """What is left to give back of the order's captured payment (0 when none)."""
    payment = order.payments.filter(state__in=_REFUNDABLE_STATES).order_by("pk").first()
    if payment is None:
        return Decimal("0.00")
    given = payment.refunds.exclude(status__in=_RELEASED_REFUNDS).aggregate(total=Sum("amount"))["total"]
    return payment.amount - (given or Decimal("0"))


@transaction.atomic
def request_refund(
    order: Order,
    *,
    amount: Decimal,
    idempotency_key: str,
    reason: str = "",
    actor: Any = None,
    destination: str = RefundDestination.CARD,
    case: Any = None,
    needs_approval: bool = False,
    made_on_platform: bool = False,
) -> Refund:
    """Record that `amount` of the order's payment is to be given back (status requested; awaiting
    approval when `needs_approval`).

    Idempotent on `idempotency_key`: the same key for the same order, amount and destination
    returns the refund recorded first and writes nothing; the same key for anything else raises
    RefundError. Raises RefundError when the order has no captured payment or the amount is not
    between 0.01 and what is left to refund (the payment less the refunds not failed or rejected);
    nothing is written then. Locks the payment, so two requests at once cannot both take the last
    euro. When the order's shop takes actions from Premura (`shop_connection`) and no approval is
    needed, the platform call is scheduled on commit (commerce.submission); otherwise the refund
    is followed by hand (`mark_refund_submitted`), as is one the platform `made_on_platform` itself.
    """
    key = _checked_key(idempotency_key)
    amount = _money(amount)
    if destination not in RefundDestination.values:
        raise RefundError(_("Unknown refund destination: %(to)s") % {"to": destination})
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.order_id != order.pk or existing.amount != amount or existing.destination != destination:
            raise RefundError(_("This idempotency key was used for another refund."))
        return existing
    payment = (
        Payment.objects.select_for_update()
        .filter(order=order, state__in=_REFUNDABLE_STATES)
        .order_by("pk")
        .first()
    )
    if payment is None:
        raise RefundError(
            _("The order %(number)s has no captured payment to refund.") % {"number": order.number}
        )
    given = payment.refunds.exclude(status__in=_RELEASED_REFUNDS).aggregate(total=Sum("amount"))["total"]
    left = payment.amount - (given or Decimal("0"))
    if not CENT <= amount <= left:
        raise RefundError(
            _("The refund of %(amount)s is not between %(least)s and the %(left)s left to refund.")
            % {
                "amount": format_money(amount, payment.currency),
                "least": format_money(CENT, payment.currency),
                "left": format_money(left, payment.currency),
            }
        )
    now = clock.now()
    to_platform = (
        not needs_approval
        and not made_on_platform
        and bool(order.external_id)
        and shop_connection(order) is not None
    )
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=order,
                payment=payment,
                amount=amount,
                currency=payment.currency,
                destination=destination,
                status=RefundStatus.AWAITING_APPROVAL if needs_approval else RefundStatus.REQUESTED,
                reason=reason,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                idempotency_key=key,
                case=case,
                created_at=now,
                next_attempt_at=now if to_platform else None,
            )
    except IntegrityError:
        # The same key committed by a concurrent request (the payment lock serialised us after it).
        raise RefundError(_("This refund is already being recorded; try again in a moment.")) from None
    record_event(
        order,
        "refund.awaiting_approval" if needs_approval else "refund.requested",
        actor=actor,
        refund_id=refund.pk,
        amount=str(amount),
        currency=refund.currency,
        destination=destination,
        reason=reason,
    )
    if to_platform:
        _submit_on_commit("refund", refund.pk)
    return refund


def _submit_on_commit(kind: str, pk: int) -> None:
    """Ring the worker once the row is committed (`kind`: the action's model name, "refund")."""
    from premura.commerce import tasks

    transaction.on_commit(lambda: tasks.submit_action_task(kind, pk))


def refund(
    order: Order,
    amount: Decimal,
    *,
    to: str = RefundDestination.CARD,
    idempotency_key: str,
    actor: Any,
    reason: str,
    case: Any = None,
    limit: Decimal | None = None,
) -> Refund:
    """Give `amount` of the order back, to the card or as store credit (a single-use discount
    code), through the order's shop platform.

    `limit` is the most the actor may refund on their own (their role's, agents.queries): above
    it the refund waits for an administrator (`approve_refund`) and nothing reaches the platform.
    Otherwise the row is written "requested" and committed, and a task asks the platform
    (commerce.submission), whose answer sets the state. Idempotent on `idempotency_key` (see
    `request_refund`). Raises RefundError (nothing written, no platform call) when the reason is
    empty, the shop takes no actions from Premura, or the amount is not refundable.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise RefundError(_("Say why the order is refunded."))
    key = _checked_key(idempotency_key)
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is None:
        _platform_connection(order)
    amount = _money(amount)
    return request_refund(
        order,
        amount=amount,
        idempotency_key=key,
        reason=reason[:200],
        actor=actor,
        destination=to,
        case=case,
        needs_approval=limit is not None and amount > limit,
    )


@transaction.atomic
def approve_refund(refund: Refund, *, actor: Any) -> Refund:
    """An administrator approves a refund over its requester's limit: it becomes requested and the
    platform call is scheduled on commit. Raises RefundError unless it awaits approval."""
    refund = _move_refund(refund, RefundStatus.REQUESTED)
    now = clock.now()
    refund.status, refund.next_attempt_at = RefundStatus.REQUESTED, now
    refund.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    refund.save(update_fields=["status", "next_attempt_at", "approved_by"])
    record_event(refund.order, "refund.approved", actor=actor, refund_id=refund.pk, amount=str(refund.amount))
    _submit_on_commit("refund", refund.pk)
    return refund


@transaction.atomic
def reject_refund(refund: Refund, *, actor: Any, reason: str = "") -> Refund:
    """An administrator declines a refund over its requester's limit: it becomes rejected (final)
    and its amount can be refunded again. Raises RefundError unless it awaits approval."""
    refund = _move_refund(refund, RefundStatus.REJECTED)
    refund.status, refund.error = RefundStatus.REJECTED, reason[:1000]
    refund.save(update_fields=["status", "error"])
    record_event(refund.order, "refund.rejected", actor=actor, refund_id=refund.pk, reason=reason)
    return refund


# Orders that can still be cancelled with their money released: not yet shipped.
CANCELLABLE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.PAID})


def cancellation_outcome(order: Order) -> tuple[str, Decimal]:
    """What cancelling the order now does to its money, and the amount: an authorised card is
    voided (the whole authorisation), a captured payment refunded (what is left of it), or nothing
    was paid."""
    payment = (
        order.payments.filter(state__in=[PaymentState.AUTHORIZED, *_REFUNDABLE_STATES]).order_by("pk").first()
    )
    if payment is None:
        return CancellationOutcome.NOTHING, Decimal("0.00")
    if payment.state == PaymentState.AUTHORIZED:
        return CancellationOutcome.VOID, payment.amount
    return CancellationOutcome.REFUND, refundable_amount(order)


@transaction.atomic
def cancel(order: Order, *, idempotency_key: str, actor: Any, reason: str, case: Any = None) -> Cancellation:
    """Cancel an unshipped order on its shop's platform, and say what happens to the money: an
    uncaptured card authorisation is voided at once (`outcome` void), a captured payment is
    refunded in full once the platform has cancelled (refund), or nothing was paid (nothing).

    The row is written "requested" and committed; a task asks the platform (commerce.submission)
    and its answer sets the order, payment and row states. Idempotent on `idempotency_key`: the
    same key for the same order returns the first row, for another raises OrderError. Raises
    OrderError (nothing written, no platform call) when the reason is empty, the order was shipped
    or cancelled, a cancellation is already under way, or its shop takes no actions from Premura.
    Locks the order.
    """
    reason = " ".join(reason.split())
    key = _checked_key(idempotency_key)
    existing = Cancellation.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise OrderError(_("This idempotency key was used for another order."))
        return existing
    if not reason:
        raise OrderError(_("Say why the order is cancelled."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    _platform_connection(order)
    if order.status not in CANCELLABLE_STATUSES:
        raise OrderError(
            _("The order %(number)s is %(status)s: it can no longer be cancelled.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    if order.cancellations.filter(status=CancellationStatus.REQUESTED).exists():
        raise OrderError(_("The order %(number)s is already being cancelled.") % {"number": order.number})
    outcome, amount = cancellation_outcome(order)
    now = clock.now()
    cancellation = Cancellation.objects.create(
        order=order,
        outcome=outcome,
        amount=amount,
        currency=order.currency,
        reason=reason[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=key,
        case=case,
        created_at=now,
        next_attempt_at=now,
    )
    record_event(
        order,
        "order.cancel_requested",
        actor=actor,
        cancellation_id=cancellation.pk,
        outcome=outcome,
        amount=str(amount),
        currency=order.currency,
        reason=reason,
    )
    _submit_on_commit("cancellation", cancellation.pk)
    return cancellation


@transaction.atomic
def mark_cancellation_done(cancellation: Cancellation, *, void_id: str = "") -> Cancellation:
    """The platform cancelled the order (and voided its authorisation, `void_id`): the order
    becomes cancelled, a voided payment says so, and a captured one gets what is left of it
    refunded (key "<cancellation key>:refund", submitted on commit). Idempotent: a cancellation already
    done is returned as it is."""
    cancellation = Cancellation.objects.select_for_update().get(pk=cancellation.pk)
    if cancellation.status != CancellationStatus.REQUESTED:
        return cancellation
    now = clock.now()
    order = Order.objects.select_for_update().get(pk=cancellation.order_id)
    old = order.status
    if old != OrderStatus.CANCELLED:
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status"])
        record_event(order, "order.status_changed", old=old, new=OrderStatus.CANCELLED)
    if cancellation.outcome == CancellationOutcome.VOID:
        voided = order.payments.filter(state=PaymentState.AUTHORIZED).update(
            state=PaymentState.VOIDED, voided_at=now
        )
        record_event(
            order, "payment.voided", cancellation_id=cancellation.pk, payments=voided, void_id=void_id
        )
    cancellation.status, cancellation.completed_at = CancellationStatus.DONE, now
    cancellation.external_id, cancellation.next_attempt_at = void_id[:64], None
    cancellation.claimed_until = None
    cancellation.save(
        update_fields=["status", "completed_at", "external_id", "next_attempt_at", "claimed_until"]
    )
    record_event(order, "order.cancelled", cancellation_id=cancellation.pk, outcome=cancellation.outcome)
    # What is left now: a refund made meanwhile in the shop's back office is not made twice.
    left = min(cancellation.amount, refundable_amount(order))
    if cancellation.outcome == CancellationOutcome.REFUND and left > 0:
        request_refund(
            order,
            amount=left,
            idempotency_key=f"{cancellation.idempotency_key[:57]}:refund",
            reason=cancellation.reason,
            actor=cancellation.requested_by,
            case=cancellation.case,
        )
    return cancellation


def _move_refund(refund: Refund, status: str) -> Refund:
    """The refund, locked and re-read, after checking that it may move to `status`."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if status not in REFUND_TRANSITIONS.get(refund.status, ()):
        raise RefundError(
            _("A refund that is %(old)s cannot become %(new)s.")
            % {"old": refund.get_status_display(), "new": RefundStatus(status).label}
        )
    return refund


@transaction.atomic
def mark_refund_submitted(
    refund: Refund, *, expected_arrival_at: datetime.datetime, actor: Any = None, external_id: str = ""
) -> Refund:
    """The payment provider accepted the refund (its id there: `external_id`): it becomes
    submitted, with the date the money is expected to reach the customer. The payment becomes
    refunded (or partially refunded) by what went back to it (store credit leaves it as it was),
    and the order refunded once its whole payment was given back, unless it was cancelled. Raises
    RefundError unless the refund was requested; nothing is written then.
    """
    refund = _move_refund(refund, RefundStatus.SUBMITTED)
    expected = _utc(expected_arrival_at)
    refund.status, refund.expected_arrival_at = RefundStatus.SUBMITTED, expected
    refund.external_id = external_id[:64] or refund.external_id
    refund.next_attempt_at = refund.claimed_until = None
    refund.save(
        update_fields=["status", "expected_arrival_at", "external_id", "next_attempt_at", "claimed_until"]
    )
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    given = payment.refunds.filter(status__in=[RefundStatus.SUBMITTED, RefundStatus.COMPLETED])
    to_card = given.filter(destination=RefundDestination.CARD).aggregate(total=Sum("amount"))["total"]
    if to_card:
        payment.state = (
            PaymentState.REFUNDED if to_card >= payment.amount else PaymentState.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["state"])
    order = refund.order
    fully_given = given.aggregate(total=Sum("amount"))["total"] >= payment.amount
    if fully_given and order.status not in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
        old = order.status
        order.status = OrderStatus.REFUNDED
        order.save(update_fields=["status"])
        record_event(order, "order.status_changed", actor=actor, old=old, new=OrderStatus.REFUNDED)
    record_event(
        order,
        "refund.submitted",
        actor=actor,
        refund_id=refund.pk,
        external_id=refund.external_id,
        expected_arrival_at=expected.isoformat(),
    )
    return refund


@transaction.atomic
def mark_refund_completed(refund: Refund, *, actor: Any = None) -> Refund:
    """The money reached the customer: the refund becomes completed, stamped now, and
    `refund_completed` is sent on commit. Raises RefundError unless it was submitted; nothing is
    written then.
    """
    refund = _move_refund(refund, RefundStatus.COMPLETED)
    refund.status, refund.completed_at = RefundStatus.COMPLETED, clock.now()
    refund.save(update_fields=["status", "completed_at"])
    record_event(refund.order, "refund.completed", actor=actor, refund_id=refund.pk)
    transaction.on_commit(lambda: refund_completed.send(sender=Refund, refund=refund))
    return refund


# The audit log's name of each money action (its events: "<name>.requested", ".done", ".failed").
ACTION_NAMES = {
    Refund: "refund",
    Cancellation: "cancellation",
    Coupon: "coupon",
    Reshipment: "reshipment",
    AddressChange: "address_change",
}
OrderAction = Refund | Cancellation | Coupon | Reshipment | AddressChange


@transaction.atomic
def mark_money_action_failed(action: OrderAction, *, error: str) -> OrderAction:
    """The platform refused a requested action, or it ran out of attempts: it becomes failed with
    the platform's message, which the agent sees on the order. A refund's amount can then be
    refunded again. Idempotent: one no longer requested is returned as it is."""
    action = type(action).objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.REQUESTED:
        return action
    action.status, action.error = ActionStatus.FAILED, error[:2000]
    action.next_attempt_at = action.claimed_until = None
    action.save(update_fields=["status", "error", "next_attempt_at", "claimed_until"])
    name = ACTION_NAMES[type(action)]
    record_event(action.order, f"{name}.failed", **{f"{name}_id": action.pk, "error": error[:2000]})
    return action


def _existing_action(model: type[OrderAction], key: str, order: Order, same: dict[str, Any]) -> Any:
    """The action already recorded under `key` (a double click, a retried request), or None;
    OrderError when the key was used for another order or other values."""
    existing = model.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.order_id != order.pk or any(getattr(existing, name) != value for name, value in same.items()):
        raise OrderError(_("This idempotency key was used for another action."))
    return existing


def _new_action(
    model: type[OrderAction], order: Order, *, key: str, actor: Any, reason: str, case: Any, **fields
):
    """Write the action "requested", due now, audited, and ring the worker on commit."""
    now = clock.now()
    action = model.objects.create(
        order=order,
        idempotency_key=key,
        reason=" ".join(reason.split())[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        case=case,
        created_at=now,
        next_attempt_at=now,
        **fields,
    )
    name = ACTION_NAMES[model]
    audited = {field: _audited(value) for field, value in fields.items() if field != "currency"}
    record_event(
        order, f"{name}.requested", actor=actor, **{f"{name}_id": action.pk}, reason=action.reason, **audited
    )
    _submit_on_commit(model._meta.model_name, action.pk)
    return action


def _audited(value: Any) -> Any:
    """A value as the audit log's JSON keeps it: amounts and dates as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# The longest a coupon may be valid, from today.
MAX_COUPON_DAYS = 365


def _coupon_value(kind: str, value: Decimal | int | str) -> Decimal:
    if kind not in CouponKind.values:
        raise OrderError(_("Unknown coupon kind: %(kind)s") % {"kind": kind})
    try:
        amount = _money(value)
    except (ArithmeticError, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite():
        raise OrderError(_("The coupon's value is not a number."))
    return amount


def check_coupon(
    order: Order,
    *,
    kind: str,
    value: Decimal | int | str,
    category: str = "",
    expires_on: datetime.date | None = None,
) -> None:
    """Raises OrderError unless a coupon of this kind and value, category and expiry can be made
    for the order (see `create_coupon`)."""
    value = _coupon_value(kind, value)
    if kind == CouponKind.PERCENTAGE and not Decimal("1") <= value <= Decimal("100"):
        raise OrderError(_("A percentage coupon takes a percentage from 1 to 100."))
    if kind == CouponKind.AMOUNT and value < CENT:
        raise OrderError(
            _("An amount coupon takes an amount of at least %(least)s.")
            % {"least": format_money(CENT, order.currency)}
        )
    if kind == CouponKind.FREE_SHIPPING and value:
        raise OrderError(_("A free shipping coupon takes no value: leave it at 0."))
    category = " ".join(category.split())
    if category and not order.lines.filter(category=category).exists():
        raise OrderError(
            _("The order has no product in the category %(category)s: choose one of its categories.")
            % {"category": category}
        )
    today = timezone.localdate(clock.now())
    if expires_on is not None and not today < expires_on <= today + datetime.timedelta(days=MAX_COUPON_DAYS):
        raise OrderError(
            _("A coupon must expire after today and within %(days)d days.") % {"days": MAX_COUPON_DAYS}
        )


@transaction.atomic
def create_coupon(
    order: Order,
    *,
    kind: str,
    value: Decimal | int | str,
    idempotency_key: str,
    actor: Any = None,
    reason: str = "",
    case: Any = None,
    category: str = "",
    expires_on: datetime.date | None = None,
) -> Coupon:
    """A single-use coupon for the order's customer, made on the order's shop platform: `value`
    off (an amount in the order's currency, `kind` amount; a percentage from 1 to 100,
    percentage), or free shipping (value 0); only on one of the order's product categories when
    `category` is given; until `expires_on` (at most MAX_COUPON_DAYS ahead; none: no end).

    The row is written "requested" and committed; a task asks the platform (commerce.submission),
    whose answer brings the code. Idempotent on `idempotency_key`: the same key for the same
    order, kind and value returns the first row; for anything else raises OrderError. Raises
    OrderError (nothing written, no platform call) for a value, category or date out of bounds,
    or a shop that takes no actions from Premura."""
    key = _checked_key(idempotency_key)
    value = _coupon_value(kind, value)
    category = " ".join(category.split())
    existing = _existing_action(Coupon, key, order, {"kind": kind, "value": value, "category": category})
    if existing is not None:
        return existing
    _platform_connection(order)
    check_coupon(order, kind=kind, value=value, category=category, expires_on=expires_on)
    return _new_action(
        Coupon,
        order,
        key=key,
        actor=actor,
        reason=reason,
        case=case,
        kind=kind,
        value=value,
        currency=order.currency,
        category=category,
        expires_on=expires_on,
    )


# Orders whose goods may be sent again: paid (and perhaps shipped, lost or damaged on the way).
RESHIPPABLE_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


def _replacement_lines(order: Order, lines: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """[{sku, quantity}] of the order's lines to send again (all of them when None), each SKU
    once and at most as many as were ordered."""
    ordered: dict[str, int] = {}
    for line in order.lines.order_by("pk"):
        ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    if lines is None:
        return [{"sku": sku, "quantity": quantity} for sku, quantity in ordered.items()]
    if not lines:
        raise OrderError(_("Choose at least one product to send again."))
    chosen: list[dict[str, Any]] = []
    for line in lines:
        sku, quantity = str(line.get("sku", "")).strip(), line.get("quantity")
        if sku not in ordered:
            raise OrderError(_("The order has no product %(sku)s.") % {"sku": sku})
        if any(item["sku"] == sku for item in chosen):
            raise OrderError(_("The product %(sku)s is listed twice.") % {"sku": sku})
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= ordered[sku]:
            raise OrderError(
                _("Send again from 1 to %(most)d of %(sku)s, as many as were ordered.")
                % {"most": ordered[sku], "sku": sku}
            )
        chosen.append({"sku": sku, "quantity": quantity})
    return chosen


@transaction.atomic
def reship(
    order: Order,
    *,
    idempotency_key: str,
    actor: Any = None,
    reason: str = "",
    case: Any = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Reshipment:
    """Send the order's goods again, free, as a replacement order on its shop's platform: the
    `lines` given ([{"sku", "quantity"}], at most the quantities ordered) or every line (None).

    The row is written "requested" and committed; a task asks the platform (commerce.submission),
    whose answer brings the replacement's number. Idempotent on `idempotency_key`: the same key
    for the same order returns the first row, for another raises OrderError. Raises OrderError
    (nothing written, no platform call) for lines not in the order, an order not paid or already
    cancelled or refunded, an order already sent again (or being sent), or a shop that takes no
    actions from Premura. Locks the order."""
    key = _checked_key(idempotency_key)
    existing = _existing_action(Reshipment, key, order, {})
    if existing is not None:
        return existing
    order = Order.objects.select_for_update().get(pk=order.pk)
    _platform_connection(order)
    if order.status not in RESHIPPABLE_STATUSES:
        raise OrderError(
            _("The order %(number)s is %(status)s: it cannot be sent again.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    chosen = _replacement_lines(order, lines)
    earlier = order.reshipments.exclude(status=ActionStatus.FAILED).first()
    if earlier is not None:
        raise OrderError(
            _("The order %(number)s was already sent again (%(replacement)s).")
            % {
                "number": order.number,
                "replacement": earlier.replacement_number or earlier.get_status_display(),
            }
        )
    return _new_action(Reshipment, order, key=key, actor=actor, reason=reason, case=case, lines=chosen)


# What an address change may hold (the Order's own fields' lengths).
_ADDRESS_LIMITS = {"name": 200, "street": 200, "postcode": 16, "city": 100, "province": 8}


def _checked_address(address: ShippingAddress) -> ShippingAddress:
    """The address trimmed, each field on one line and within its length, the country two letters."""
    fields = {}
    labels = {
        "name": _("shipping name"),
        "street": _("street"),
        "postcode": _("postcode"),
        "city": _("city"),
        "province": _("province"),
    }
    for name, limit in _ADDRESS_LIMITS.items():
        value = " ".join(
            text.single_line(getattr(address, name), field=labels[name], error=OrderError).split()
        )
        if name != "province" and not value:
            raise OrderError(_("The new address needs a %(field)s.") % {"field": labels[name]})
        if len(value) > limit:
            raise OrderError(
                _("The %(field)s is longer than %(limit)d characters.")
                % {"field": labels[name], "limit": limit}
            )
        fields[name] = value
    country = address.country.strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise OrderError(_("The country is a two-letter code (IT)."))
    return ShippingAddress(**fields, country=country)


def order_address(order: Order) -> ShippingAddress:
    return ShippingAddress(
        name=order.shipping_name,
        street=order.shipping_street,
        postcode=order.shipping_postcode,
        city=order.shipping_city,
        province=order.shipping_province,
        country=order.shipping_country,
    )


@transaction.atomic
def change_address(
    order: Order,
    *,
    address: ShippingAddress,
    idempotency_key: str,
    actor: Any = None,
    reason: str = "",
    case: Any = None,
) -> AddressChange:
    """Deliver the order, not yet shipped, to another address, on its shop's platform; the order's
    own address changes once the platform has it.

    The row is written "requested" and committed; a task asks the platform (commerce.submission).
    Idempotent on `idempotency_key`: the same key for the same order and address returns the first
    row; otherwise raises OrderError. Raises OrderError (nothing written, no platform call) once the
    order is shipped, delivered, cancelled or refunded, while another change is under way, for the
    address it has already or a malformed one, or a shop that takes no actions from Premura. Locks
    the order."""
    key = _checked_key(idempotency_key)
    address = _checked_address(address)
    columns = {f"shipping_{name}": value for name, value in vars(address).items()}
    existing = _existing_action(AddressChange, key, order, columns)
    if existing is not None:
        return existing
    order = Order.objects.select_for_update().get(pk=order.pk)
    _platform_connection(order)
    if order.status not in CANCELLABLE_STATUSES:
        raise OrderError(
            _("The order %(number)s is %(status)s: its delivery address can no longer change.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    if order.address_changes.filter(status=ActionStatus.REQUESTED).exists():
        raise OrderError(
            _("The address of order %(number)s is already being changed.") % {"number": order.number}
        )
    if order_address(order) == address:
        raise OrderError(_("The order is already going to that address."))
    return _new_action(AddressChange, order, key=key, actor=actor, reason=reason, case=case, **columns)


@transaction.atomic
def mark_action_done(action: Coupon | Reshipment | AddressChange, *, result: str = "") -> Any:
    """The platform did a coupon (`result`: its code), a re-shipment (the replacement's number) or
    an address change (the order's address becomes the new one, audited). Idempotent: an action
    no longer requested is returned as it is."""
    action = type(action).objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.REQUESTED:
        return action
    fields = ["status", "completed_at", "next_attempt_at", "claimed_until", "external_id"]
    action.status, action.completed_at = ActionStatus.DONE, clock.now()
    action.next_attempt_at = action.claimed_until = None
    action.external_id = result[:64]
    if isinstance(action, Coupon):
        action.code = result[:64]
        fields.append("code")
    elif isinstance(action, Reshipment):
        action.replacement_number = result[:64]
        fields.append("replacement_number")
    else:
        _move_order_to(action)
    action.save(update_fields=fields)
    name = ACTION_NAMES[type(action)]
    record_event(action.order, f"{name}.done", **{f"{name}_id": action.pk, "result": result[:64]})
    return action


def _move_order_to(change: AddressChange) -> None:
    order = Order.objects.select_for_update().get(pk=change.order_id)
    old = order_address(order)
    for name in ("name", "street", "postcode", "city", "province", "country"):
        setattr(order, f"shipping_{name}", getattr(change, f"shipping_{name}"))
    order.save(update_fields=[f"shipping_{name}" for name in vars(old)])
    record_event(
        order, "order.address_changed", old=vars(old), new=vars(order_address(order)), change_id=change.pk
    )


# What a shop's platform may move an order and its payment to (its webhooks); a state it reports
# that is not an arrow from ours (a late "updated" after "cancelled") is ignored.
ORDER_TRANSITIONS = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
}
PAYMENT_TRANSITIONS = {
    PaymentState.PENDING: frozenset(
        {PaymentState.AUTHORIZED, PaymentState.CAPTURED, PaymentState.FAILED, PaymentState.VOIDED}
    ),
    PaymentState.AUTHORIZED: frozenset({PaymentState.CAPTURED, PaymentState.VOIDED, PaymentState.FAILED}),
    PaymentState.CAPTURED: frozenset({PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED}),
    PaymentState.PARTIALLY_REFUNDED: frozenset({PaymentState.REFUNDED}),
}


@transaction.atomic
def sync_order_state(
    order: Order, *, status: str = "", payment_state: str = "", actor: Any = None
) -> list[str]:
    """Move the order and its first payment to the states its shop's platform reports, along the
    transition tables; anything else is ignored (webhooks arrive out of order). Returns what
    changed ("status", "payment"); each change is audited. Locks the order."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    changed = []
    if status and status in ORDER_TRANSITIONS.get(order.status, ()):
        old, order.status = order.status, status
        order.save(update_fields=["status"])
        record_event(order, "order.status_changed", actor=actor, old=old, new=status)
        changed.append("status")
    payment = order.payments.select_for_update().order_by("pk").first()
    if payment is not None and payment_state in PAYMENT_TRANSITIONS.get(payment.state, ()):
        old, payment.state, now = payment.state, payment_state, clock.now()
        fields = ["state"]
        for state, stamp in ((PaymentState.CAPTURED, "captured_at"), (PaymentState.VOIDED, "voided_at")):
            if payment_state == state and getattr(payment, stamp) is None:
                setattr(payment, stamp, now)
                fields.append(stamp)
        payment.save(update_fields=fields)
        record_event(order, "payment.state_changed", actor=actor, old=old, new=payment_state)
        changed.append("payment")
    return changed


def record_platform_refund(order: Order, *, external_id: str, amount: Decimal, key: str = "") -> Refund:
    """A refund the platform reports (its webhook): ours when `key` names one of our refunds (it
    is only noted), else one made in the shop's back office, recorded as submitted under the key
    "<source>:<its id>". Idempotent: a refund already recorded is returned as it is. Raises
    RefundError when the amount is more than is left to refund."""
    ours = Refund.objects.filter(idempotency_key=key).first() if key else None
    if ours is None:
        ours = Refund.objects.filter(order=order, external_id=external_id).first()
    if ours is not None:
        return ours
    with transaction.atomic():
        refund = request_refund(
            order,
            amount=amount,
            idempotency_key=f"{order.source}:{external_id}"[:64],
            reason=_("Refunded in the shop's back office"),
            made_on_platform=True,
        )
        if refund.status != RefundStatus.REQUESTED:
            return refund
        return mark_refund_submitted(
            refund,
            expected_arrival_at=clock.now() + datetime.timedelta(days=settings.REFUND_ARRIVAL_DAYS),
            external_id=external_id,
        )
