"""PrestaShop (decisions 0029 and 0034): the Webservice API, as devdocs.prestashop-project.org
documents it (``<api_url>/api/<resource>``).

Access: HTTP Basic with the webservice key as the user name and an empty password (the
connection's access token). Answers are asked in JSON (``output_format=JSON``); writes are sent
in XML (``<prestashop><order_history>...``), as the Webservice requires. A refusal is
``{"errors": [{"code", "message"}]}`` (or the same in XML): its message goes to the agent; 401 is
a wrong key; 5xx and 429 are transient.

No webhooks: PrestaShop's core sends none, so the orders come by the reconciliation job alone:
``orders?display=full&filter[date_upd]=[from,to]&date=1&sort=[date_upd_ASC,id_ASC]&limit=n``,
page after page from the last change time read (and an offset only within one second), with the
customers, addresses and order slips of a page read in one request each, and the currencies,
languages, countries and states once per run. Dates are the shop's local time without a zone:
its ``PS_TIMEZONE`` (``/api/configurations``), or ours when the key may not read it.

Order states are ids each shop numbers itself: ``/api/order_states`` is read once per run and
each state known by its flags (paid, shipped, delivery) and, for cancelled, refunded and payment
error, by its e-mail template (``order_canceled``, ``refund``, ``payment_error``) or its name.
The order's lines are its ``order_rows`` at their unit price with tax; its discounts (and the
cents of rounding between those prices and its total) come off its lines, first line first; gift
wrapping counts as shipping. Back-office refunds are its order slips (products and shipping with
tax).

Actions: cancel posts an ``order_histories`` row with the shop's Canceled state (nothing when it
is cancelled already; PrestaShop e-mails nobody: Premura tells the customer); a coupon is a
``cart_rules`` row whose code is derived from our key and looked up first; an address change is a
new ``addresses`` row (its alias derived from the order and the address, looked up first) set as
the order's delivery address with a PUT of the order. The Webservice cannot move money nor make
an order without a cart and a payment module: refunds, voids and replacement orders are refused
with what to do in the back office instead.
"""

import base64
import datetime
import hashlib
import urllib.parse
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree

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
)
from premura.commerce.models import CouponKind, OrderStatus, PaymentMethod, PaymentState
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress
from premura.core import clock

PAGE_SIZE = 100
CENT = Decimal("0.01")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
REFUND_REFUSED = (
    "PrestaShop's webservice cannot send money back: refund this order in the PrestaShop back "
    "office (the order's page, Partial refund or Standard refund). Premura records its credit "
    "slip once the order next changes there (a new state, for example)."
)
VOID_REFUSED = (
    "PrestaShop keeps no card authorisations: release it in the payment provider's dashboard "
    "(the order's payment module)."
)
REPLACEMENT_REFUSED = (
    "PrestaShop's webservice cannot create an order without a cart and a payment module: create "
    "the replacement in the PrestaShop back office (Orders, Add new order) at no charge."
)
CATEGORY_REFUSED = (
    "PrestaShop's webservice cannot limit a cart rule to a category: make this coupon in the "
    "PrestaShop back office (Catalog, Discounts, Conditions)."
)
# Payment modules → our PaymentMethod (anything else: a card).
MODULE_METHODS = (
    ("paypal", PaymentMethod.PAYPAL),
    ("wirepayment", PaymentMethod.BANK_TRANSFER),
    ("bankwire", PaymentMethod.BANK_TRANSFER),
    ("cashondelivery", PaymentMethod.CASH_ON_DELIVERY),
    ("klarna", PaymentMethod.KLARNA),
)


@dataclass(frozen=True)
class State:
    """What an order state of the shop means, from its flags, template and names."""

    paid: bool = False
    shipped: bool = False
    delivered: bool = False
    cancelled: bool = False
    refunded: bool = False
    error: bool = False


