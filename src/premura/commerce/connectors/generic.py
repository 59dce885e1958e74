"""A custom shop's own system: signed JSON webhooks in Premura's format (decision 0029).

Headers: our signing scheme (premura.core.signing: ``X-Premura-Timestamp`` and
``X-Premura-Signature`` over the timestamp and the raw body, under the connection's webhook
secret; stale by more than 5 minutes is refused).

Body: ``{"event_id": "...", "topic": TOPIC, ...}`` where TOPIC is
- ``order`` (created or changed) or ``order_cancelled``, with ``"order": OrderRow``;
- ``order_fulfilled``, with ``"order_id"``;
- ``refund``, with ``"order_id"`` and ``"refund": {"id", "amount", "note"}``.

Such a shop takes no actions from Premura yet (cancel and refund there by hand): the money
actions refuse its orders before writing anything.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from premura.commerce.connectors.base import (
    Connector,
    PayloadInvalid,
    ShopEvent,
    ShopOrder,
    ShopRefund,
    SignatureInvalid,
    header,
    load_json,
)
from premura.commerce.models import OrderStatus, PaymentMethod, PaymentState
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress
from premura.core import signing
from premura.core.text import describe_invalid, one_line

Amount = Field(max_digits=12, decimal_places=2, ge=0)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LineRow(Strict):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit_price: Decimal = Amount
    quantity: int = Field(1, ge=1)
    total: Decimal | None = Field(None, max_digits=12, decimal_places=2, ge=0)
    category: str = Field("", max_length=100)


class AddressRow(Strict):
    name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    province: str = Field("", max_length=8)
    country: str = Field("IT", min_length=2, max_length=2)


class PaymentRow(Strict):
    method: PaymentMethod
    state: PaymentState
    amount: Decimal = Amount
    reference: str = Field("", max_length=64)


class OrderRow(Strict):
    id: str = Field(min_length=1, max_length=64)
    number: str = Field(min_length=1, max_length=32)
    email: str = Field(min_length=3, max_length=254)
    customer_name: str = Field("", max_length=200)
    language: str = Field("", max_length=8)
    currency: str = Field("EUR", min_length=3, max_length=3)
    placed_at: AwareDatetime
    status: OrderStatus = OrderStatus.PAID
    lines: list[LineRow] = Field(min_length=1, max_length=500)
    shipping_total: Decimal = Amount
    total: Decimal = Amount
    address: AddressRow
    payment: PaymentRow | None = None

    def to_order(self) -> ShopOrder:
        payment = None
        if self.payment is not None:
            payment = NewPayment(
                method=self.payment.method,
                state=self.payment.state,
                amount=self.payment.amount,
                provider="generic",
                external_id=self.payment.reference,
            )
        return ShopOrder(
            external_id=self.id,
            number=self.number,
            email=self.email,
            customer_name=self.customer_name or self.address.name,
            currency=self.currency.upper(),
            lines=[NewOrderLine(**line.model_dump()) for line in self.lines],
            shipping_total=self.shipping_total,
            total=self.total,
            address=ShippingAddress(**self.address.model_dump()),
            placed_at=self.placed_at,
            status=self.status,
            payment=payment,
            language=self.language[:2].lower(),
        )


class RefundRow(Strict):
    id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Amount
    note: str = Field("", max_length=500)


class Delivery(Strict):
    event_id: str = Field(min_length=1, max_length=100)
    topic: Literal["order", "order_cancelled", "order_fulfilled", "refund"]
    order: OrderRow | None = None
    order_id: str = Field("", max_length=64)
    refund: RefundRow | None = None


class GenericConnector(Connector):
    platform = "generic"
    takes_actions = False

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime) -> None:
        if not signing.is_signed(
            body,
            signature=header(headers, signing.SIGNATURE_HEADER),
            timestamp=header(headers, signing.TIMESTAMP_HEADER),
            secret=self.connection.webhook_secret,
            now=now,
        ):
            raise SignatureInvalid

    def _field(self, body: bytes, name: str, limit: int) -> str:
        try:
            data = load_json(body)
        except PayloadInvalid:
            return ""
        value = data.get(name) if isinstance(data, dict) else None
        return one_line(value)[:limit] if isinstance(value, str) else ""

    def webhook_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        return self._field(body, "event_id", 100)

    def topic(self, body: bytes, headers: Mapping[str, str]) -> str:
        return self._field(body, "topic", 64)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ShopEvent:
        try:
            delivery = Delivery.model_validate(load_json(body))
        except ValidationError as error:
            raise PayloadInvalid(describe_invalid(error)) from None
        if delivery.topic in ("order", "order_cancelled"):
            if delivery.order is None:
                raise PayloadInvalid("order: required for this topic")
            order = delivery.order.to_order()
            return ShopEvent(
                kind="cancelled" if delivery.topic == "order_cancelled" else "order",
                external_order_id=order.external_id,
                order=order,
                payment_state=order.payment.state if order.payment else "",
            )
        if not delivery.order_id:
            raise PayloadInvalid("order_id: required for this topic")
        if delivery.topic == "order_fulfilled":
            return ShopEvent(kind="fulfilled", external_order_id=delivery.order_id)
        if delivery.refund is None:
            raise PayloadInvalid("refund: required for this topic")
        refund = ShopRefund(
            external_id=delivery.refund.id, amount=delivery.refund.amount, note=delivery.refund.note
        )
        return ShopEvent(kind="refund", external_order_id=delivery.order_id, refunds=[refund])
