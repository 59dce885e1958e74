"""Read side of commerce: what a customer's orders are worth to the shop."""

from decimal import Decimal

from django.db.models import Sum

from premura.commerce.models import Order, OrderStatus
from premura.customers.models import Customer

# Orders that count towards what a customer is worth to the shop.
_NOT_REVENUE = (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.PENDING)


def lifetime_value(customer: Customer) -> list[tuple[str, Decimal]]:
    """The totals of the customer's orders that were paid and not cancelled or refunded, one
    (currency, total) pair per currency of those orders, ordered by currency code; empty when there
    are none. Amounts in different currencies are never added together.
    """
    rows = (
        Order.objects.filter(customer=customer)
        .exclude(status__in=_NOT_REVENUE)
        .values("currency")
        .annotate(total=Sum("total"))
        .order_by("currency")
    )
    return [(row["currency"], row["total"]) for row in rows]
