"""The shapes of orders in the REST API."""

import datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import AwareDatetime

from premura.commerce.models import OrderStatus, PaymentMethod, PaymentState

Money = Field(..., ge=0, max_digits=12, decimal_places=2)


class OrderLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    category: str = Field("", max_length=100)
    quantity: int = Field(1, ge=1)
    unit_price: Decimal = Money
    total: Decimal | None = Field(
        None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="After discounts; quantity × unit_price if absent.",
    )


class PaymentIn(Schema):
    method: PaymentMethod
    state: PaymentState
    amount: Decimal = Money
    provider: str = Field("", max_length=32)
    external_id: str = Field("", max_length=64)
    authorized_at: AwareDatetime | None = None
    captured_at: AwareDatetime | None = None


class AddressIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    street: str = Field(..., min_length=1, max_length=200)
    postcode: str = Field(..., min_length=1, max_length=16)
    city: str = Field(..., min_length=1, max_length=100)
    province: str = Field("", max_length=8)
    country: str = Field("IT", pattern=r"^[A-Za-z]{2}$")


class OrderIn(Schema):
    number: str = Field(..., min_length=1, max_length=32)
    customer_id: int
    email: str | None = Field(None, max_length=254, description="The customer's primary e-mail if absent.")
    status: OrderStatus = OrderStatus.PAID
    placed_at: AwareDatetime | None = None
    currency: str = Field("EUR", pattern=r"^[A-Za-z]{3}$")
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=500)
    shipping_total: Decimal = Money
    total: Decimal = Field(
        ..., ge=0, max_digits=12, decimal_places=2, description="Sum of line totals + shipping."
    )
    payment: PaymentIn | None = None
    address: AddressIn
    source: str = Field("manual", min_length=1, max_length=32)
    external_id: str = Field("", max_length=64)


class AddressOut(Schema):
    name: str
    street: str
    postcode: str
    city: str
    province: str
    country: str


class OrderLineOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal
    total: Decimal


class PaymentOut(Schema):
    id: int
    method: str
    state: str
    amount: Decimal
    currency: str
    provider: str
    external_id: str
    authorized_at: datetime.datetime | None
    captured_at: datetime.datetime | None
    voided_at: datetime.datetime | None


class RefundOut(Schema):
    id: int
    payment_id: int | None
    amount: Decimal
    currency: str
    status: str
    reason: str
    created_at: datetime.datetime
    expected_arrival_at: datetime.datetime | None
    completed_at: datetime.datetime | None


class OrderShipmentOut(Schema):
    id: int
    carrier: str = Field(..., alias="carrier.code")
    tracking_number: str
    tracking_url: str
    status: str
    promised_delivery_date: datetime.date | None
    delivered_at: datetime.datetime | None


class OrderOut(Schema):
    id: int
    number: str
    customer_id: int
    status: str
    placed_at: datetime.datetime
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    total: Decimal
    email: str
    source: str
    external_id: str


class OrderDetailOut(OrderOut):
    address: AddressOut
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    shipments: list[OrderShipmentOut]

    @staticmethod
    def resolve_address(obj) -> dict[str, str]:
        return {field: getattr(obj, f"shipping_{field}") for field in AddressOut.model_fields}


class OrderFilters(Schema):
    customer: int | None = Field(None, description="A customer id.")
    number: str | None = Field(None, description="An order number, exactly (case-insensitive).")
