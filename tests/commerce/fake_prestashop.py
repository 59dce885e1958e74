"""A fake PrestaShop shop for the tests, on 127.0.0.1: the Webservice calls the PrestaShop
connector makes, in the formats devdocs.prestashop-project.org documents: HTTP Basic with the
key as the user name (401 otherwise), `output_format=JSON` answers ({"orders": [...]}, an empty
listing as []), XML otherwise, XML bodies for writes, list parameters (display, filter[...] with
[a|b], [from,to] and literal values, sort, limit "offset,n"), and refusals as
{"errors": [{"code", "message"}]}.

`fail_next(method, path_start, status, ...)` makes the next matching request fail as PrestaShop
does when it is down (5xx), throttled by a proxy (429) or refusing (400).
"""

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from tests.commerce import fake_http

# The resource's node names in answers: (one, many).
NODES = {
    "orders": ("order", "orders"),
    "customers": ("customer", "customers"),
    "addresses": ("address", "addresses"),
    "countries": ("country", "countries"),
    "states": ("state", "states"),
    "currencies": ("currency", "currencies"),
    "languages": ("language", "languages"),
    "order_states": ("order_state", "order_states"),
    "order_histories": ("order_history", "order_histories"),
    "order_slip": ("order_slip", "order_slips"),
    "cart_rules": ("cart_rule", "cart_rules"),
    "configurations": ("configuration", "configurations"),
}

# PrestaShop's default order states (install data), as /api/order_states lists them.
DEFAULT_STATES = [
    (1, "Awaiting check payment", "cheque", {}),
    (2, "Payment accepted", "payment", {"paid": "1"}),
    (3, "Processing in progress", "preparation", {"paid": "1"}),
    (4, "Shipped", "shipped", {"paid": "1", "shipped": "1"}),
    (5, "Delivered", "", {"paid": "1", "shipped": "1", "delivery": "1"}),
    (6, "Canceled", "order_canceled", {}),
    (7, "Refunded", "refund", {"paid": "1"}),
    (8, "Payment error", "payment_error", {}),
    (10, "Awaiting bank wire payment", "bankwire", {}),
]


def _state(state_id: int, name: str, template: str, flags: dict) -> dict:
    row = {"id": state_id, "paid": "0", "shipped": "0", "delivery": "0", "deleted": "0"}
    row.update(flags)
    row["name"] = [{"id": "1", "value": name}]
    row["template"] = [{"id": "1", "value": template}]
    return row


def _matches(value, wanted: str, *, dated: bool) -> bool:
    text = str(value)
    inner = wanted.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        return text == inner
    inner = inner[1:-1]
    if "|" in inner:
        return text in inner.split("|")
    if "," in inner and dated:
        low, high = inner.split(",", 1)
        return low <= text <= high
    return text.lower() == inner.lower()


@dataclass
class Failure:
    method: str
    path_start: str
    status: int
    body: dict
    headers: dict


