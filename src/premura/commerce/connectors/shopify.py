"""Shopify (decision 0029): webhooks and the Admin REST API, as shopify.dev documents them.

Webhooks: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body under the app's
client secret (the connection's webhook secret); ``X-Shopify-Webhook-Id`` names the delivery (a
retry carries the same); ``X-Shopify-Topic`` says what it is. Followed topics: orders/create,
orders/updated, orders/paid, orders/cancelled, orders/fulfilled, fulfillments/create,
refunds/create.

Reconciliation (decision 0034): ``GET orders.json?status=any&updated_at_min=...&order=updated_at
asc&limit=250``, then the next page's address from the ``Link`` header (cursor pagination,
``page_info``), each Order with its ``refunds``.

Actions (``X-Shopify-Access-Token``; answers 429 with Retry-After and 5xx are transient, 4xx
permanent with Shopify's ``errors``): cancel ``POST orders/{id}/cancel.json``; void ``POST
orders/{id}/transactions.json`` (kind void, parent the authorisation); refund ``POST
orders/{id}/refunds.json`` with its transactions (kind refund, parent the capture or sale);
coupons (store credit is an amount coupon) as a single-use discount code (``POST
price_rules.json``, then ``price_rules/{id}/discount_codes.json``; a category is a custom
collection of that title); a replacement order as a free draft order (``POST draft_orders.json``,
then ``PUT draft_orders/{id}/complete.json``); a new shipping address (``PUT orders/{id}.json``).
Shopify's REST API takes no idempotency key, so each action first reads what the order already
has (its refunds' notes carry our key, its transactions their voids, a code its own name, a draft
order our key in its note) and does nothing twice (decision 0031).
"""

import base64
import datetime
import hashlib
import hmac
import urllib.parse
import zoneinfo
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

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
    UnreadableOrder,
    header,
    key_marker,
    load_json,
)
from premura.commerce.models import CouponKind, OrderStatus, PaymentMethod, PaymentState
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TOPIC_HEADER = "X-Shopify-Topic"
PAGE_SIZE = 250
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/fulfilled"})
# Shopify's financial_status → our PaymentState.
FINANCIAL_STATES = {
    "pending": PaymentState.PENDING,
    "authorized": PaymentState.AUTHORIZED,
    "partially_paid": PaymentState.CAPTURED,
    "paid": PaymentState.CAPTURED,
    "partially_refunded": PaymentState.PARTIALLY_REFUNDED,
    "refunded": PaymentState.REFUNDED,
    "voided": PaymentState.VOIDED,
}


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _money(value: Any, *, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"{field}: {value!r} is not an amount") from None


