"""A fake WooCommerce shop for the tests, on 127.0.0.1: the REST API v3 calls the WooCommerce
connector makes (``/wp-json/wc/v3/...``, HTTP Basic with the consumer key and secret), with the
formats woocommerce.github.io/woocommerce-rest-api-docs documents: resources as plain JSON objects
and lists, errors as ``{"code", "message", "data": {"status"}}``, a refund the gateway refuses as a
500 with ``woocommerce_rest_cannot_create_order_refund``, and what it holds after each call, so a
test counts what the platform really did.

`fail_next(method, path_end, status, ...)` makes the next matching request fail, before anything
is done, as WooCommerce behind a proxy does when down (5xx) or throttled (429 with Retry-After).
"""

import base64
import copy
import datetime
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.commerce import fake_http

API_PREFIX = re.compile(r"^/wp-json/wc/v3/(?P<path>.+)$")
START = datetime.datetime(2026, 12, 1, 9, 0)


def error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    return status, {"code": code, "message": message, "data": {"status": status}}, {}


def order_resource(
    order_id: int = 727,
    *,
    status: str = "processing",
    payment_method: str = "stripe",
    paid: bool = True,
    email: str = "giulia.ferri@example.it",
) -> dict:
    """An order as WooCommerce's REST API v3 (and its webhooks) sends it: two lines and shipping,
    22% VAT apart in each, 115.70 in all."""
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": "wc_order_58d2d042d1d",
        "created_via": "checkout",
        "version": "9.4.2",
        "status": status,
        "currency": "EUR",
        "date_created": "2026-12-01T10:30:00",
        "date_created_gmt": "2026-12-01T09:30:00",
        "date_modified": "2026-12-01T10:31:00",
        "date_modified_gmt": "2026-12-01T09:31:00",
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "4.84",
        "shipping_tax": "1.06",
        "cart_tax": "19.80",
        "total": "115.70",
        "total_tax": "20.86",
        "prices_include_tax": True,
        "customer_id": 12,
        "customer_note": "",
        "billing": {
            "first_name": "Giulia",
            "last_name": "Ferri",
            "company": "",
            "address_1": "Via Roma 12",
            "address_2": "",
            "city": "Milano",
            "state": "MI",
            "postcode": "20121",
            "country": "IT",
            "email": email,
            "phone": "+39 02 1234567",
        },
        "shipping": {
            "first_name": "Giulia",
            "last_name": "Ferri",
            "company": "",
            "address_1": "Via Roma 12",
            "address_2": "Scala B",
            "city": "Milano",
            "state": "MI",
            "postcode": "20121",
            "country": "IT",
        },
        "payment_method": payment_method,
        "payment_method_title": "Carta di credito",
        "transaction_id": "pi_3QabcXYZ" if payment_method == "stripe" else "",
        "date_paid": "2026-12-01T10:31:00" if paid else None,
        "date_paid_gmt": "2026-12-01T09:31:00" if paid else None,
        "date_completed": None,
        "date_completed_gmt": None,
        "meta_data": [],
        "line_items": [
            {
                "id": 315,
                "name": "Moka 6 tazze",
                "product_id": 93,
                "variation_id": 0,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "81.80",
                "subtotal_tax": "18.00",
                "total": "81.80",
                "total_tax": "18.00",
                "taxes": [{"id": 1, "total": "18.00", "subtotal": "18.00"}],
                "meta_data": [],
                "sku": "MOKA-6",
                "price": 40.9,
            },
            {
                "id": 316,
                "name": "Caffè macinato 250 g",
                "product_id": 22,
                "variation_id": 23,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "8.20",
                "subtotal_tax": "1.80",
                "total": "8.20",
                "total_tax": "1.80",
                "taxes": [{"id": 1, "total": "1.80", "subtotal": "1.80"}],
                "meta_data": [],
                "sku": "COFFEE-250",
                "price": 8.2,
            },
        ],
        "tax_lines": [],
        "shipping_lines": [
            {"id": 317, "method_title": "Corriere", "method_id": "flat_rate", "total": "4.84"}
        ],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
    }


@dataclass
class Failure:
    method: str
    path_end: str
    status: int
    body: dict
    headers: dict


