"""Order actions: import an order from a shop, with its lines, payment and shipping address.

Amounts are Decimals with two places; an order is refused unless its total is the sum of its lines
plus shipping, so every later refund and compensation starts from consistent numbers.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.commerce.models import Order, OrderLine, OrderStatus, Payment, PaymentMethod, PaymentState
from premura.core import clock
from premura.core.audit import record_event
from premura.customers.models import Customer

CENT = Decimal("0.01")


class OrderError(Exception):
    """An order action that cannot be done; the message is safe to show to the user."""


class DuplicateOrder(OrderError):
    """An order with this number (or this shop id) was already imported."""


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
    email = (email or customer.primary_email).strip().lower()
    if not email:
        raise OrderError(_("The order needs an e-mail address: the customer has none."))
    try:
        validate_email(email)
    except DjangoValidationError:
        raise OrderError(_("%(value)s is not an e-mail address.") % {"value": email}) from None
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
