"""WooCommerce (decision 0033): webhooks and the REST API v3, as woocommerce.github.io documents them.

Webhooks: ``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of the raw body under the
webhook's secret (the connection's webhook secret); ``X-WC-Webhook-Topic`` says what it is
(order.created, order.updated, order.deleted, ...). WooCommerce's ``X-WC-Webhook-Delivery-ID`` is
neither signed nor unique (``wp_hash(webhook id . time())``: two deliveries of one webhook in the
same second share it), so a delivery is known by the SHA-256 of its body: a replay is stored once
whatever its headers say. When a webhook is saved in WooCommerce it first sends an unsigned ping,
the form body ``webhook_id=<n>``, and keeps the webhook only if it gets a 200: `is_ping` lets the
endpoint answer it without storing anything.

An order's status, in our terms (the payment from its ``date_paid_gmt`` and method):

============  ==========  ==================================================================
WooCommerce   order       payment
============  ==========  ==================================================================
pending       pending     pending
on-hold       paid        authorised (card, PayPal...: the gateway holds the amount);
              pending     pending for bank transfer and cheque (waiting for the money)
processing    paid        captured once paid (``date_paid_gmt``), else pending (cash on delivery)
completed     shipped     captured once paid, else pending
cancelled     cancelled   voided when never paid (pending for transfer, cheque, cash on
                          delivery: nothing was held), else captured (refunds come as refunds)
refunded      refunded    refunded
failed        pending     failed
(a plugin's)  paid        captured when paid, else pending / pending
============  ==========  ==================================================================

A paid order that lists refunds is partially refunded (or refunded, when they add up to its
total); the refunds themselves ride along on the order's event (``refunds``: id, reason, total
as a negative string), ours recognised by the key marker in their reason. ``order.deleted`` (the
order trashed, the body only its id) is ignored: trashing is the back office's housekeeping, not
a cancellation the customer asked for.

Amounts: WooCommerce's line and shipping totals exclude tax; ours include it (the order's total
is the sum of its lines and shipping), so each line is ``total + total_tax``, its unit price
``(subtotal + subtotal_tax) / quantity`` rounded up to the cent, shipping ``shipping_total +
shipping_tax``; positive fees are lines of their own.

Actions (``<api_url>/wp-json/wc/v3/``, HTTP Basic with the consumer key and secret, kept
together as the connection's access token ``ck_...:cs_...``; 429 and 5xx are transient, other
refusals permanent with WooCommerce's ``message``). WooCommerce takes no idempotency key, so
each action reads first:

- cancel: ``PUT orders/<id>`` with status cancelled, unless it already is; a completed or
  refunded order is refused (it was shipped or paid back).
- void: WooCommerce has no void call. Cancelling an order whose payment was only authorised is
  what releases it, through the order's gateway (WooPayments and the Stripe extension cancel the
  uncaptured payment when the order is cancelled). So the void succeeds ("" : there is no void
  id) once the order is cancelled and was never paid, and is refused otherwise.
- refund: ``GET orders/<id>/refunds``, then ``POST`` one with ``api_refund`` (the gateway gives
  the money back) and our key marker in its reason. A gateway's refusal comes as a 500 with code
  ``woocommerce_rest_cannot_create_order_refund`` and is permanent (WooCommerce deletes the
  refund it could not pay): the agent reads the gateway's words.
- coupon: a code derived from the key, looked up with ``GET coupons?code=`` before ``POST
  coupons`` (single use, restricted to the customer's e-mail, optionally to a product category
  found by name).
- replacement order: ``POST orders`` with the original as ``parent_id``, its addresses and the
  chosen lines at 0.00, paid, our key in ``meta_data``; found again with ``GET orders?parent=``.
- address change: ``PUT orders/<id>`` with the new ``shipping``, refused once completed.
- reconciliation: ``GET orders?modified_after=...&orderby=modified&order=asc`` page by page
  (100 a page) until a short page.
"""

import base64
import datetime
import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any