def _texts(value: Any) -> list[str]:
    """A multilingual field: "text", or [{"id": "1", "value": "text"}, ...]."""
    if isinstance(value, list):
        return [str(item.get("value") or "") for item in value if isinstance(item, dict)]
    return [str(value)] if value not in (None, "") else []


def parse_state(row: dict) -> State:
    names = " ".join(_texts(row.get("name")) + _texts(row.get("template"))).lower()
    return State(
        paid=str(row.get("paid")) == "1",
        shipped=str(row.get("shipped")) == "1",
        delivered=str(row.get("delivery")) == "1",
        cancelled="cancel" in names or "annull" in names,
        refunded="refund" in names or "rimbors" in names,
        error="error" in names or "errore" in names,
    )


def _money(value: Any, *, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"{field}: {value!r} is not an amount") from None


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def _rows(answer: Any) -> list[dict]:
    """The rows of a listing: {"orders": [...]}; an empty one is [] (the Webservice's JSON)."""
    if isinstance(answer, list) and not answer:
        return []
    values = list(answer.values()) if isinstance(answer, dict) else []
    if len(values) != 1 or not isinstance(values[0], list):
        raise TransientError("PrestaShop answered something that is not a listing")
    if not all(isinstance(row, dict) for row in values[0]):
        raise TransientError("PrestaShop listed something that is not an object")
    return values[0]


def _xml(resource: str, fields: Mapping[str, Any], names: Mapping[str, Mapping[str, str]] = {}) -> bytes:
    """A write's body: <prestashop><resource><field>value</field>...</resource></prestashop>, with
    multilingual fields as <name><language id="1">text</language></name>."""
    root = ElementTree.Element("prestashop")
    row = ElementTree.SubElement(root, resource)
    for name, value in fields.items():
        ElementTree.SubElement(row, name).text = str(value)
    for name, texts in names.items():
        field = ElementTree.SubElement(row, name)
        for language, text in texts.items():
            ElementTree.SubElement(field, "language", id=language).text = text
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def coupon_code(key: str) -> str:
    return "PREMURA-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()


