"""`premura import_orders FILE --shop <slug>`: a custom shop's orders from a CSV file (decision 0033),
for a shop whose system sends no webhooks, or to bring its history in.

One row per order line, with a header row naming the columns (COLUMNS; others are ignored); the
rows of one order share its ``order_number`` and repeat its order-level values, which must agree.
Amounts include tax, the order's total being its lines plus shipping; a decimal comma is read as
a point ("49,90"), thousands separators are refused. UTF-8 with or without a BOM, ``;`` or ``,``
between values (Italian Excel writes ``;``).

Each order is imported on its own, through the same path as a webhook's (ingest.import_shop_order:
its customer found by e-mail or created): a bad order is reported with its line numbers and the
reason, and the others are imported; an order already imported from this shop is skipped and
counted, so the same file can be imported again safely.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from django.db import transaction
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from premura.commerce import ingest
from premura.commerce.connectors.base import ShopOrder
from premura.commerce.exceptions import DuplicateOrder, OrderError
from premura.commerce.models import Order, OrderStatus, PaymentMethod, PaymentState, ShopConnection
from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress
from premura.core.text import describe_invalid
from premura.customers.services import CustomerError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINES_PER_ORDER = 500
REQUIRED_COLUMNS = (
    "order_number",
    "placed_at",
    "email",
    "sku",
    "product",
    "quantity",
    "unit_price",
    "order_total",
    "ship_to_name",
    "ship_to_street",
    "ship_to_postcode",
    "ship_to_city",
)
OPTIONAL_COLUMNS = (
    "customer_name",
    "currency",
    "category",
    "line_total",
    "shipping_total",
    "payment_method",
    "payment_state",
    "status",
    "ship_to_province",
    "ship_to_country",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# The columns that describe the order, not the line: the same on each of its rows.
LINE_COLUMNS = frozenset({"sku", "product", "category", "quantity", "unit_price", "line_total"})
ORDER_COLUMNS = tuple(column for column in COLUMNS if column not in LINE_COLUMNS)
# Where nothing says otherwise, what the payment says of the order.
STATUS_BY_PAYMENT = {
    PaymentState.AUTHORIZED: OrderStatus.PAID,
    PaymentState.CAPTURED: OrderStatus.PAID,
    PaymentState.PARTIALLY_REFUNDED: OrderStatus.PAID,
    PaymentState.REFUNDED: OrderStatus.REFUNDED,
    PaymentState.VOIDED: OrderStatus.CANCELLED,
}


class ImportFileError(Exception):
    """The file cannot be read as a whole (too large, not UTF-8, no header, missing columns)."""


def _amount(value: Any) -> Any:
    """ "49,90" (a decimal comma) as "49.90"; "1.234,56" refused: a thousands separator."""
    if isinstance(value, str) and "," in value:
        if "." in value or value.count(",") > 1:
            raise ValueError("write amounts without a thousands separator (49.90 or 49,90)")
        return value.replace(",", ".")
    return value


Amount = Annotated[Decimal, BeforeValidator(_amount), Field(ge=0, max_digits=12, decimal_places=2)]


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    order_number: str = Field(min_length=1, max_length=32)
    placed_at: AwareDatetime
    email: str = Field(min_length=3, max_length=254)
    customer_name: str = Field("", max_length=200)
    currency: str = Field("EUR", pattern=r"^[A-Za-z]{3}$")
    sku: str = Field(min_length=1, max_length=64)
    product: str = Field(min_length=1, max_length=200)
    category: str = Field("", max_length=100)
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Amount
    line_total: Amount | None = None
    shipping_total: Amount = Decimal("0")
    order_total: Amount
    payment_method: PaymentMethod | None = None
    payment_state: PaymentState | None = None
    status: OrderStatus | None = None
    ship_to_name: str = Field(min_length=1, max_length=200)
    ship_to_street: str = Field(min_length=1, max_length=200)
    ship_to_postcode: str = Field(min_length=1, max_length=16)
    ship_to_city: str = Field(min_length=1, max_length=100)
    ship_to_province: str = Field("", max_length=8)
    ship_to_country: str = Field("IT", pattern=r"^[A-Za-z]{2}$")


@dataclass
class BadOrder:
    order_number: str
    lines: list[int]
    reason: str


@dataclass
class Summary:
    rows: int = 0
    imported: int = 0
    # Orders of this shop already imported (an earlier run of the file): left as they are.
    skipped: int = 0
    bad: list[BadOrder] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "imported": self.imported, "skipped": self.skipped, "bad": len(self.bad)}


def _text(path: Path) -> str:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(f"{path.name} is larger than {MAX_FILE_BYTES} bytes: split it")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{path.name} is not UTF-8 (byte {error.start}): save it as 'CSV UTF-8' and try again"
        ) from None


def _reader(text: str) -> csv.DictReader:
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise ImportFileError("The file has no header row")
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    missing = [column for column in REQUIRED_COLUMNS if column not in reader.fieldnames]
    if missing:
        raise ImportFileError(f"Columns missing from the header row: {', '.join(missing)}")
    return reader


def _group(reader: csv.DictReader, summary: Summary) -> dict[str, list[tuple[int, dict | None, str]]]:
    """The rows of each order (by its number, case-insensitive), in the file's order: (line
    number, row or None, why not)."""
    orders: dict[str, list[tuple[int, dict | None, str]]] = {}
    for row in reader:
        summary.rows += 1
        number = (row.get("order_number") or "").strip().upper()
        line = reader.line_num
        if None in row:
            orders.setdefault(number, []).append((line, None, "more values than columns"))
            continue
        values = {key: value for key, value in row.items() if value is not None and value.strip()}
        if not values:
            # A row of empty cells (spreadsheets add them at the end): not a row at all.
            summary.rows -= 1
            continue
        orders.setdefault(number, []).append((line, values, ""))
    return orders


def _order(number: str, rows: list[tuple[int, dict | None, str]]) -> ShopOrder:
    """The order its rows describe; raises OrderError with the lines and reason."""
    if not number:
        raise OrderError("order_number is empty")
    if len(rows) > MAX_LINES_PER_ORDER:
        raise OrderError(f"more than {MAX_LINES_PER_ORDER} lines")
    valid: list[tuple[int, Row]] = []
    for line, values, problem in rows:
        if problem:
            raise OrderError(f"line {line}: {problem}")
        try:
            valid.append((line, Row.model_validate(values)))
        except ValidationError as error:
            raise OrderError(f"line {line}: {describe_invalid(error)}") from None
    first_line, first = valid[0]
    for line, row in valid[1:]:
        for column in ORDER_COLUMNS:
            if column != "order_number" and getattr(row, column) != getattr(first, column):
                raise OrderError(
                    f"line {line}: {column} {getattr(row, column)} is not line {first_line}'s "
                    f"{getattr(first, column)}: an order's rows must agree"
                )
    if (first.payment_method is None) != (first.payment_state is None):
        raise OrderError(f"line {first_line}: give payment_method and payment_state together, or neither")
    payment = None
    if first.payment_method is not None:
        payment = NewPayment(
            method=first.payment_method, state=first.payment_state, amount=first.order_total, provider="csv"
        )
    status = first.status or STATUS_BY_PAYMENT.get(first.payment_state, OrderStatus.PENDING)
    return ShopOrder(
        external_id=number,
        number=number,
        email=first.email,
        customer_name=first.customer_name or first.ship_to_name,
        currency=first.currency.upper(),
        lines=[
            NewOrderLine(
                sku=row.sku,
                name=row.product,
                unit_price=row.unit_price,
                quantity=row.quantity,
                total=row.line_total,
                category=row.category,
            )
            for _line, row in valid
        ],
        shipping_total=first.shipping_total,
        total=first.order_total,
        address=ShippingAddress(
            name=first.ship_to_name,
            street=first.ship_to_street,
            postcode=first.ship_to_postcode,
            city=first.ship_to_city,
            province=first.ship_to_province.upper(),
            country=first.ship_to_country.upper(),
        ),
        placed_at=first.placed_at,
        status=status,
        payment=payment,
    )


def import_file(
    path: Path,
    connection: ShopConnection,
    *,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> Summary:
    """Import the orders of `path` for the custom shop `connection`. Raises ImportFileError when
    the file cannot be read as a whole; a bad order is reported in the summary, never raised."""
    reader = _reader(_text(path))
    summary = Summary(ignored_columns=[name for name in reader.fieldnames if name not in COLUMNS])
    orders = _group(reader, summary)
    numbers, known = list(orders), set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        known.update(
            Order.objects.filter(source=connection.slug, external_id__in=chunk).values_list(
                "external_id", flat=True
            )
        )
    for done, (number, rows) in enumerate(orders.items(), start=1):
        if number and number in known:
            summary.skipped += 1
        else:
            _import_one(connection, number, rows, summary)
        on_progress(done, len(orders))
    return summary


def _import_one(connection: ShopConnection, number: str, rows: list, summary: Summary) -> None:
    lines = [line for line, _values, _problem in rows]
    try:
        order = _order(number, rows)
        other = Order.objects.filter(number=number).exclude(source=connection.slug).first()
        if other is not None:
            raise OrderError(f"the number {number} is already an order from {other.source}")
        with transaction.atomic():
            ingest.import_shop_order(connection, order)
    except DuplicateOrder:
        # Imported meanwhile (another run of the file): as good as skipped.
        summary.skipped += 1
        return
    except (OrderError, CustomerError) as error:
        summary.bad.append(BadOrder(order_number=number, lines=lines, reason=str(error)))
        return
    summary.imported += 1
