"""A fake Shopify shop for the tests, on 127.0.0.1: the Admin REST API calls the Shopify connector
makes, with the request and response formats shopify.dev documents (the resources wrapped in their
names, `errors` on a refusal, 201 on creation, 303 from discount_codes/lookup, 429 with
Retry-After, the orders listing paginated by the cursor in its Link header), and what it holds
after them, so a test can count what the platform really did.

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
        self, order_id: str, *, amount: str, captured: bool, gateway: str = "shopify_payments"
    ) -> None:
        """An order paid by card: authorised only, or captured (a sale)."""
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
            "cancelled_at": None,
            "transactions": [transaction],
            "refunds": [],
        }

    def fail_next(
        self, method: str, path_end: str, status: int, *, body: dict | None = None, headers=None
    ) -> None:
        self.failures.append(
            Failure(method, path_end, status, body or {"errors": "Internal Server Error"}, headers or {})
        )

    def posts(self, path_end: str) -> list[dict]:
        return [body for method, path, body in self.requests if method == "POST" and path.endswith(path_end)]

    # --- the API ------------------------------------------------------------------------------

    def list_order(self, order: dict) -> None:
        """An Order resource (as orders.json lists it, with `updated_at`) for the listing."""
        self.listed_orders = [item for item in self.listed_orders if item["id"] != order["id"]] + [order]

    def handle(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, dict, dict]:
        for failure in self.failures:
            if failure.method == method and path.endswith(failure.path_end):
                self.failures.remove(failure)
                return failure.status, failure.body, failure.headers
        parts = path.removesuffix(".json").split("/")
        if parts == ["orders"] and method == "GET":
            return self._listing(query)
        if parts[0] == "orders" and parts[1] in self.orders:
            return self._order(method, self.orders[parts[1]], parts[2:], body)
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
            rule = {**body["price_rule"], "id": next(self.ids)}
            self.price_rules.append(rule)
            return 201, {"price_rule": rule}, {}
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

    def _order(self, method: str, order: dict, rest: list[str], body: dict | None) -> tuple[int, dict, dict]:
        if not rest and method == "GET":
            return 200, {"order": {"id": order["id"], "cancelled_at": order["cancelled_at"]}}, {}
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

    do_GET = do_POST = _serve


def start(shop: FakeShopify) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"shop": shop})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    shop.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