from premura.commerce.connectors import http
from premura.commerce.connectors.base import (
    Connector,
    NewCoupon,
    PayloadInvalid,
    PermanentError,
    ReplacementLine,
    ShopEvent,
    ShopOrder,
    ShopRefund,
    SignatureInvalid,
    TransientError,
    key_marker,
    load_json,
)
from premura.commerce.models import CouponKind, OrderStatus, PaymentMethod, PaymentState
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress
from premura.core.text import one_line

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
PING = re.compile(rb"webhook_id=\d{1,20}")
PING_MAX_BYTES = 64
CENT = Decimal("0.01")
PAGE_SIZE = 100
# The consumer key and secret WooCommerce generates (WooCommerce > Settings > Advanced > REST API).
CREDENTIALS = re.compile(r"(ck_[A-Za-z0-9]+):(cs_[A-Za-z0-9]+)")
# Gateways that leave an order on-hold while waiting for the money, not holding it on a card.
OFFLINE_GATEWAYS = frozenset({"bacs", "cheque"})
# Gateways that never hold an amount: a cancelled unpaid order of theirs had nothing to void.
UNHELD_GATEWAYS = OFFLINE_GATEWAYS | {"cod"}
# A refund WooCommerce or its gateway refused, though answered with a 500.
REFUSED_REFUND = "woocommerce_rest_cannot_create_order_refund"
# Statuses after which an order is shipped or given back: it is not cancelled nor re-addressed.
CLOSED_STATUSES = frozenset({"completed", "refunded"})
META_KEY = "premura_key"


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by its name in any case: the stored webhook's headers are a plain dict, written as
    Django spelled them ("X-Wc-Webhook-Topic")."""
    wanted = name.lower()
    return next((one_line(str(value)) for key, value in headers.items() if key.lower() == wanted), "")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """WooCommerce's unsigned ping when a webhook is saved: no signature, no topic, only
    ``webhook_id=<n>``. Answered 200 and never stored: it says nothing."""
    return (
        not _header(headers, SIGNATURE_HEADER)
        and not _header(headers, TOPIC_HEADER)
        and bool(PING.fullmatch(body.strip()))
    )


def credentials_problem(token: str) -> str:
    """Why `token` is not a WooCommerce consumer key and secret ("" when it is one)."""
    if CREDENTIALS.fullmatch(token or ""):
        return ""
    return "WooCommerce needs the consumer key and secret as one value: ck_...:cs_..."


def _money(value: Any, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"{field}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise PayloadInvalid(f"{field}: {value!r} is not an amount")
    return amount.quantize(CENT)


def _gmt(value: Any, *, field: str) -> datetime.datetime | None:
    """WooCommerce's ``*_gmt`` dates are UTC without a zone ("2026-12-01T09:30:00")."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadInvalid(f"{field}: {value!r} is not an ISO 8601 date and time") from None
    return moment.replace(tzinfo=datetime.UTC) if moment.tzinfo is None else moment


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def _objects(container: dict, key: str) -> list[dict]:
    items = container.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PayloadInvalid(f"order.{key} is not a list of objects")
    return items


def _address(order: dict) -> tuple[str, ShippingAddress]:
    shipping, billing = order.get("shipping") or {}, order.get("billing") or {}
    if not isinstance(shipping, dict) or not isinstance(billing, dict):
        raise PayloadInvalid("order.shipping and order.billing must be objects")
    # A virtual order has no shipping address: the billing one stands in.
    source = shipping if shipping.get("address_1") else billing
    name = _text(f"{source.get('first_name') or ''} {source.get('last_name') or ''}", 200)
    street = " ".join(filter(None, [source.get("address_1"), source.get("address_2")]))
    return name, ShippingAddress(
        name=name or _text(source.get("company"), 200),
        street=_text(street, 200),
        postcode=_text(source.get("postcode"), 16),
        city=_text(source.get("city"), 100),
        province=_text(source.get("state"), 8),
        country=_text(source.get("country"), 2).upper() or "IT",
    )


def _lines(order: dict) -> list[NewOrderLine]:
    lines = []
    for index, item in enumerate(_objects(order, "line_items")):
        path = f"line_items.{index}"
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise PayloadInvalid(f"{path}.quantity: {quantity!r} is not a positive whole number")
        gross = _money(item.get("subtotal"), field=f"{path}.subtotal") + _money(
            item.get("subtotal_tax") or "0", field=f"{path}.subtotal_tax"
        )
        total = _money(item.get("total"), field=f"{path}.total") + _money(
            item.get("total_tax") or "0", field=f"{path}.total_tax"
        )
        lines.append(
            NewOrderLine(
                sku=_text(item.get("sku"), 64) or f"product-{_text(item.get('product_id'), 50) or index}",
                name=_text(item.get("name"), 200) or "?",
                unit_price=(gross / quantity).quantize(CENT, rounding=ROUND_UP),
                quantity=quantity,
                total=total,
            )
        )
    for index, fee in enumerate(_objects(order, "fee_lines")):
        path = f"fee_lines.{index}"
        amount = _money(fee.get("total"), field=f"{path}.total") + _money(
            fee.get("total_tax") or "0", field=f"{path}.total_tax"
        )
        if amount < 0:
            raise PayloadInvalid(f"{path}: a negative fee (a discount as a fee) cannot be imported")
        if amount:
            name = _text(fee.get("name"), 200) or "Fee"
            lines.append(NewOrderLine(sku=f"fee-{_text(fee.get('id'), 50)}", name=name, unit_price=amount))
    return lines