def _time(value: Any, *, field: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadInvalid(f"{field}: {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise PayloadInvalid(f"{field}: {value!r} has no time zone")
    return moment


def _object(container: Any, key: str, *, path: str) -> dict:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{path}.{key} is missing or not an object")
    return value


def _list(container: dict, key: str, *, path: str) -> list[dict]:
    items = container.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PayloadInvalid(f"{path}.{key} is not a list of objects")
    return items


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def _line(item: dict, index: int) -> NewOrderLine:
    path = f"line_items.{index}"
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or quantity < 1:
        raise PayloadInvalid(f"{path}.quantity: {quantity!r} is not a positive whole number")
    price = _money(item.get("price"), field=f"{path}.price")
    allocations = _list(item, "discount_allocations", path=path)
    if allocations:
        discount = sum(
            (_money(entry.get("amount"), field=f"{path}.discount_allocations") for entry in allocations),
            Decimal("0.00"),
        )
    else:
        discount = _money(item.get("total_discount") or "0", field=f"{path}.total_discount")
    return NewOrderLine(
        sku=_text(item.get("sku") or item.get("variant_id") or item.get("id"), 64) or f"line-{index}",
        name=_text(item.get("name") or item.get("title"), 200) or "?",
        unit_price=price,
        quantity=quantity,
        total=price * quantity - discount,
    )


def _payment(order: dict, amount: Decimal) -> NewPayment | None:
    state = FINANCIAL_STATES.get(str(order.get("financial_status") or ""))
    if state is None:
        return None
    gateways = order.get("payment_gateway_names") or []
    gateway = str(gateways[0]) if isinstance(gateways, list) and gateways else ""
    method = PaymentMethod.PAYPAL if "paypal" in gateway.lower() else PaymentMethod.CARD
    return NewPayment(method=method, state=state, amount=amount, provider=f"shopify:{gateway}"[:32])


def _order_status(order: dict) -> str:
    if order.get("cancelled_at"):
        return OrderStatus.CANCELLED
    if order.get("financial_status") == "refunded":
        return OrderStatus.REFUNDED
    if order.get("fulfillment_status") == "fulfilled":
        return OrderStatus.SHIPPED
    if order.get("financial_status") in ("paid", "partially_refunded", "authorized"):
        return OrderStatus.PAID
    return OrderStatus.PENDING


def _refund(refund: dict, *, path: str = "refund") -> ShopRefund:
    """A Refund resource (a refunds/create webhook, or one of an order's `refunds`): the money its
    successful refund transactions gave back."""
    amount = sum(
        (
            _money(item.get("amount"), field=f"{path}.transactions.amount")
            for item in _list(refund, "transactions", path=path)
            if item.get("kind") == "refund" and item.get("status") in ("success", None)
        ),
        Decimal("0.00"),
    )
    return ShopRefund(
        external_id=_text(refund.get("id"), 64), amount=amount, note=_text(refund.get("note"), 500)
    )


def _changed_at(order: dict) -> datetime.datetime | None:
    try:
        return _time(order["updated_at"], field="order.updated_at") if order.get("updated_at") else None
    except PayloadInvalid:
        return None


def parse_order(order: dict) -> ShopOrder:
    """A Shopify Order resource in our terms."""
    external_id = _text(order.get("id"), 64)
    if not external_id:
        raise PayloadInvalid("order.id is missing")
    lines = [_line(item, index) for index, item in enumerate(_list(order, "line_items", path="order"))]
    shipping_set = order.get("total_shipping_price_set") or {}
    shipping = _money(
        (shipping_set.get("shop_money") or {}).get("amount", "0") if isinstance(shipping_set, dict) else "0",
        field="total_shipping_price_set.shop_money.amount",
    )
    total = _money(order.get("total_price"), field="total_price")
    address = order.get("shipping_address") or order.get("billing_address") or {}
    if not isinstance(address, dict):
        raise PayloadInvalid("order.shipping_address is not an object")
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    name = _text(address.get("name"), 200) or _text(
        f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}", 200
    )
    return ShopOrder(
        external_id=external_id,
        number=_text(order.get("name"), 32).lstrip("#") or external_id,
        email=_text(order.get("email") or order.get("contact_email") or customer.get("email"), 254),
        customer_name=name,
        currency=_text(order.get("currency"), 3).upper() or "EUR",
        lines=lines,
        shipping_total=shipping,
        total=total,
        address=ShippingAddress(
            name=name,
            street=_text(" ".join(filter(None, [address.get("address1"), address.get("address2")])), 200),
            postcode=_text(address.get("zip"), 16),
            city=_text(address.get("city"), 100),
            province=_text(address.get("province_code"), 8),
            country=_text(address.get("country_code"), 2).upper() or "IT",
        ),
        placed_at=_time(order.get("created_at"), field="order.created_at"),
        status=_order_status(order),
        payment=_payment(order, total),
        language=_text(order.get("customer_locale"), 8)[:2].lower(),
        changed_at=_changed_at(order),
        refunds=[
            refund
            for index, item in enumerate(_list(order, "refunds", path="order"))
            if (refund := _refund(item, path=f"order.refunds.{index}")).amount > 0
        ],
    )


class ShopifyConnector(Connector):
    platform = "shopify"
    takes_actions = True
    lists_orders = True

    # --- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime) -> None:
        given, secret = header(headers, HMAC_HEADER), self.connection.webhook_secret
        if not given or not secret:
            raise SignatureInvalid
        if not hmac.compare_digest(given.encode(), sign(body, secret).encode()):
            raise SignatureInvalid

    def webhook_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        return header(headers, WEBHOOK_ID_HEADER)[:100]

    def topic(self, body: bytes, headers: Mapping[str, str]) -> str:
        return header(headers, TOPIC_HEADER)[:64]

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ShopEvent:
        topic = self.topic(body, headers)
        data = load_json(body)
        if not isinstance(data, dict):
            raise PayloadInvalid("The body is not a JSON object")
        if topic in ORDER_TOPICS or topic == "orders/cancelled":
            order = parse_order(data)
            kind = "cancelled" if topic == "orders/cancelled" else "order"
            payment = order.payment.state if order.payment else ""
            return ShopEvent(
                kind=kind, external_order_id=order.external_id, order=order, payment_state=payment
            )
        if topic == "fulfillments/create":
            return ShopEvent(kind="fulfilled", external_order_id=_text(data.get("order_id"), 64))
        if topic == "refunds/create":
            return ShopEvent(
                kind="refund", external_order_id=_text(data.get("order_id"), 64), refunds=[_refund(data)]
            )
        return ShopEvent(kind="ignored", external_order_id="")

    # --- Admin API --------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        base = self.connection.api_url.rstrip("/")
        if not base:
            raise PermanentError("The shop connection has no API address")
        return f"{base}/admin/api/{self.connection.api_version}/{path}"

    def orders_changed_since(self, since: datetime.datetime | None) -> Iterator[ShopOrder | UnreadableOrder]:
        """``GET orders.json`` (any status, oldest change first, 250 a page), page after page by
        the cursor in the ``Link`` header (rel="next", its page_info)."""
        query = {"status": "any", "order": "updated_at asc", "limit": str(PAGE_SIZE)}
        if since is not None:
            query["updated_at_min"] = since.isoformat(timespec="seconds")
        url = self._url(f"orders.json?{urllib.parse.urlencode(query)}")
        while url:
            answer, headers = http.call_with_headers(
                "GET", url, headers={"X-Shopify-Access-Token": self.connection.access_token}
            )
            if not isinstance(answer, dict) or not isinstance(answer.get("orders"), list):
                raise TransientError("Shopify answered something that is not a list of orders")
            for order in answer["orders"]:
                if not isinstance(order, dict):
                    raise TransientError("Shopify listed an order that is not a JSON object")
                try:
                    yield parse_order(order)
                except PayloadInvalid as error:
                    yield UnreadableOrder(
                        external_id=_text(order.get("id"), 64),
                        number=_text(order.get("name"), 32).lstrip("#"),
                        reason=str(error),
                        changed_at=_changed_at(order),
                    )
            url = self._next_page(headers.get("Link") or "")

    def _next_page(self, link: str) -> str:
        """The rel="next" address of a Link header, on the shop's own host (the access token goes
        nowhere else); "" on the last page."""
        for part in link.split(","):
            address, _, params = part.partition(";")
            if 'rel="next"' in params.replace(" ", ""):
                url = address.strip().removeprefix("<").removesuffix(">")
                own = urllib.parse.urlsplit(self.connection.api_url).netloc
                if urllib.parse.urlsplit(url).netloc != own:
                    raise PermanentError(f"Shopify's next page is on another host: {url}")
                return url
        return ""

    def _call(self, method: str, path: str, payload: Any = None) -> dict:
        url = self._url(path)
        answer = http.call(
            method, url, headers={"X-Shopify-Access-Token": self.connection.access_token}, payload=payload
        )
        if not isinstance(answer, dict):
            raise TransientError("Shopify answered something that is not a JSON object")
        return answer

    def _transactions(self, order_id: str) -> list[dict]:
        return [
            item
            for item in self._call("GET", f"orders/{order_id}/transactions.json").get("transactions", [])
            if isinstance(item, dict)
        ]

    def cancel_order(self, external_order_id: str, *, reason: str) -> None:
        order = (
            self._call("GET", f"orders/{external_order_id}.json?fields=id,cancelled_at").get("order") or {}
        )
        if order.get("cancelled_at"):
            return
        # The customer hears from Premura, in their language: Shopify sends no e-mail of its own.
        self._call("POST", f"orders/{external_order_id}/cancel.json", {"reason": reason, "email": False})

    def void_authorization(self, external_order_id: str) -> str:
        transactions = self._transactions(external_order_id)
        for item in transactions:
            if item.get("kind") == "void" and item.get("status") == "success":
                return str(item.get("id"))
        authorisation = next(
            (
                item
                for item in reversed(transactions)
                if item.get("kind") == "authorization" and item.get("status") == "success"
            ),
            None,
        )
        if authorisation is None:
            raise PermanentError("Shopify has no authorisation on this order to void")
        answer = self._call(
            "POST",
            f"orders/{external_order_id}/transactions.json",
            {"transaction": {"kind": "void", "parent_id": authorisation["id"]}},
        )
        transaction = answer.get("transaction") or {}
        if transaction.get("status") != "success":
            raise PermanentError(str(transaction.get("message") or "Shopify did not void the authorisation"))
        return str(transaction.get("id"))

    def refund(self, external_order_id: str, *, amount: Decimal, currency: str, key: str, note: str) -> str:
        marker = key_marker(key)
        refunds = self._call("GET", f"orders/{external_order_id}/refunds.json").get("refunds", [])
        for item in refunds:
            if isinstance(item, dict) and marker in str(item.get("note") or ""):
                return str(item.get("id"))
        parent = next(
            (
                item
                for item in reversed(self._transactions(external_order_id))
                if item.get("kind") in ("capture", "sale") and item.get("status") == "success"
            ),
            None,
        )
        if parent is None:
            raise PermanentError("Shopify has no captured payment on this order to refund")
        answer = self._call(
            "POST",
            f"orders/{external_order_id}/refunds.json",
            {
                "refund": {
                    "currency": currency,
                    # Premura tells the customer, in their language.
                    "notify": False,
                    "note": f"{note} {marker}".strip(),
                    "transactions": [
                        {
                            "parent_id": parent["id"],
                            "amount": str(amount),
                            "kind": "refund",
                            "gateway": parent.get("gateway", ""),
                        }
                    ],
                }
            },
        )
        refund = answer.get("refund") or {}
        if not refund.get("id"):
            raise TransientError("Shopify's answer names no refund")
        return str(refund["id"])

    def create_coupon(self, coupon: NewCoupon) -> str:
        """A price rule and its one discount code. The code is derived from our key, so a retried
        job finds the code (or the rule, titled with it) it made before and makes neither twice.
        Anyone holding the code may use it, once (`usage_limit`): it is as secret as a password."""
        code = coupon_code(coupon.key)
        try:
            self._call("GET", f"discount_codes/lookup.json?{urlencode({'code': code})}")
            return code
        except PermanentError:
            pass  # 404: not made yet
        rules = self._call("GET", "price_rules.json?limit=250").get("price_rules", [])
        rule = next((item for item in rules if isinstance(item, dict) and item.get("title") == code), None)
        if rule is None:
            rule = (
                self._call("POST", "price_rules.json", {"price_rule": self._price_rule(coupon, code)}).get(
                    "price_rule"
                )
                or {}
            )
        if not rule.get("id"):
            raise TransientError("Shopify's answer names no price rule")
        self._call("POST", f"price_rules/{rule['id']}/discount_codes.json", {"discount_code": {"code": code}})
        return code

    def _price_rule(self, coupon: NewCoupon, code: str) -> dict:
        rule: dict[str, Any] = {
            "title": code,
            "target_type": "line_item",
            "target_selection": "all",
            "allocation_method": "across",
            "customer_selection": "all",
            "usage_limit": 1,
            "once_per_customer": True,
            "starts_at": datetime.datetime.now(datetime.UTC).isoformat(),
        }
        if coupon.kind == CouponKind.FREE_SHIPPING:
            rule.update(
                target_type="shipping_line", allocation_method="each", value_type="percentage", value="-100.0"
            )
        elif coupon.kind == CouponKind.PERCENTAGE:
            rule.update(allocation_method="each", value_type="percentage", value=str(-coupon.value))
        else:
            rule.update(value_type="fixed_amount", value=str(-coupon.value))
        if coupon.category:
            rule.update(
                target_selection="entitled", entitled_collection_ids=[self._collection(coupon.category)]
            )
        if coupon.expires_on is not None:
            # The end of the expiry day in the shop's time zone.
            end = datetime.datetime.combine(
                coupon.expires_on, datetime.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)
            )
            rule["ends_at"] = end.isoformat()
        return rule

    def _collection(self, title: str) -> int:
        """The id of the shop's custom collection named `title` (a product category)."""
        found = self._call(
            "GET", f"custom_collections.json?{urlencode({'title': title, 'fields': 'id,title'})}"
        )
        for item in found.get("custom_collections", []):
            if isinstance(item, dict) and item.get("title") == title and item.get("id"):
                return item["id"]
        raise PermanentError(
            f"Shopify has no collection named {title!r}: create it in the shop (with the category's "
            "products), or give the coupon without a category"
        )

    def create_replacement_order(
        self, external_order_id: str, *, key: str, lines: list[ReplacementLine], note: str
    ) -> str:
        """A draft order of the lines, free (100% off, free shipping), to the original's customer
        and address, completed as paid: the replacement order's name ("#1002"). The draft's note
        carries our key: a retried job finds the draft it made (completed or not) and goes on
        from there."""
        marker = key_marker(key)
        draft = self._draft_with(marker)
        if draft is None:
            original = self._call("GET", f"orders/{external_order_id}.json").get("order") or {}
            draft = (
                self._call(
                    "POST",
                    "draft_orders.json",
                    {"draft_order": _replacement(original, lines, f"{note} {marker}")},
                ).get("draft_order")
                or {}
            )
            if not draft.get("id"):
                raise TransientError("Shopify's answer names no draft order")
        if not draft.get("order_id"):
            draft = (
                self._call("PUT", f"draft_orders/{draft['id']}/complete.json?payment_pending=false").get(
                    "draft_order"
                )
                or {}
            )
            if not draft.get("order_id"):
                raise TransientError("Shopify completed the draft order without naming its order")
        order = self._call("GET", f"orders/{draft['order_id']}.json?fields=id,name").get("order") or {}
        if not order.get("name"):
            raise TransientError("Shopify's answer names no order")
        return str(order["name"])

    def _draft_with(self, marker: str) -> dict | None:
        """Our draft order (open or completed), by the key in its note; retries come within hours,
        so the drafts of the last week are read."""
        since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=7)).isoformat()
        for status in ("completed", "open"):
            query = urlencode(
                {
                    "status": status,
                    "limit": 250,
                    "updated_at_min": since,
                    "fields": "id,name,note,status,order_id",
                }
            )
            for item in self._call("GET", f"draft_orders.json?{query}").get("draft_orders", []):
                if isinstance(item, dict) and marker in str(item.get("note") or ""):
                    return item
        return None

    def change_shipping_address(self, external_order_id: str, *, address: ShippingAddress) -> None:
        """Set the order's shipping address (the same address again changes nothing); refused once
        Shopify has fulfilled it."""
        order = (
            self._call(
                "GET", f"orders/{external_order_id}.json?fields=id,fulfillment_status,cancelled_at"
            ).get("order")
            or {}
        )
        if order.get("cancelled_at"):
            raise PermanentError("The order is cancelled on Shopify")
        if order.get("fulfillment_status") in ("fulfilled", "partial"):
            raise PermanentError("Shopify has fulfilled the order already: the parcel has left")
        self._call(
            "PUT",
            f"orders/{external_order_id}.json",
            {"order": {"id": int(external_order_id), "shipping_address": _address(address)}},
        )


