from decimal import Decimal

import factory

from premura.commerce.models import Order, OrderLine, Payment, PaymentMethod, PaymentState
from tests.factories.customers import CustomerFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"PRM-{200000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    status = "shipped"
    subtotal = Decimal("49.90")
    shipping_total = Decimal("5.00")
    total = Decimal("54.90")
    email = factory.LazyAttribute(lambda o: f"{o.number.lower()}@example.it")
    shipping_name = factory.LazyAttribute(lambda o: o.customer.full_name)
    shipping_street = "Via Roma 1"
    shipping_postcode = "20121"
    shipping_city = "Milano"
    shipping_province = "MI"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = "Moka Bialetti 6 tazze"
    quantity = 1
    unit_price = Decimal("49.90")
    total = Decimal("49.90")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    method = PaymentMethod.CARD
    state = PaymentState.CAPTURED
    amount = Decimal("54.90")
