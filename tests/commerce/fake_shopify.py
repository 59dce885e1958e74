"""A fake Shopify shop for the tests, on 127.0.0.1: the Admin REST API calls the Shopify connector
makes, with the request and response formats shopify.dev documents (the resources wrapped in their
names, `errors` on a refusal, 201 on creation, 303 from discount_codes/lookup, 429 with
Retry-After): orders (read, cancel, update of the shipping address), transactions, refunds,
price rules and their discount codes, custom collections, draft orders and their completion into
orders, the orders listing paginated by the cursor in its Link header; and what it holds after
them, so a test can count what the platform really did.

`fail_next(method, path_end, status, ...)` makes the next matching request fail as Shopify does
when it is down (5xx), throttling (429) or refusing (422), before anything is done.
"""

import base64
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

API_PREFIX = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2})/(?P<path>.+)$")


@dataclass
class Failure:
    method: str
    path_end: str
    status: int
    body: dict
    headers: dict


@dataclass
class FakeShopify:
    token: str = "shpat_test_token"
    orders: dict[str, dict] = field(default_factory=dict)
    price_rules: list[dict] = field(default_factory=list)
    discount_codes: list[dict] = field(default_factory=list)
    collections: list[dict] = field(default_factory=list)
    draft_orders: list[dict] = field(default_factory=list)
    order_names: itertools.count = field(default_factory=lambda: itertools.count(1001))
    # Full Order resources for GET orders.json (the reconciliation's listing).
    listed_orders: list[dict] = field(default_factory=list)
    # The query of each GET orders.json, in order.
    listings: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str, dict | None]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(900_000_001))
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def add_order(
        self,
        order_id: str,
        *,
        amount: str,
        captured: bool,
        gateway: str = "shopify_payments",
        skus: tuple[str, ...] = (),
    ) -> None:
        """An order paid by card: authorised only, or captured (a sale); one line per SKU, each a
        product variant of its own."""
        kind = "sale" if captured else "authorization"
        transaction = {
            "id": next(self.ids),
            "order_id": int(order_id),
            "kind": kind,
            "status": "success",
            "amount": amount,
            "gateway": gateway,
            "parent_id": None,
        }
        self.orders[order_id] = {
            "id": int(order_id),
            "name": f"#{next(self.order_names)}",
            "email": "anna.bianchi@example.it",
            "cancelled_at": None,
            "fulfillment_status": None,
            "customer": {"id": 207119551, "email": "anna.bianchi@example.it"},
            "shipping_address": {
                "first_name": "Anna",
                "last_name": "Bianchi",
                "name": "Anna Bianchi",
                "address1": "Via Roma 1",
                "zip": "20121",
                "city": "Milano",
                "province_code": "MI",
                "country_code": "IT",
            },
            "line_items": [
                {
                    "id": next(self.ids),
                    "sku": sku,
                    "variant_id": next(self.ids),
                    "quantity": 1,
                    "price": amount,
                }
                for sku in skus
            ],
            "note": None,
            "tags": "",
            "transactions": [transaction],
            "refunds": [],
        }

    def list_order(self, order: dict) -> None:
        """An Order resource (as orders.json lists it, with `updated_at`) for the listing."""
        self.listed_orders = [item for item in self.listed_orders if item["id"] != order["id"]] + [order]

    def add_collection(self, title: str) -> int:
        collection = {"id": next(self.ids), "title": title}
        self.collections.append(collection)
        return collection["id"]

    def fail_next(
        self, method: str, path_end: str, status: int, *, body: dict | None = None, headers=None
    ) -> None:
        self.failures.append(
            Failure(method, path_end, status, body or {"errors": "Internal Server Error"}, headers or {})
        )

    def posts(self, path_end: str, method: str = "POST") -> list[dict]:
        return [body for verb, path, body in self.requests if verb == method and path.endswith(path_end)]

    def made_orders(self) -> list[dict]:
        """The orders made from draft orders (replacements)."""
        return [order for order in self.orders.values() if order.get("source_name") == "shopify_draft_order"]

    # --- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, dict, dict]:
        for failure in self.failures:
            if failure.method == method and path.endswith(failure.path_end):
                self.failures.remove(failure)
                return failure.status, failure.body, failure.headers
        parts = path.removesuffix(".json").split("/")
        if parts == ["orders"] and method == "GET":
            return self._listing(query)
        if parts[0] == "orders" and len(parts) > 1 and parts[1] in self.orders:
            return self._order(method, self.orders[parts[1]], parts[2:], query, body)
        if parts[0] == "orders":
            return 404, {"errors": "Not Found"}, {}
        if parts == ["discount_codes", "lookup"]:
            code = (query.get("code") or [""])[0]
            found = next((item for item in self.discount_codes if item["code"] == code), None)
            if found is None:
                return 404, {"errors": "Not Found"}, {}
            rule, code_id = found["price_rule_id"], found["id"]
            location = f"{self.url}/admin/api/2025-01/price_rules/{rule}/discount_codes/{code_id}.json"
            return 303, {}, {"Location": location}
        if parts == ["price_rules"]:
            if method == "GET":
                return 200, {"price_rules": self.price_rules}, {}
            return self._price_rule(body["price_rule"])
        if len(parts) >= 3 and parts[0] == "price_rules" and parts[2] == "discount_codes":
            if method == "GET":
                found = next(item for item in self.discount_codes if str(item["id"]) == parts[3])
                return 200, {"discount_code": found}, {}
            code = body["discount_code"]["code"]
            if any(item["code"] == code for item in self.discount_codes):
                return 422, {"errors": {"code": ["must be unique. Please try a different code."]}}, {}
            created = {"id": next(self.ids), "price_rule_id": int(parts[1]), "code": code, "usage_count": 0}
            self.discount_codes.append(created)
            return 201, {"discount_code": created}, {}
        if parts == ["custom_collections"] and method == "GET":
            title = (query.get("title") or [None])[0]
            found = [item for item in self.collections if title is None or item["title"] == title]
            return 200, {"custom_collections": found}, {}
        if parts[0] == "draft_orders":
            return self._draft_orders(method, parts[1:], query, body)
        return 404, {"errors": "Not Found"}, {}

    def _listing(self, query: dict) -> tuple[int, dict, dict]:
        """GET orders.json: updated_at_min, order=updated_at asc, limit; the next page by the cursor
        in the Link header (page_info; no other filter may come with it, as on Shopify)."""
        self.listings.append(query)
        limit = int((query.get("limit") or ["50"])[0])
        if "page_info" in query:
            if set(query) - {"page_info", "limit", "fields"}:
                return 400, {"errors": {"page_info": ["Only limit and fields may come with page_info"]}}, {}
            since, offset = json.loads(base64.urlsafe_b64decode(query["page_info"][0]))
        else:
            if (query.get("order") or [""])[0] != "updated_at asc" or (query.get("status") or [""])[
                0
            ] != "any":
                return 400, {"errors": "this fake lists status=any by updated_at asc only"}, {}
            since, offset = (query.get("updated_at_min") or [""])[0], 0
        moments = [(datetime.datetime.fromisoformat(item["updated_at"]), item) for item in self.listed_orders]
        low = datetime.datetime.fromisoformat(since) if since else None
        found = [
            item for moment, item in sorted(moments, key=lambda pair: pair[0]) if low is None or moment >= low
        ]
        page = found[offset : offset + limit]
        links = []
        base = f"{self.url}/admin/api/2025-01/orders.json?limit={limit}&page_info="
        if offset:
            token = base64.urlsafe_b64encode(json.dumps([since, max(offset - limit, 0)]).encode()).decode()
            links.append(f'<{base}{token}>; rel="previous"')
        if offset + limit < len(found):
            token = base64.urlsafe_b64encode(json.dumps([since, offset + limit]).encode()).decode()
            links.append(f'<{base}{token}>; rel="next"')
        return 200, {"orders": page}, {"Link": ", ".join(links)} if links else {}

    def _price_rule(self, wanted: dict) -> tuple[int, dict, dict]:
        errors = {}
        if wanted.get("value_type") not in ("fixed_amount", "percentage"):
            errors["value_type"] = ["is not included in the list"]
        if wanted.get("target_type") not in ("line_item", "shipping_line"):
            errors["target_type"] = ["is not included in the list"]
        value = Decimal(str(wanted.get("value", "0")))
        if value >= 0 or (wanted.get("value_type") == "percentage" and value < -100):
            errors["value"] = ["must be less than 0"]
        if wanted.get("target_selection") == "entitled":
            known = {item["id"] for item in self.collections}
            if (
                not wanted.get("entitled_collection_ids")
                or not set(wanted["entitled_collection_ids"]) <= known
            ):
                errors["entitled_collection_ids"] = ["must exist"]
        if not wanted.get("starts_at"):
            errors["starts_at"] = ["can't be blank"]
        if errors:
            return 422, {"errors": errors}, {}
        rule = {**wanted, "id": next(self.ids)}
        self.price_rules.append(rule)
        return 201, {"price_rule": rule}, {}

    def _draft_orders(
        self, method: str, rest: list[str], query: dict, body: dict | None
    ) -> tuple[int, dict, dict]:
        if not rest and method == "GET":
            status = (query.get("status") or ["open"])[0]
            found = [item for item in self.draft_orders if item["status"] == status]
            return 200, {"draft_orders": found}, {}
        if not rest and method == "POST":
            wanted = body["draft_order"]
            variants = {
                item["variant_id"] for order in self.orders.values() for item in order.get("line_items", [])
            }
            items = wanted.get("line_items") or []
            if not items:
                return 422, {"errors": {"line_items": ["can't be blank"]}}, {}
            if any(item.get("variant_id") not in variants for item in items):
                return 422, {"errors": {"line_items": ["variant does not exist"]}}, {}
            draft = {
                **wanted,
                "id": next(self.ids),
                "name": f"#D{len(self.draft_orders) + 1}",
                "status": "open",
                "order_id": None,
            }
            self.draft_orders.append(draft)
            return 201, {"draft_order": draft}, {}
        draft = next((item for item in self.draft_orders if str(item["id"]) == rest[0]), None)
        if draft is None:
            return 404, {"errors": "Not Found"}, {}
        if rest[1:] == ["complete"] and method == "PUT":
            if draft["status"] == "completed":
                return 422, {"errors": {"base": ["This order has already been paid"]}}, {}
            order_id = str(next(self.ids))
            self.orders[order_id] = {
                "id": int(order_id),
                "name": f"#{next(self.order_names)}",
                "email": draft.get("email"),
                "cancelled_at": None,
                "fulfillment_status": None,
                "customer": draft.get("customer"),
                "shipping_address": draft.get("shipping_address"),
                "line_items": draft["line_items"],
                "note": draft.get("note"),
                "tags": draft.get("tags", ""),
                "financial_status": "paid" if query.get("payment_pending") == ["false"] else "pending",
                "source_name": "shopify_draft_order",
                "transactions": [],
                "refunds": [],
            }
            draft.update(status="completed", order_id=int(order_id))
            return 200, {"draft_order": draft}, {}
        return 404, {"errors": "Not Found"}, {}

    def _order(
        self, method: str, order: dict, rest: list[str], query: dict, body: dict | None
    ) -> tuple[int, dict, dict]:
        if not rest and method == "GET":
            shown = {key: value for key, value in order.items() if key not in ("transactions", "refunds")}
            fields = (query.get("fields") or [""])[0]
            if fields:
                shown = {key: value for key, value in shown.items() if key in fields.split(",")}
            return 200, {"order": shown}, {}
        if not rest and method == "PUT":
            wanted = body["order"]
            address = wanted.get("shipping_address")
            if address is not None:
                if not address.get("address1") or not address.get("city"):
                    return 422, {"errors": {"shipping_address": ["is invalid"]}}, {}
                order["shipping_address"] = {**(order.get("shipping_address") or {}), **address}
            return 200, {"order": {"id": order["id"], "shipping_address": order["shipping_address"]}}, {}
        if rest == ["cancel"] and method == "POST":
            if order["cancelled_at"]:
                return 422, {"errors": {"base": ["Order has already been cancelled"]}}, {}
            order["cancelled_at"] = "2026-12-03T10:00:00+01:00"
            return 200, {"order": {"id": order["id"], "cancelled_at": order["cancelled_at"]}}, {}
        if rest == ["transactions"] and method == "GET":
            return 200, {"transactions": order["transactions"]}, {}
        if rest == ["transactions"] and method == "POST":
            return self._void(order, body["transaction"])
        if rest == ["refunds"] and method == "GET":
            return 200, {"refunds": order["refunds"]}, {}
        if rest == ["refunds"] and method == "POST":
            return self._refund(order, body["refund"])
        return 404, {"errors": "Not Found"}, {}

    def _void(self, order: dict, wanted: dict) -> tuple[int, dict, dict]:
        parent = next((item for item in order["transactions"] if item["id"] == wanted.get("parent_id")), None)
        if wanted.get("kind") != "void" or parent is None or parent["kind"] != "authorization":
            return 422, {"errors": {"parent_id": ["must be an authorization"]}}, {}
        if any(item["kind"] == "void" for item in order["transactions"]):
            return 422, {"errors": {"base": ["Authorization has already been voided"]}}, {}
        void = {**parent, "id": next(self.ids), "kind": "void", "parent_id": parent["id"]}
        order["transactions"].append(void)
        return 201, {"transaction": void}, {}

    def _refund(self, order: dict, wanted: dict) -> tuple[int, dict, dict]:
        sale = sum(Decimal(t["amount"]) for t in order["transactions"] if t["kind"] in ("sale", "capture"))
        refunded = sum(Decimal(t["amount"]) for t in order["transactions"] if t["kind"] == "refund")
        made = []
        for item in wanted.get("transactions", []):
            parent = next((t for t in order["transactions"] if t["id"] == item.get("parent_id")), None)
            if parent is None or parent["kind"] not in ("sale", "capture"):
                return 422, {"errors": {"transactions": ["parent_id is not a capture or sale"]}}, {}
            amount = Decimal(item["amount"])
            if amount <= 0 or refunded + amount > sale:
                return (
                    422,
                    {
                        "errors": {
                            "base": ["Refund amount must be less than or equal to the refundable amount"]
                        }
                    },
                    {},
                )
            refunded += amount
            made.append(
                {
                    **parent,
                    "id": next(self.ids),
                    "kind": "refund",
                    "amount": str(amount),
                    "parent_id": parent["id"],
                }
            )
        order["transactions"].extend(made)
        refund = {
            "id": next(self.ids),
            "order_id": order["id"],
            "note": wanted.get("note"),
            "created_at": "2026-12-03T10:00:00+01:00",
            "transactions": made,
        }
        order["refunds"].append(refund)
        return 201, {"refund": refund}, {}


class _Handler(BaseHTTPRequestHandler):
    shop: FakeShopify

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        match = API_PREFIX.match(split.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        if match is None:
            status, answer, headers = 404, {"errors": "Not Found"}, {}
        elif self.headers.get("X-Shopify-Access-Token") != self.shop.token:
            status, answer, headers = 401, {"errors": "[API] Invalid API key or access token"}, {}
        else:
            with self.shop.lock:
                self.shop.requests.append((self.command, match["path"], body))
                status, answer, headers = self.shop.handle(
                    self.command, match["path"].removesuffix(".json") + ".json", parse_qs(split.query), body
                )
        data = json.dumps(answer).encode() if answer else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve


def start(shop: FakeShopify) -> ThreadingHTTPServer:
    return fake_http.start(shop, _Handler)
