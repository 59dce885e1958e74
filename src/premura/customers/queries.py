"""Read side of customers: what the agent's customer card shows."""

from decimal import Decimal

from django.db.models import Sum

from premura.customers.models import Customer

# Orders that count towards what a customer is worth to the shop.
_NOT_REVENUE = ("cancelled", "refunded", "pending")


def lifetime_value(customer: Customer) -> Decimal:
    """The total of the customer's orders that were paid and not cancelled or refunded."""
    total = customer.orders.exclude(status__in=_NOT_REVENUE).aggregate(total=Sum("total"))["total"]
    return total or Decimal("0")
