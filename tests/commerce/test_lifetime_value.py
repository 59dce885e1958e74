"""What a customer is worth to the shop: per currency, never a sum of euros and pounds."""

from decimal import Decimal

from premura.commerce.queries import lifetime_value
from tests.factories.commerce import OrderFactory


def test_lifetime_value_is_one_total_per_currency(customer):
    OrderFactory(customer=customer, currency="EUR", total=Decimal("54.90"))
    OrderFactory(customer=customer, currency="EUR", total=Decimal("10.10"), status="delivered")
    OrderFactory(customer=customer, currency="GBP", total=Decimal("20.00"))
    OrderFactory(customer=customer, currency="EUR", total=Decimal("99.00"), status="cancelled")
    OrderFactory(customer=customer, currency="GBP", total=Decimal("30.00"), status="refunded")
    assert lifetime_value(customer) == [("EUR", Decimal("65.00")), ("GBP", Decimal("20.00"))]


def test_a_customer_without_paid_orders_is_worth_nothing_in_no_currency(customer, other_customer):
    OrderFactory(customer=customer, total=Decimal("5.00"), status="pending")
    OrderFactory(customer=other_customer, total=Decimal("70.00"))
    assert lifetime_value(customer) == []
