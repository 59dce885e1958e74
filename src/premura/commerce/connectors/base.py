"""What every shop connector provides (docs/architecture.md, "Shops and money actions").

A connector is a class per platform, made with one ShopConnection (where the shop's API is and
its credentials). It translates formats and speaks HTTP; it never writes to the database or
decides a state: commerce.ingest applies what its webhooks say, commerce.submission records what
its actions answer.

Methods that subclasses implement:

- ``verify_webhook(body, headers, *, now)``: checks the platform's signature over the raw body
  (hmac.compare_digest); raises SignatureInvalid. Never parses the body first.
- ``webhook_id(body, headers) -> str`` and ``topic(body, headers) -> str``: the delivery's id
  (a replay has the same) and what it is about; "" when absent. They never raise.
- ``parse_webhook(body, headers) -> ShopEvent``: what the delivery says; PayloadInvalid with a
  reason a person can act on.

and, when ``takes_actions`` (the shop's platform does what Premura asks):

- ``cancel_order(external_order_id, *, reason)``
- ``void_authorization(external_order_id) -> str`` (the void's id on the platform)
- ``refund(external_order_id, *, amount, currency, key, note) -> str`` (the refund's id)
- ``create_coupon(NewCoupon) -> str`` (the code, single use; store credit is an amount coupon)
- ``create_replacement_order(external_order_id, *, key, lines, note) -> str`` (the replacement
  order's number as the customer sees it; free of charge, shipped to the original address)
- ``change_shipping_address(external_order_id, *, address)`` (before the order is shipped)

Each action is idempotent on the platform for the same `key` (or order): a retried job that finds
the platform already did it returns the same id and does it again never. They raise
TransientError (retried later, with backoff) or PermanentError (the platform refused, or cannot
do this at all: its message is shown to the agent).

For the reconciliation job (orders whose webhook never came, or platforms without webhooks),
when ``lists_orders``:

- ``orders_changed_since(since) -> Iterator[ShopOrder | UnreadableOrder]``: every order created
  or changed on the platform at or after `since` (all of them when None), oldest change first,
  page by page, each with its ``changed_at`` (commerce.reconcile applies them as webhooks would);
  one that cannot be read is an UnreadableOrder, so the listing goes on past it.
"""

import datetime
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from premura.commerce.models import ShopConnection
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress
from premura.core.signing import SignatureInvalid  # noqa: F401  (the connectors raise it)
from premura.core.text import one_line


class PayloadInvalid(Exception):
    """A signed body that cannot be read as the platform's documented format."""


class ConnectorError(Exception):
    """An action the platform did not do; the message is the platform's, for the agent."""


class TransientError(ConnectorError):
    """Worth trying again: the platform was down, slow or asked us to wait (`retry_after` seconds,
    from its Retry-After header, when it said)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The platform refused the action: trying again would get the same answer."""


@dataclass(frozen=True)
class ShopOrder:
    """An order as a platform describes it, in commerce.services' terms."""

    external_id: str
    number: str
    email: str
    customer_name: str
    currency: str
    lines: list[NewOrderLine]
    shipping_total: Decimal
    total: Decimal
    address: ShippingAddress
    placed_at: datetime.datetime
    status: str
    payment: NewPayment | None
    language: str = ""
    # When the platform last changed it (the reconciliation's checkpoint moves by it); None when
    # the platform does not say.
    changed_at: datetime.datetime | None = None
    # The refunds the platform lists on the order, each recorded once.
    refunds: list["ShopRefund"] = field(default_factory=list)


@dataclass(frozen=True)
class UnreadableOrder:
    """An order a platform's listing returned that cannot be read as a ShopOrder (`reason`): the
    listing goes on past it, and the reconciliation reports it like an order it cannot apply."""

    external_id: str
    reason: str
    changed_at: datetime.datetime | None = None
    number: str = ""


@dataclass(frozen=True)
class NewCoupon:
    """A single-use discount code to make on the platform for one customer. `kind` is a
    commerce.models.CouponKind value; `value` an amount in `currency` or a percentage (0 for free
    shipping); `category` the product category it is limited to ("" for all)."""

    key: str
    kind: str
    value: Decimal
    currency: str
    email: str
    category: str = ""
    expires_on: datetime.date | None = None


@dataclass(frozen=True)
class ReplacementLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ShopRefund:
    """A refund the platform made (ours come back too: `note` carries our key)."""

    external_id: str
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class ShopEvent:
    """What one webhook says. `kind`: "order" (created or updated: `order` is set), "cancelled",
    "fulfilled", "refund" (`refunds` set) or "ignored" (a topic Premura does not follow). An
    order's own refunds, when the platform lists them with it (WooCommerce), are on `order.refunds`:
    commerce.ingest records them before it moves the states."""

    kind: str
    external_order_id: str
    order: ShopOrder | None = None
    # The payment state the platform reports now (a PaymentState value), "" when it says none.
    payment_state: str = ""
    refunds: list[ShopRefund] = field(default_factory=list)


def key_marker(key: str) -> str:
    """How our idempotency key is written into a platform's free-text note, so a retried job finds
    an action the platform did although its answer never reached us."""
    return f"[premura:{key}]"


def key_in(note: str) -> str:
    """The idempotency key `key_marker` wrote into `note`; "" when there is none."""
    _, found, rest = note.partition("[premura:")
    return rest.split("]", 1)[0] if found else ""


class Connector:
    platform = ""
    takes_actions = False
    receives_webhooks = True
    lists_orders = False

    def __init__(self, connection: ShopConnection):
        self.connection = connection

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime) -> None:
        raise NotImplementedError

    def webhook_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        raise NotImplementedError

    def topic(self, body: bytes, headers: Mapping[str, str]) -> str:
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ShopEvent:
        raise NotImplementedError

    def cancel_order(self, external_order_id: str, *, reason: str) -> None:
        raise NotImplementedError

    def void_authorization(self, external_order_id: str) -> str:
        raise NotImplementedError

    def refund(self, external_order_id: str, *, amount: Decimal, currency: str, key: str, note: str) -> str:
        raise NotImplementedError

    def create_coupon(self, coupon: NewCoupon) -> str:
        raise NotImplementedError

    def create_replacement_order(
        self, external_order_id: str, *, key: str, lines: list[ReplacementLine], note: str
    ) -> str:
        raise NotImplementedError

    def change_shipping_address(self, external_order_id: str, *, address: ShippingAddress) -> None:
        raise NotImplementedError

    def orders_changed_since(self, since: datetime.datetime | None) -> Iterator[ShopOrder | UnreadableOrder]:
        raise NotImplementedError


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadInvalid(f"The body is not JSON: {error}") from None
    except RecursionError:
        raise PayloadInvalid("The body is JSON nested too deeply to read") from None


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value as one line (a webhook id or topic is stored: no control characters)."""
    return one_line(headers.get(name) or "")