def _refunds(order: dict) -> list[ShopRefund]:
    refunds = []
    for index, item in enumerate(_objects(order, "refunds")):
        external_id = _text(item.get("id"), 64)
        if not external_id:
            raise PayloadInvalid(f"refunds.{index}.id is missing")
        # WooCommerce lists a refund's total as a negative amount.
        amount = abs(_money(item.get("total"), field=f"refunds.{index}.total"))
        refunds.append(
            ShopRefund(external_id=external_id, amount=amount, note=_text(item.get("reason"), 500))
        )
    return refunds


def _method(gateway: str) -> str:
    gateway = gateway.lower()
    if gateway in OFFLINE_GATEWAYS:
        return PaymentMethod.BANK_TRANSFER
    if gateway == "cod":
        return PaymentMethod.CASH_ON_DELIVERY
    if "paypal" in gateway or gateway == "ppcp-gateway":
        return PaymentMethod.PAYPAL
    if "klarna" in gateway:
        return PaymentMethod.KLARNA
    return PaymentMethod.CARD


def _states(order: dict, total: Decimal, refunds: list[ShopRefund]) -> tuple[str, str]:
    """(order status, payment state) of a WooCommerce order, by the table in the module's doc."""
    status = str(order.get("status") or "")
    paid = _gmt(order.get("date_paid_gmt"), field="order.date_paid_gmt") is not None
    gateway = str(order.get("payment_method") or "").lower()
    captured = PaymentState.CAPTURED if paid else PaymentState.PENDING
    if status == "pending":
        states = OrderStatus.PENDING, PaymentState.PENDING
    elif status == "on-hold":
        if gateway in OFFLINE_GATEWAYS and not paid:
            states = OrderStatus.PENDING, PaymentState.PENDING
        else:
            states = OrderStatus.PAID, captured if paid else PaymentState.AUTHORIZED
    elif status == "completed":
        states = OrderStatus.SHIPPED, captured
    elif status == "cancelled":
        released = PaymentState.PENDING if gateway in UNHELD_GATEWAYS else PaymentState.VOIDED
        states = OrderStatus.CANCELLED, captured if paid else released
    elif status == "refunded":
        return OrderStatus.REFUNDED, PaymentState.REFUNDED
    elif status == "failed":
        return OrderStatus.PENDING, PaymentState.FAILED
    else:  # processing, or a plugin's own status
        states = OrderStatus.PAID if paid or status == "processing" else OrderStatus.PENDING, captured
    given = sum((refund.amount for refund in refunds), Decimal("0.00"))
    if paid and given > 0:
        return states[0], PaymentState.REFUNDED if given >= total else PaymentState.PARTIALLY_REFUNDED
    return states


def parse_order(order: Any) -> ShopOrder:
    """A WooCommerce order resource in our terms, with the refunds it lists and when it last
    changed."""
    if not isinstance(order, dict):
        raise PayloadInvalid("The order is not a JSON object")
    external_id = _text(order.get("id"), 64)
    if not external_id:
        raise PayloadInvalid("order.id is missing")
    total = _money(order.get("total"), field="order.total")
    refunds = _refunds(order)
    status, payment_state = _states(order, total, refunds)
    gateway = _text(order.get("payment_method"), 40)
    payment = None
    if gateway:
        payment = NewPayment(
            method=_method(gateway),
            state=payment_state,
            amount=total,
            provider=f"woocommerce:{gateway}"[:32],
            external_id=_text(order.get("transaction_id"), 64),
            captured_at=_gmt(order.get("date_paid_gmt"), field="order.date_paid_gmt")
            if payment_state != PaymentState.AUTHORIZED
            else None,
        )
    placed_at = _gmt(order.get("date_created_gmt"), field="order.date_created_gmt")
    if placed_at is None:
        raise PayloadInvalid("order.date_created_gmt is missing")
    name, address = _address(order)
    billing = order.get("billing") or {}
    shipping = _money(order.get("shipping_total") or "0", field="order.shipping_total") + _money(
        order.get("shipping_tax") or "0", field="order.shipping_tax"
    )
    shop_order = ShopOrder(
        external_id=external_id,
        number=_text(order.get("number"), 32) or external_id,
        email=_text(billing.get("email"), 254),
        customer_name=name,
        currency=_text(order.get("currency"), 3).upper() or "EUR",
        lines=_lines(order),
        shipping_total=shipping,
        total=total,
        address=address,
        placed_at=placed_at,
        status=status,
        payment=payment,
        changed_at=_gmt(order.get("date_modified_gmt"), field="order.date_modified_gmt"),
        refunds=refunds,
    )
    return shop_order