@dataclass
class FakePrestaShop:
    key: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
    time_zone: str = "Europe/Rome"
    tables: dict[str, dict[str, dict]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict, bytes]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(500))
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def __post_init__(self) -> None:
        for resource in NODES:
            self.tables.setdefault(resource, {})
        for state in DEFAULT_STATES:
            self.put("order_states", _state(*state))
        self.put("configurations", {"id": 1, "name": "PS_TIMEZONE", "value": self.time_zone})
        self.put("currencies", {"id": 1, "iso_code": "EUR"})
        self.put("languages", {"id": 1, "iso_code": "it", "active": "1"})
        self.put("languages", {"id": 2, "iso_code": "en", "active": "1"})
        self.put("countries", {"id": 10, "iso_code": "IT"})
        self.put("states", {"id": 140, "iso_code": "TO", "id_country": 10})

    def put(self, resource: str, row: dict) -> dict:
        self.tables[resource][str(row["id"])] = row
        return row

    def add_order(
        self,
        order_id: int,
        *,
        email: str = "giulia@example.it",
        state: int = 2,
        changed: str = "2026-12-01 10:00:00",
        rows: list[tuple[str, str, str, int]] | None = None,
        shipping: str = "5.00",
        discounts: str = "0.00",
        module: str = "ps_checkpayment",
    ) -> dict:
        """An order with its customer and delivery address; `rows` are (reference, name, unit
        price with tax, quantity)."""
        rows = rows or [("MOKA-3", "Moka 3 tazze", "24.90", 2)]
        goods = sum(float(price) * quantity for _, _, price, quantity in rows)
        total = f"{goods + float(shipping) - float(discounts):.2f}"
        customer = self.put(
            "customers",
            {"id": 40 + order_id, "email": email, "firstname": "Giulia", "lastname": "Verdi", "id_lang": 1},
        )
        address = self.put(
            "addresses",
            {
                "id": 70 + order_id,
                "id_customer": customer["id"],
                "id_country": 10,
                "id_state": 140,
                "alias": "Casa",
                "firstname": "Giulia",
                "lastname": "Verdi",
                "address1": "Via Roma 1",
                "address2": "",
                "postcode": "10121",
                "city": "Torino",
                "deleted": "0",
            },
        )
        return self.put(
            "orders",
            {
                "id": order_id,
                "reference": f"REF{order_id:06d}",
                "id_customer": customer["id"],
                "id_address_delivery": address["id"],
                "id_address_invoice": address["id"],
                "id_currency": 1,
                "id_lang": 1,
                "current_state": state,
                "module": module,
                "payment": "Payments by check",
                "date_add": "2026-12-01 09:00:00",
                "date_upd": changed,
                "total_discounts_tax_incl": discounts,
                "total_paid": total,
                "total_paid_tax_incl": total,
                "total_paid_real": total if state in (2, 3, 4, 5) else "0.00",
                "total_shipping_tax_incl": shipping,
                "total_wrapping_tax_incl": "0.00",
                "associations": {
                    "order_rows": [
                        {
                            "id": index + 1,
                            "product_id": 100 + index,
                            "product_attribute_id": 0,
                            "product_quantity": str(quantity),
                            "product_name": name,
                            "product_reference": reference,
                            "unit_price_tax_incl": f"{float(price):.6f}",
                        }
                        for index, (reference, name, price, quantity) in enumerate(rows)
                    ]
                },
            },
        )

    def fail_next(
        self, method: str, path_start: str, status: int, *, body: dict | None = None, headers=None
    ) -> None:
        body = body or {"errors": [{"code": 0, "message": "Internal error"}]}
        self.failures.append(Failure(method, path_start, status, body, headers or {}))

    def writes(self, resource: str) -> list[tuple[str, bytes]]:
        return [
            (method, body) for method, path, _, body in self.requests if method != "GET" and path == resource
        ]

    # --- the Webservice -----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: bytes) -> tuple[int, object]:
        for failure in self.failures:
            if failure.method == method and path.startswith(failure.path_start):
                self.failures.remove(failure)
                return failure.status, failure.body
        resource, _, row_id = path.partition("/")
        if resource not in NODES:
            return 400, {
                "errors": [{"code": 20, "message": f'Resource of type "{resource}" does not exists'}]
            }
        one, many = NODES[resource]
        table = self.tables[resource]
        if method == "GET" and row_id:
            if row_id not in table:
                return 404, {"errors": [{"code": 87, "message": f"Invalid ID {row_id} for the {one}"}]}
            return 200, {one: table[row_id]}
        if method == "GET":
            return 200, self._listing(table, many, query)
        if method == "POST" and not row_id:
            return self._create(resource, one, body)
        if method == "PUT" and row_id in table:
            row = _from_xml(body, one)
            table[row_id].update(row)
            return 200, {one: table[row_id]}
        return 405, {"errors": [{"code": 100, "message": "Method not allowed"}]}

    def _listing(self, table: dict, many: str, query: dict) -> object:
        rows = list(table.values())
        for name, values in query.items():
            if name.startswith("filter[") and name.endswith("]"):
                column = name[7:-1]
                rows = [
                    row for row in rows if _matches(row.get(column, ""), values[0], dated="date" in query)
                ]
        sort = (query.get("sort") or ["[]"])[0].strip("[]")
        for key in reversed([part for part in sort.split(",") if part]):
            column, _, direction = key.rpartition("_")
            rows.sort(key=lambda row, column=column: _sortable(row.get(column)), reverse=direction == "DESC")
        limit = (query.get("limit") or [""])[0]
        if limit:
            start, _, count = limit.rpartition(",")
            rows = rows[int(start or 0) : int(start or 0) + int(count)]
        if not rows:
            return []  # what the Webservice answers in JSON for an empty listing
        display = (query.get("display") or [""])[0]
        if display and display != "full":
            fields = display.strip("[]").split(",")
            rows = [{name: row.get(name) for name in fields} for row in rows]
        elif not display:
            rows = [{"id": row["id"]} for row in rows]
        return {many: rows}

    def _create(self, resource: str, one: str, body: bytes) -> tuple[int, object]:
        try:
            row = _from_xml(body, one)
        except (ElementTree.ParseError, KeyError):
            return 400, {
                "errors": [{"code": 127, "message": "XML error : String could not be parsed as XML"}]
            }
        if resource == "order_histories":
            order = self.tables["orders"].get(row.get("id_order", ""))
            if order is None:
                return 400, {"errors": [{"code": 85, "message": "Validation error: id_order"}]}
            order["current_state"] = int(row["id_order_state"])
            order["date_upd"] = "2026-12-03 12:00:00"
        if resource == "cart_rules" and any(
            rule["code"] == row.get("code") for rule in self.tables[resource].values()
        ):
            return 400, {"errors": [{"code": 85, "message": "This cart rule code is already used"}]}
        if resource == "addresses":
            row.setdefault("deleted", "0")
        row["id"] = next(self.ids)
        self.put(resource, row)
        return 201, {one: row}