@dataclass
class FakeWooCommerce:
    consumer_key: str = "ck_4d3a6f8e2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e"
    consumer_secret: str = "cs_0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
    orders: dict[int, dict] = field(default_factory=dict)
    # Each order's refunds as GET orders/<id>/refunds lists them.
    refunds: dict[int, list[dict]] = field(default_factory=dict)
    coupons: list[dict] = field(default_factory=list)
    categories: list[dict] = field(
        default_factory=lambda: [
            {"id": 15, "name": "Caffè", "slug": "caffe", "parent": 0, "count": 12},
            {"id": 16, "name": "Caffettiere", "slug": "caffettiere", "parent": 0, "count": 4},
        ]
    )
    # Orders whose authorisation the gateway released when they were cancelled.
    released: set[int] = field(default_factory=set)
    gateway_refuses_refunds: bool = False
    requests: list[tuple[str, str, dict | None]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(800))
    ticks: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    @property
    def token(self) -> str:
        """What the connection stores as its access token."""
        return f"{self.consumer_key}:{self.consumer_secret}"

    def add_order(self, order: dict) -> dict:
        self.orders[order["id"]] = copy.deepcopy(order)
        self.refunds.setdefault(order["id"], [])
        self._touch(self.orders[order["id"]])
        return self.orders[order["id"]]

    def fail_next(self, method: str, path_end: str, status: int, *, body: dict | None = None, headers=None):
        body = body or {"code": "internal_server_error", "message": "Internal Server Error", "data": {}}
        self.failures.append(Failure(method, path_end, status, body, headers or {}))

    def calls(self, method: str, path_end: str) -> list[dict | None]:
        return [body for verb, path, body in self.requests if verb == method and path.endswith(path_end)]

    def _touch(self, order: dict) -> None:
        moment = START + datetime.timedelta(minutes=next(self.ticks))
        order["date_modified_gmt"] = moment.isoformat()

    # --- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, object, dict]:
        for failure in self.failures:
            if failure.method == method and path.endswith(failure.path_end):
                self.failures.remove(failure)
                return failure.status, failure.body, failure.headers
        parts = path.split("/")
        if parts[0] == "orders" and len(parts) == 1:
            return self._orders(method, query, body)
        if parts[0] == "orders":
            order = self.orders.get(int(parts[1])) if parts[1].isdigit() else None
            if order is None:
                return error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if len(parts) == 2:
                return self._order(method, order, body)
            if parts[2:] == ["refunds"]:
                return self._refunds(method, order, body)
        if parts == ["coupons"]:
            return self._coupons(method, query, body)
        if parts == ["products", "categories"] and method == "GET":
            search = (query.get("search") or [""])[0].lower()
            return 200, [item for item in self.categories if search in item["name"].lower()], {}
        return error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _orders(self, method: str, query: dict, body: dict | None) -> tuple[int, object, dict]:
        if method == "POST":
            order_id = next(self.ids)
            order = {
                **order_resource(order_id, paid=body.get("set_paid", False)),
                **{
                    key: body[key]
                    for key in ("parent_id", "billing", "shipping", "meta_data", "customer_note")
                    if key in body
                },
                "status": body.get("status", "pending"),
                "line_items": [
                    {**item, "id": next(self.ids), "sku": self._sku(item), "price": 0}
                    for item in body["line_items"]
                ],
                "total": "0.00",
            }
            self.add_order(order)
            return 201, order, {}
        items = sorted(self.orders.values(), key=lambda item: (item["date_modified_gmt"], item["id"]))
        if "parent" in query:
            items = [item for item in items if str(item["parent_id"]) == query["parent"][0]]
        if "modified_after" in query:
            items = [item for item in items if item["date_modified_gmt"] > query["modified_after"][0]]
        per_page, page = int(query.get("per_page", ["10"])[0]), int(query.get("page", ["1"])[0])
        if per_page > 100:
            return error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        return 200, chunk, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}

    def _sku(self, item: dict) -> str:
        for order in self.orders.values():
            for line in order["line_items"]:
                if line["product_id"] == item["product_id"] and line["variation_id"] == item["variation_id"]:
                    return line["sku"]
        return ""

    def _order(self, method: str, order: dict, body: dict | None) -> tuple[int, object, dict]:
        if method == "GET":
            return 200, order, {}
        if method == "PUT":
            if body.get("status") == "cancelled" and order["status"] != "cancelled":
                if order["status"] == "on-hold" and not order["date_paid_gmt"]:
                    self.released.add(order["id"])
                order["status"] = "cancelled"
            if "shipping" in body:
                order["shipping"] = {**order["shipping"], **body["shipping"]}
            self._touch(order)
            return 200, order, {}
        return error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _refunds(self, method: str, order: dict, body: dict | None) -> tuple[int, object, dict]:
        made = self.refunds[order["id"]]
        if method == "GET":
            return 200, made, {}
        if self.gateway_refuses_refunds and body.get("api_refund", True):
            return error(
                500,
                "woocommerce_rest_cannot_create_order_refund",
                "The payment gateway for this order does not support automatic refunds.",
            )
        amount = Decimal(body["amount"])
        given = sum(Decimal(item["amount"]) for item in made)
        if amount <= 0 or given + amount > Decimal(order["total"]):
            return error(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
        refund = {
            "id": next(self.ids),
            "date_created_gmt": "2026-12-03T09:00:00",
            "amount": f"{amount:.2f}",
            "reason": body.get("reason", ""),
            "refunded_by": 1,
            "refunded_payment": bool(body.get("api_refund", True)),
            "meta_data": [],
            "line_items": [],
        }
        made.append(refund)
        order["refunds"].append({"id": refund["id"], "reason": refund["reason"], "total": f"-{amount:.2f}"})
        if given + amount == Decimal(order["total"]):
            order["status"] = "refunded"
        self._touch(order)
        return 201, refund, {}

    def _coupons(self, method: str, query: dict, body: dict | None) -> tuple[int, object, dict]:
        if method == "GET":
            code = (query.get("code") or [""])[0].lower()
            return 200, [item for item in self.coupons if item["code"] == code], {}
        code = body["code"].lower()
        if any(item["code"] == code for item in self.coupons):
            return error(400, "woocommerce_rest_coupon_code_already_exists", "The coupon code already exists")
        coupon = {**body, "id": next(self.ids), "code": code, "usage_count": 0}
        self.coupons.append(coupon)
        return 201, coupon, {}


class _Handler(BaseHTTPRequestHandler):
    shop: FakeWooCommerce

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        match = API_PREFIX.match(split.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        expected = "Basic " + base64.b64encode(self.shop.token.encode()).decode()
        headers: dict = {}
        if match is None:
            status, answer, headers = error(404, "rest_no_route", "No route was found matching the URL.")
        elif self.headers.get("Authorization") != expected:
            status, answer, headers = error(
                401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
            )
        else:
            with self.shop.lock:
                self.shop.requests.append((self.command, match["path"], body))
                status, answer, headers = self.shop.handle(
                    self.command, match["path"], parse_qs(split.query), body
                )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve


def start(shop: FakeWooCommerce) -> ThreadingHTTPServer:
    return fake_http.start(shop, _Handler)
