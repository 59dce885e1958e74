"""The shapes of orders in the REST API."""

import datetime
from decimal import Decimal

from ninja import Field, Schema

from premura.api.schemas import (
    Id,
    InputSchema,
    Money,
    PastMoment,
    PlannedDate,
    QueryId,
    QuerySchema,
    StrictInt,
    Text,
)
from premura.commerce.models import CouponKind, OrderStatus, PaymentMethod, PaymentState, RefundDestination

# More of one product in one order is a typing mistake, not a sale.
MAX_QUANTITY = 100_000


class OrderLineIn(InputSchema):
    sku: str = Text(64, min_length=1)
    name: str = Text(200, min_length=1)
    category: str = Field("", max_length=100)
    quantity: StrictInt(1, MAX_QUANTITY) = 1  # type: ignore[valid-type]
    unit_price: Money
    total: Money | None = Field(None, description="After discounts; quantity × unit_price if absent.")


class PaymentIn(InputSchema):
    method: PaymentMethod
    state: PaymentState
    amount: Money
    provider: str = Field("", max_length=32)
    external_id: str = Field("", max_length=64)
    authorized_at: PastMoment | None = None
    captured_at: PastMoment | None = None


class AddressIn(InputSchema):
    name: str = Text(200, min_length=1)
    street: str = Text(200, min_length=1)
    postcode: str = Text(16, min_length=1)
    city: str = Text(100, min_length=1)
    province: str = Field("", max_length=8)
    country: str = Field("IT", pattern=r"^[A-Za-z]{2}$")


class OrderIn(InputSchema):
    number: str = Text(32, min_length=1)
    customer_id: Id
    email: str | None = Field(None, max_length=254, description="The customer's primary e-mail if absent.")
    status: OrderStatus = OrderStatus.PAID
    placed_at: PastMoment | None = None
    currency: str = Field("EUR", pattern=r"^[A-Za-z]{3}$")
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=500)
    shipping_total: Money
    total: Money = Field(..., description="Sum of line totals + shipping.")
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
    destination: str = Field(..., description="card (the original payment) or store_credit.")
    status: str = Field(
        ...,
        description=(
            "awaiting_approval (over the requester's limit: an administrator decides on the case page), "
            "rejected, requested (the shop is being asked), submitted (the bank has it), completed, failed."
        ),
    )
    reason: str
    created_at: datetime.datetime
    expected_arrival_at: datetime.datetime | None = Field(
        ..., description="When the money should reach the customer's bank; known once submitted."
    )
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


class OrderFilters(QuerySchema):
    customer: QueryId | None = Field(None, description="A customer id.")
    number: str | None = Field(
        None, max_length=32, description="An order number, exactly (case-insensitive)."
    )


class ShopWebhookAccepted(Schema):
    webhook_id: int | None = Field(
        ..., description="The stored delivery; null for WooCommerce's ping, which is never stored."
    )
    duplicate: bool = Field(
        ..., description="True when this delivery id was already received: nothing changed."
    )
    status: str = Field(
        ..., description="received, processed or failed (the body is kept either way); ping for a ping."
    )
    error: str = Field(..., description="Why it could not be applied, when it failed.")


class RefundIn(InputSchema):
    amount: Money = Field(..., description="In the order's currency, at most what is left to refund.")
    to: RefundDestination = Field(
        ..., description="card: back to the original payment; store_credit: a single-use discount code."
    )
    reason: str = Text(200, min_length=1, description="Why; kept in the audit log.")


class CancelIn(InputSchema):
    reason: str = Text(200, min_length=1, description="Why; kept in the audit log.")


class RefundActionOut(RefundOut):
    message: str = Field(..., description="What happened, in the request's language, as the console says it.")


class CancellationOut(Schema):
    id: int
    status: str = Field(..., description="requested (the shop is being asked), done or failed.")
    outcome: str = Field(
        ...,
        description=(
            "What happens to the money: void (the card authorisation is released at once), refund "
            "(the captured payment is refunded) or nothing (nothing was paid)."
        ),
    )
    amount: Decimal
    currency: str
    reason: str
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    message: str = Field(..., description="What happened, in the request's language, as the console says it.")


class CouponIn(InputSchema):
    kind: CouponKind = Field(
        ..., description="amount (value in the order's currency), percentage (1 to 100) or free_shipping (0)."
    )
    value: Money = Field(..., description="An amount counts against the agent's refund limit.")
    category: str = Field(
        "", max_length=100, description="One of the order's product categories; empty: all."
    )
    expires_on: PlannedDate | None = Field(
        None, description="The last day it is valid (at most a year ahead)."
    )
    reason: str = Text(200, min_length=1, description="Why; kept in the audit log.")


class CouponOut(Schema):
    id: int
    status: str = Field(..., description="requested (the shop is being asked), done or failed.")
    kind: str
    value: Decimal
    currency: str
    category: str
    expires_on: datetime.date | None
    code: str = Field(..., description="The shop's single-use code, once done.")
    error: str = Field(..., description="The shop's words when it refused.")
    reason: str
    created_at: datetime.datetime
    completed_at: datetime.datetime | None


class CouponActionOut(CouponOut):
    message: str = Field(..., description="What happened, in the request's language, as the console says it.")


class ReshipLineIn(InputSchema):
    sku: str = Text(64, min_length=1)
    quantity: StrictInt(1, MAX_QUANTITY) = 1  # type: ignore[valid-type]


class ReshipIn(InputSchema):
    reason: str = Text(200, min_length=1, description="Why; kept in the audit log.")
    lines: list[ReshipLineIn] | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="The order's lines to send again; absent: all of them.",
    )


class ReshipmentLineOut(Schema):
    sku: str
    quantity: int


class ReshipmentOut(Schema):
    id: int
    status: str = Field(..., description="requested (the shop is being asked), done or failed.")
    lines: list[ReshipmentLineOut]
    replacement_number: str = Field(..., description="The replacement order's number on the shop, once done.")
    error: str = Field(..., description="The shop's words when it refused.")
    reason: str
    created_at: datetime.datetime
    completed_at: datetime.datetime | None


class ReshipmentActionOut(ReshipmentOut):
    message: str = Field(..., description="What happened, in the request's language, as the console says it.")


class AddressChangeIn(InputSchema):
    address: AddressIn
    reason: str = Text(200, min_length=1, description="Why; kept in the audit log.")


class AddressChangeOut(Schema):
    id: int
    status: str = Field(..., description="requested (the shop is being asked), done or failed.")
    address: AddressOut
    error: str = Field(..., description="The shop's words when it refused.")
    reason: str
    created_at: datetime.datetime
    completed_at: datetime.datetime | None

    @staticmethod
    def resolve_address(obj) -> dict[str, str]:
        return {field: getattr(obj, f"shipping_{field}") for field in AddressOut.model_fields}


class AddressChangeActionOut(AddressChangeOut):
    message: str = Field(..., description="What happened, in the request's language, as the console says it.")