def _sortable(value):
    text = str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _from_xml(body: bytes, one: str) -> dict:
    node = ElementTree.fromstring(body).find(one)
    if node is None:
        raise KeyError(one)
    row = {}
    for child in node:
        languages = list(child.iter("language"))
        if languages:
            row[child.tag] = [{"id": item.get("id"), "value": item.text or ""} for item in languages]
        elif len(child) == 0:
            row[child.tag] = (child.text or "").strip()
    return row


def _to_xml(answer: dict) -> bytes:
    root = ElementTree.Element("prestashop")
    for name, value in answer.items():
        _xml_node(root, name, value)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _xml_node(parent, name: str, value) -> None:
    node = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_node(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_node(node, name.rstrip("s") or "item", item)
    else:
        node.text = str(value)


class _Handler(BaseHTTPRequestHandler):
    shop: FakePrestaShop

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization") or ""
        if not given.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(given[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.shop.key and password == ""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = split.path.removeprefix("/api/").strip("/")
        if not self._authorised():
            status, answer = 401, {"errors": [{"code": 17, "message": "Authentication key is empty"}]}
        else:
            with self.shop.lock:
                self.shop.requests.append((self.command, path, query, body))
                status, answer = self.shop.handle(self.command, path, query, body)
        if (query.get("output_format") or [""])[0] == "JSON":
            data, kind = json.dumps(answer).encode(), "application/json"
        else:
            data, kind = _to_xml(answer if isinstance(answer, dict) else {}), "text/xml"
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "30")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Welcome to PrestaShop Webservice"')
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve


def start(shop: FakePrestaShop) -> ThreadingHTTPServer:
    return fake_http.start(shop, _Handler)
