"""Read side of commerce: what a customer's orders are worth to the shop."""

from decimal import Decimal

from django.db.models import Sum

from premura.commerce.models import Order, OrderStatus
from premura.customers.models import Customer

# Orders that count towards what a customer is worth to the shop.
_NOT_REVENUE = (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.PENDING)


def lifetime_value(customer: Customer) -> Decimal:
    """The total of the customer's orders that were paid and not cancelled or refunded."""
    total = (
        Order.objects.filter(customer=customer)
        .exclude(status__in=_NOT_REVENUE)
        .aggregate(total=Sum("total"))["total"]
    )
    return total or Decimal("0")