class PrestaShopConnector(Connector):
    platform = "prestashop"
    takes_actions = True
    receives_webhooks = False
    lists_orders = True

    def __init__(self, connection):
        super().__init__(connection)
        # Read once per run (one connector per run): rows by (resource, id), states, time zone.
        self._cache: dict[tuple[str, str], dict] = {}
        self._states: dict[str, State] | None = None
        self._zone: datetime.tzinfo | None = None

    # --- no webhooks ------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime) -> None:
        raise SignatureInvalid

    def webhook_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        return ""

    def topic(self, body: bytes, headers: Mapping[str, str]) -> str:
        return ""

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ShopEvent:
        raise PayloadInvalid("PrestaShop sends no webhooks")

    # --- the Webservice ---------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str]) -> str:
        base = self.connection.api_url.rstrip("/")
        if not base:
            raise PermanentError("The shop connection has no API address")
        return f"{base}/api/{path}?{urllib.parse.urlencode(params)}"

    def _headers(self, **extra: str) -> dict[str, str]:
        key = base64.b64encode(f"{self.connection.access_token}:".encode()).decode()
        return {"Authorization": f"Basic {key}", **extra}

    def _get(self, path: str, **params: str) -> Any:
        url = self._url(path, {"output_format": "JSON", **params})
        return http.parse_json(http.send("GET", url, headers=self._headers(Accept="application/json")).body)

    def _list(self, resource: str, **params: str) -> list[dict]:
        return _rows(self._get(resource, **params))

    def _write(self, method: str, path: str, body: bytes) -> dict:
        url = self._url(path, {"output_format": "JSON"})
        headers = self._headers(Accept="application/json", **{"Content-Type": "application/xml"})
        answer = http.parse_json(http.send(method, url, headers=headers, data=body).body)
        if not isinstance(answer, dict):
            raise TransientError("PrestaShop answered something that is not a JSON object")
        return answer

    def _rows_by_id(self, resource: str, ids: set[str]) -> dict[str, dict]:
        """The rows of `resource` with these ids, read in one request for those not read yet."""
        wanted = {str(item) for item in ids if str(item) not in ("", "0")}
        missing = sorted(item for item in wanted if (resource, item) not in self._cache)
        if missing:
            for row in self._list(resource, display="full", **{"filter[id]": f"[{'|'.join(missing)}]"}):
                self._cache[(resource, str(row.get("id")))] = row
        return {item: self._cache[(resource, item)] for item in wanted if (resource, item) in self._cache}

    def _one(self, resource: str, row_id: Any, *, of: str) -> dict:
        row = self._rows_by_id(resource, {str(row_id)}).get(str(row_id))
        if row is None:
            raise PayloadInvalid(f"{of}: {resource} {row_id} is not in the shop (deleted?)")
        return row

    def _order_states(self) -> dict[str, State]:
        if self._states is None:
            self._states = {
                str(row.get("id")): parse_state(row) for row in self._list("order_states", display="full")
            }
        return self._states

    def _time_zone(self) -> datetime.tzinfo:
        if self._zone is None:
            try:
                rows = self._list(
                    "configurations", display="[name,value]", **{"filter[name]": "[PS_TIMEZONE]"}
                )
                self._zone = zoneinfo.ZoneInfo(str(rows[0].get("value")))
            except (PermanentError, IndexError, ValueError, zoneinfo.ZoneInfoNotFoundError):
                self._zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        return self._zone

    def _time(self, value: Any, *, field: str) -> datetime.datetime:
        try:
            moment = datetime.datetime.strptime(str(value), DATE_FORMAT)
        except ValueError:
            raise PayloadInvalid(f"{field}: {value!r} is not a date and time") from None
        return moment.replace(tzinfo=self._time_zone())

    def _local(self, moment: datetime.datetime) -> str:
        return moment.astimezone(self._time_zone()).strftime(DATE_FORMAT)

    # --- reconciliation ---------------------------------------------------------------------

    def orders_changed_since(self, since: datetime.datetime | None) -> Iterator[ShopOrder | UnreadableOrder]:
        states = self._order_states()
        cursor = self._local(since) if since else "1970-01-01 00:00:00"
        until = self._local(clock.now() + datetime.timedelta(days=1))
        offset, seen = 0, set()
        while True:
            page = self._list(
                "orders",
                display="full",
                date="1",
                sort="[date_upd_ASC,id_ASC]",
                limit=f"{offset},{PAGE_SIZE}" if offset else str(PAGE_SIZE),
                **{"filter[date_upd]": f"[{cursor},{until}]"},
            )
            slips = self._related(page)
            for row in page:
                if str(row.get("id")) not in seen:
                    yield self._readable(row, states, slips.get(str(row.get("id")), []))
            if len(page) < PAGE_SIZE:
                return
            last = str(page[-1].get("date_upd"))
            # The next page starts at the last change time read (orders changed meanwhile move to
            # the end, never into a page already read); an offset only within that one second.
            offset, seen = (offset + PAGE_SIZE, seen) if last == cursor else (0, set())
            cursor = last
            seen |= {str(row.get("id")) for row in page if str(row.get("date_upd")) == last}

    def _related(self, page: list[dict]) -> dict[str, list[dict]]:
        """Read the page's customers and delivery addresses in one request each (and what they
        name: currencies, languages, countries, states); its order slips by order id."""
        self._rows_by_id("customers", {str(row.get("id_customer")) for row in page})
        addresses = self._rows_by_id("addresses", {str(row.get("id_address_delivery")) for row in page})
        self._rows_by_id("currencies", {str(row.get("id_currency")) for row in page})
        self._rows_by_id("languages", {str(row.get("id_lang")) for row in page})
        self._rows_by_id("countries", {str(row.get("id_country")) for row in addresses.values()})
        self._rows_by_id("states", {str(row.get("id_state")) for row in addresses.values()})
        slips: dict[str, list[dict]] = {}
        ids = "|".join(str(row.get("id")) for row in page)
        if ids:
            for slip in self._list("order_slip", display="full", **{"filter[id_order]": f"[{ids}]"}):
                slips.setdefault(str(slip.get("id_order")), []).append(slip)
        return slips

    def _readable(
        self, row: dict, states: dict[str, State], slips: list[dict]
    ) -> ShopOrder | UnreadableOrder:
        try:
            return self._order(row, states, slips)
        except PayloadInvalid as error:
            try:
                changed_at = self._time(row.get("date_upd"), field="date_upd")
            except PayloadInvalid:
                changed_at = None
            return UnreadableOrder(
                external_id=_text(row.get("id"), 64),
                number=_text(row.get("reference"), 32),
                reason=str(error),
                changed_at=changed_at,
            )

    def _order(self, row: dict, states: dict[str, State], slips: list[dict]) -> ShopOrder:
        external_id = _text(row.get("id"), 64)
        if not external_id:
            raise PayloadInvalid("order.id is missing")
        where = f"order {external_id}"
        customer = self._one("customers", row.get("id_customer"), of=where)
        address = self._one("addresses", row.get("id_address_delivery"), of=where)
        country = self._one("countries", address.get("id_country"), of=where)
        province = self._rows_by_id("states", {str(address.get("id_state"))}).get(
            str(address.get("id_state"))
        )
        currency = self._one("currencies", row.get("id_currency"), of=where)
        language = self._rows_by_id("languages", {str(row.get("id_lang"))}).get(str(row.get("id_lang"))) or {}
        total = _money(row.get("total_paid_tax_incl", row.get("total_paid")), field="total_paid_tax_incl")
        shipping = _money(row.get("total_shipping_tax_incl") or "0", field="total_shipping_tax_incl")
        shipping += _money(row.get("total_wrapping_tax_incl") or "0", field="total_wrapping_tax_incl")
        state = states.get(str(row.get("current_state")), State())
        name = _text(f"{address.get('firstname') or ''} {address.get('lastname') or ''}", 200)
        return ShopOrder(
            external_id=external_id,
            number=_text(row.get("reference"), 32) or external_id,
            email=_text(customer.get("email"), 254),
            customer_name=_text(f"{customer.get('firstname') or ''} {customer.get('lastname') or ''}", 200),
            currency=_text(currency.get("iso_code"), 3).upper(),
            lines=self._lines(row, total - shipping, where=where),
            shipping_total=shipping,
            total=total,
            address=ShippingAddress(
                name=name,
                street=_text(" ".join(filter(None, [address.get("address1"), address.get("address2")])), 200),
                postcode=_text(address.get("postcode"), 16),
                city=_text(address.get("city"), 100),
                province=_text((province or {}).get("iso_code"), 8),
                country=_text(country.get("iso_code"), 2).upper(),
            ),
            placed_at=self._time(row.get("date_add"), field=f"{where}.date_add"),
            status=_status(state),
            payment=_payment(row, state, total),
            language=_text(language.get("iso_code"), 8)[:2].lower(),
            changed_at=self._time(row.get("date_upd"), field=f"{where}.date_upd"),
            refunds=[
                ShopRefund(
                    external_id=f"slip-{slip.get('id')}",
                    amount=_money(slip.get("total_products_tax_incl") or "0", field="order_slip")
                    + _money(slip.get("total_shipping_tax_incl") or "0", field="order_slip"),
                )
                for slip in slips
            ],
        )

    def _lines(self, row: dict, goods: Decimal, *, where: str) -> list[NewOrderLine]:
        """The order's rows at their unit price with tax, the difference to `goods` (what the
        order charged for them: its discounts, cents of rounding) taken off first line first."""
        items = ((row.get("associations") or {}).get("order_rows")) or []
        if not isinstance(items, list) or not items:
            raise PayloadInvalid(f"{where} has no order_rows")
        lines = []
        for index, item in enumerate(items):
            quantity = int(_money(item.get("product_quantity"), field=f"{where}.order_rows.{index}"))
            if quantity < 1:
                raise PayloadInvalid(f"{where}.order_rows.{index}.product_quantity is not positive")
            unit = _money(item.get("unit_price_tax_incl"), field=f"{where}.order_rows.{index}")
            sku = _text(item.get("product_reference"), 64)
            sku = sku or f"{item.get('product_id')}-{item.get('product_attribute_id') or 0}"
            lines.append([sku, _text(item.get("product_name"), 200) or "?", unit, quantity, unit * quantity])
        discount = sum(line[4] for line in lines) - goods
        if discount < -CENT * len(lines):
            raise PayloadInvalid(f"{where}: its lines come to less than its total without shipping")
        if discount < 0:
            lines[-1][2] += -discount  # cents of rounding, up
            lines[-1][4] += -discount
            discount = Decimal("0")
        for line in lines:
            taken = min(line[4], discount)
            line[4], discount = line[4] - taken, discount - taken
        if discount > 0:
            raise PayloadInvalid(f"{where}: its discounts are more than its lines")
        return [
            NewOrderLine(sku=sku, name=name, unit_price=unit, quantity=quantity, total=line_total)
            for sku, name, unit, quantity, line_total in lines
        ]

    # --- actions ----------------------------------------------------------------------------

    def _state_id(self, wanted: str) -> str:
        for state_id, state in self._order_states().items():
            if getattr(state, wanted):
                return state_id
        raise PermanentError(f"The PrestaShop shop has no order state that means {wanted}")

    def cancel_order(self, external_order_id: str, *, reason: str) -> None:
        order = (self._get(f"orders/{external_order_id}") or {}).get("order") or {}
        if self._order_states().get(str(order.get("current_state")), State()).cancelled:
            return
        # No sendemail: the customer hears from Premura, in their language.
        history = {"id_order": external_order_id, "id_order_state": self._state_id("cancelled")}
        self._write("POST", "order_histories", _xml("order_history", history))

    def void_authorization(self, external_order_id: str) -> str:
        raise PermanentError(VOID_REFUSED)

    def refund(self, external_order_id: str, *, amount: Decimal, currency: str, key: str, note: str) -> str:
        raise PermanentError(REFUND_REFUSED)

    def create_replacement_order(
        self, external_order_id: str, *, key: str, lines: list[ReplacementLine], note: str
    ) -> str:
        raise PermanentError(REPLACEMENT_REFUSED)

    def _id_of(self, resource: str, **filters: str) -> str:
        params = {f"filter[{name}]": f"[{value}]" for name, value in filters.items()}
        rows = self._list(resource, display="[id]", **params)
        return str(rows[0].get("id")) if rows else ""

    def create_coupon(self, coupon: NewCoupon) -> str:
        code = coupon_code(coupon.key)
        if self._id_of("cart_rules", code=code):
            return code
        if coupon.category:
            raise PermanentError(CATEGORY_REFUSED)
        currency = self._id_of("currencies", iso_code=coupon.currency)
        if not currency:
            raise PermanentError(f"The PrestaShop shop has no currency {coupon.currency}")
        languages = [
            str(row.get("id")) for row in self._list("languages", display="[id]", **{"filter[active]": "[1]"})
        ]
        now = clock.now()
        ends = (
            datetime.datetime.combine(coupon.expires_on, datetime.time(23, 59, 59), tzinfo=self._time_zone())
            if coupon.expires_on
            else now + datetime.timedelta(days=365)
        )
        fields = {
            # 0: anyone (single use all the same) when the customer has no account there.
            "id_customer": (self._id_of("customers", email=coupon.email) if coupon.email else "") or "0",
            "date_from": self._local(now),
            "date_to": self._local(ends),
            "description": f"Premura {coupon.key}"[:254],
            "quantity": 1,
            "quantity_per_user": 1,
            "partial_use": 0,
            "code": code,
            "free_shipping": int(coupon.kind == CouponKind.FREE_SHIPPING),
            "reduction_percent": coupon.value if coupon.kind == CouponKind.PERCENTAGE else 0,
            "reduction_amount": coupon.value if coupon.kind == CouponKind.AMOUNT else 0,
            "reduction_tax": 1,
            "reduction_currency": currency,
            "minimum_amount_currency": currency,
            "active": 1,
        }
        self._write("POST", "cart_rules", _xml("cart_rule", fields, {"name": dict.fromkeys(languages, code)}))
        return code

    def change_shipping_address(self, external_order_id: str, *, address: ShippingAddress) -> None:
        url = self._url(f"orders/{external_order_id}", {})
        root = ElementTree.fromstring(http.send("GET", url, headers=self._headers()).body)
        order = root.find("order")
        if order is None:
            raise TransientError("PrestaShop answered something that is not an order")
        customer = (order.findtext("id_customer") or "").strip()
        alias = "Premura " + hashlib.sha256(f"{external_order_id}|{address}".encode()).hexdigest()[:16]
        address_id = self._id_of("addresses", id_customer=customer, alias=alias, deleted="0")
        if not address_id:
            address_id = self._new_address(customer, alias, address)
        field = order.find("id_address_delivery")
        if field is None:
            raise TransientError("PrestaShop's order has no id_address_delivery")
        if (field.text or "").strip() == address_id:
            return
        field.text = address_id
        self._write("PUT", f"orders/{external_order_id}", ElementTree.tostring(root, encoding="utf-8"))

    def _new_address(self, customer: str, alias: str, address: ShippingAddress) -> str:
        country = self._id_of("countries", iso_code=address.country)
        if not country:
            raise PermanentError(f"The PrestaShop shop has no country {address.country}")
        first, _, last = address.name.partition(" ")
        fields = {
            "id_customer": customer,
            "id_country": country,
            "id_state": (
                self._id_of("states", iso_code=address.province, id_country=country)
                if address.province
                else ""
            )
            or "0",
            "alias": alias,
            "firstname": first,
            "lastname": last or first,
            "address1": address.street,
            "postcode": address.postcode,
            "city": address.city,
        }
        created = (self._write("POST", "addresses", _xml("address", fields)).get("address")) or {}
        if not created.get("id"):
            raise TransientError("PrestaShop's answer names no address")
        return str(created["id"])


def _status(state: State) -> str:
    if state.cancelled:
        return OrderStatus.CANCELLED
    if state.refunded:
        return OrderStatus.REFUNDED
    if state.delivered:
        return OrderStatus.DELIVERED
    if state.shipped:
        return OrderStatus.SHIPPED
    if state.paid:
        return OrderStatus.PAID
    return OrderStatus.PENDING


def _payment(row: dict, state: State, total: Decimal) -> NewPayment:
    module = str(row.get("module") or "")
    method = next((method for part, method in MODULE_METHODS if part in module.lower()), PaymentMethod.CARD)
    paid = _money(row.get("total_paid_real") or "0", field="total_paid_real")
    if state.refunded:
        payment_state = PaymentState.REFUNDED
    elif state.error:
        payment_state = PaymentState.FAILED
    elif state.paid or state.shipped or state.delivered or (total > 0 and paid >= total):
        payment_state = PaymentState.CAPTURED
    elif state.cancelled and paid == 0:
        payment_state = PaymentState.VOIDED
    else:
        payment_state = PaymentState.PENDING
    return NewPayment(method=method, state=payment_state, amount=total, provider=f"prestashop:{module}"[:32])
