"""Order actions: import an order from a shop, with its lines, payment and shipping address;
record a refund and follow it until the money arrives.

Amounts are Decimals with two places; an order is refused unless its total is the sum of its lines
plus shipping, so every later refund and compensation starts from consistent numbers.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.exceptions import DuplicateOrder, OrderError, RefundError
from premura.commerce.models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundStatus,
)
from premura.core import clock, text
from premura.core.audit import record_event
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


# A refund moves only along these arrows; completed and failed are final.
REFUND_TRANSITIONS = {
    RefundStatus.REQUESTED: frozenset({RefundStatus.SUBMITTED, RefundStatus.FAILED}),
    RefundStatus.SUBMITTED: frozenset({RefundStatus.COMPLETED, RefundStatus.FAILED}),
}
# Payment states from which money can be given back.
_REFUNDABLE_STATES = frozenset({PaymentState.CAPTURED, PaymentState.PARTIALLY_REFUNDED})


@transaction.atomic
def request_refund(
    order: Order,
    *,
    amount: Decimal,
    idempotency_key: str,
    reason: str = "",
    actor: Any = None,
) -> Refund:
    """Record that `amount` of the order's payment is to be given back (status requested).

    Idempotent on `idempotency_key`: the same key for the same order and amount returns the refund
    recorded first and writes nothing; the same key for anything else raises RefundError. Raises
    RefundError when the order has no captured payment or the amount is not between 0.01 and what
    is left to refund (the payment less the refunds not failed); nothing is written then. Locks the
    payment, so two requests at once cannot both take the last euro.
    """
    key = idempotency_key.strip()
    if not key:
        raise RefundError(_("A refund needs an idempotency key."))
    amount = _money(amount)
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.order_id != order.pk or existing.amount != amount:
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
    given = payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount"))["total"]
    left = payment.amount - (given or Decimal("0"))
    if not CENT <= amount <= left:
        raise RefundError(
            _("The refund of %(amount)s is not between 0.01 and the %(left)s left to refund.")
            % {"amount": amount, "left": left}
        )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=key,
        created_at=clock.now(),
    )
    record_event(
        order, "refund.requested", actor=actor, refund_id=refund.pk, amount=str(amount), reason=reason
    )
    return refund


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
    refund: Refund, *, expected_arrival_at: datetime.datetime, actor: Any = None
) -> Refund:
    """The payment provider accepted the refund: it becomes submitted, with the date the money is
    expected to reach the customer. The payment becomes refunded (or partially refunded), and the
    order refunded once its whole payment was given back. Raises RefundError unless the refund was
    requested; nothing is written then.
    """
    refund = _move_refund(refund, RefundStatus.SUBMITTED)
    expected = _utc(expected_arrival_at)
    refund.status, refund.expected_arrival_at = RefundStatus.SUBMITTED, expected
    refund.save(update_fields=["status", "expected_arrival_at"])
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    given = payment.refunds.filter(status__in=[RefundStatus.SUBMITTED, RefundStatus.COMPLETED]).aggregate(
        total=Sum("amount")
    )["total"]
    payment.state = PaymentState.REFUNDED if given >= payment.amount else PaymentState.PARTIALLY_REFUNDED
    payment.save(update_fields=["state"])
    order = refund.order
    if payment.state == PaymentState.REFUNDED and order.status != OrderStatus.REFUNDED:
        old = order.status
        order.status = OrderStatus.REFUNDED
        order.save(update_fields=["status"])
        record_event(order, "order.status_changed", actor=actor, old=old, new=OrderStatus.REFUNDED)
    record_event(
        order,
        "refund.submitted",
        actor=actor,
        refund_id=refund.pk,
        expected_arrival_at=expected.isoformat(),
    )
    return refund


@transaction.atomic
def mark_refund_completed(refund: Refund, *, actor: Any = None) -> Refund:
    """The money reached the customer: the refund becomes completed, stamped now. Raises
    RefundError unless it was submitted; nothing is written then.
    """
    refund = _move_refund(refund, RefundStatus.COMPLETED)
    refund.status, refund.completed_at = RefundStatus.COMPLETED, clock.now()
    refund.save(update_fields=["status", "completed_at"])
    record_event(refund.order, "refund.completed", actor=actor, refund_id=refund.pk)
    return refund