def coupon_code(key: str) -> str:
    """The discount code of the coupon with idempotency key `key`: the same key, the same code."""
    return "PREMURA-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()


def _address(address: ShippingAddress) -> dict:
    first, _, last = address.name.rpartition(" ")
    return {
        "first_name": first,
        "last_name": last,
        "name": address.name,
        "address1": address.street,
        "zip": address.postcode,
        "city": address.city,
        "province_code": address.province,
        "country_code": address.country,
    }


def _replacement(original: dict, lines: list[ReplacementLine], note: str) -> dict:
    """The draft order of a free replacement of `lines` of the Shopify order `original`."""
    by_sku = {
        str(item.get("sku")): item for item in original.get("line_items") or [] if isinstance(item, dict)
    }
    items = []
    for line in lines:
        item = by_sku.get(line.sku)
        if item is None or not item.get("variant_id"):
            raise PermanentError(
                f"The Shopify order has no product variant with the SKU {line.sku!r} to send again"
            )
        items.append({"variant_id": item["variant_id"], "quantity": line.quantity})
    customer = original.get("customer") if isinstance(original.get("customer"), dict) else {}
    draft: dict[str, Any] = {
        "line_items": items,
        "applied_discount": {
            "title": "Replacement",
            "description": "Sent again free of charge",
            "value_type": "percentage",
            "value": "100.0",
        },
        "shipping_line": {"title": "Replacement", "custom": True, "price": "0.00"},
        "shipping_address": original.get("shipping_address"),
        "email": original.get("email"),
        "note": note.strip(),
        "tags": "premura-replacement",
        "use_customer_default_address": False,
    }
    if customer.get("id"):
        draft["customer"] = {"id": customer["id"]}
    return draft