def coupon_code(key: str) -> str:
    """The coupon's code, the same for every try of one key (WooCommerce lower-cases codes)."""
    return "premura-" + hashlib.sha256(key.encode()).hexdigest()[:12]


class WooCommerceConnector(Connector):
    platform = "woocommerce"
    takes_actions = True
    lists_orders = True

    # --- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime) -> None:
        given, secret = _header(headers, SIGNATURE_HEADER), self.connection.webhook_secret
        if not given or not secret:
            raise SignatureInvalid
        if not hmac.compare_digest(given.encode(), sign(body, secret).encode()):
            raise SignatureInvalid

    def webhook_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        return f"sha256:{hashlib.sha256(body).hexdigest()}"

    def topic(self, body: bytes, headers: Mapping[str, str]) -> str:
        return _header(headers, TOPIC_HEADER)[:64]

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ShopEvent:
        topic = self.topic(body, headers)
        if topic not in ORDER_TOPICS:
            return ShopEvent(kind="ignored", external_order_id="")
        order = parse_order(load_json(body))
        return ShopEvent(
            kind="cancelled" if order.status == OrderStatus.CANCELLED else "order",
            external_order_id=order.external_id,
            order=order,
            payment_state=order.payment.state if order.payment else "",
        )

    # --- REST API v3 ------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, payload: Any = None, *, query: dict | None = None, refusals=frozenset()
    ) -> Any:
        base = self.connection.api_url.rstrip("/")
        if not base:
            raise PermanentError("The shop connection has no API address")
        token = self.connection.access_token
        problem = credentials_problem(token)
        if problem:
            raise PermanentError(problem)
        url = f"{base}/wp-json/wc/v3/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        basic = base64.b64encode(token.encode()).decode()
        return http.call(
            method, url, headers={"Authorization": f"Basic {basic}"}, payload=payload, refusals=refusals
        )

    def _object(self, method: str, path: str, payload: Any = None, **options) -> dict:
        answer = self._call(method, path, payload, **options)
        if not isinstance(answer, dict):
            raise TransientError("WooCommerce answered something that is not a JSON object")
        return answer

    def _list(self, path: str, query: dict) -> list[dict]:
        answer = self._call("GET", path, query=query)
        if not isinstance(answer, list):
            raise TransientError("WooCommerce answered something that is not a JSON list")
        return [item for item in answer if isinstance(item, dict)]

    def _order(self, external_order_id: str) -> dict:
        return self._object("GET", f"orders/{urllib.parse.quote(external_order_id)}")

    def cancel_order(self, external_order_id: str, *, reason: str) -> None:
        order = self._order(external_order_id)
        status = order.get("status")
        if status == "cancelled":
            return
        if status in CLOSED_STATUSES:
            raise PermanentError(
                f"WooCommerce has order {order.get('number')} as {status}: it cannot be cancelled"
            )
        self._object("PUT", f"orders/{urllib.parse.quote(external_order_id)}", {"status": "cancelled"})

    def void_authorization(self, external_order_id: str) -> str:
        order = self._order(external_order_id)
        if order.get("date_paid_gmt"):
            raise PermanentError("The payment was captured on WooCommerce: it can be refunded, not voided")
        if order.get("status") != "cancelled":
            raise PermanentError(
                "WooCommerce has no void: the authorisation is released when the order is cancelled"
            )
        return ""

    def refund(self, external_order_id: str, *, amount: Decimal, currency: str, key: str, note: str) -> str:
        marker = key_marker(key)
        path = f"orders/{urllib.parse.quote(external_order_id)}/refunds"
        for item in self._list(path, {"per_page": PAGE_SIZE}):
            if marker in str(item.get("reason") or ""):
                return str(item.get("id"))
        answer = self._object(
            "POST",
            path,
            {"amount": str(amount), "reason": f"{note} {marker}".strip(), "api_refund": True},
            refusals=frozenset({REFUSED_REFUND}),
        )
        if not answer.get("id"):
            raise TransientError("WooCommerce's answer names no refund")
        return str(answer["id"])

    def create_coupon(self, coupon: NewCoupon) -> str:
        code = coupon_code(coupon.key)
        for item in self._list("coupons", {"code": code}):
            if str(item.get("code") or "").lower() == code:
                return str(item["code"])
        wanted = {
            "code": code,
            "discount_type": "percent" if coupon.kind == CouponKind.PERCENTAGE else "fixed_cart",
            "amount": "0" if coupon.kind == CouponKind.FREE_SHIPPING else str(coupon.value),
            "free_shipping": coupon.kind == CouponKind.FREE_SHIPPING,
            "individual_use": False,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "description": key_marker(coupon.key),
        }
        if coupon.email:
            wanted["email_restrictions"] = [coupon.email]
        if coupon.expires_on:
            wanted["date_expires"] = coupon.expires_on.isoformat()
        if coupon.category:
            wanted["product_categories"] = [self._category_id(coupon.category)]
        answer = self._object("POST", "coupons", wanted)
        if not answer.get("code"):
            raise TransientError("WooCommerce's answer names no coupon")
        return str(answer["code"])

    def _category_id(self, name: str) -> int:
        wanted = name.strip().lower()
        for item in self._list("products/categories", {"search": name, "per_page": PAGE_SIZE}):
            if wanted in (str(item.get("name") or "").strip().lower(), str(item.get("slug") or "").lower()):
                return item["id"]
        raise PermanentError(f"WooCommerce has no product category named {name!r}")

    def create_replacement_order(
        self, external_order_id: str, *, key: str, lines: list[ReplacementLine], note: str
    ) -> str:
        query = {"parent": external_order_id, "status": "any", "per_page": PAGE_SIZE}
        for item in self._list("orders", query):
            meta = item.get("meta_data") or []
            if any(
                isinstance(entry, dict) and entry.get("key") == META_KEY and entry.get("value") == key
                for entry in meta
            ):
                return str(item.get("number") or item.get("id"))
        original = self._order(external_order_id)
        items = [item for item in original.get("line_items") or [] if isinstance(item, dict)]
        by_sku = {str(item.get("sku") or ""): item for item in items}
        chosen = lines or [
            ReplacementLine(sku=str(item.get("sku") or ""), quantity=item["quantity"]) for item in items
        ]
        line_items = []
        for line in chosen:
            item = by_sku.get(line.sku)
            if item is None:
                raise PermanentError(
                    f"WooCommerce order {original.get('number')} has no line with SKU {line.sku!r}"
                )
            line_items.append(
                {
                    "product_id": item.get("product_id"),
                    "variation_id": item.get("variation_id") or 0,
                    "quantity": line.quantity,
                    "subtotal": "0.00",
                    "total": "0.00",
                }
            )
        answer = self._object(
            "POST",
            "orders",
            {
                "parent_id": int(external_order_id) if external_order_id.isdigit() else 0,
                "status": "processing",
                "set_paid": True,
                "currency": original.get("currency"),
                "customer_id": original.get("customer_id") or 0,
                "billing": original.get("billing") or {},
                "shipping": original.get("shipping") or {},
                "line_items": line_items,
                # Custom fields, seen by the shop's staff, not by the customer (a customer_note is).
                "meta_data": [{"key": META_KEY, "value": key}, {"key": "premura_note", "value": note}],
            },
        )
        if not answer.get("id"):
            raise TransientError("WooCommerce's answer names no order")
        return str(answer.get("number") or answer["id"])

    def change_shipping_address(self, external_order_id: str, *, address: ShippingAddress) -> None:
        order = self._order(external_order_id)
        status = order.get("status")
        if status in CLOSED_STATUSES | {"cancelled"}:
            raise PermanentError(
                f"WooCommerce has order {order.get('number')} as {status}: its address cannot change"
            )
        first, _, last = address.name.partition(" ")
        shipping = {
            "first_name": first,
            "last_name": last,
            "address_1": address.street,
            "address_2": "",
            "postcode": address.postcode,
            "city": address.city,
            "state": address.province,
            "country": address.country,
        }
        self._object("PUT", f"orders/{urllib.parse.quote(external_order_id)}", {"shipping": shipping})

    def orders_changed_since(self, since: datetime.datetime | None) -> Iterator[ShopOrder]:
        query: dict[str, Any] = {"orderby": "modified", "order": "asc", "per_page": PAGE_SIZE}
        if since is not None:
            # WooCommerce's "after" is strict and to the second: one second earlier reads "at or after".
            earlier = since.astimezone(datetime.UTC) - datetime.timedelta(seconds=1)
            query["modified_after"] = earlier.strftime("%Y-%m-%dT%H:%M:%S")
            query["dates_are_gmt"] = "true"
        page = 1
        while True:
            items = self._list("orders", {**query, "page": page})
            for item in items:
                yield parse_order(item)
            if len(items) < PAGE_SIZE:
                return
            page += 1
