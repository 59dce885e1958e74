"""`premura import_orders`: a custom shop's orders from CSV, one row per line, grouped by order
number; Italian Excel's `;` and decimal commas with a BOM; bad orders reported with their lines
and the others imported; a second run skips what the first imported."""

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from premura.commerce import csv_orders
from premura.commerce.models import Order, OrderStatus, PaymentMethod, PaymentState, ShopConnection
from premura.customers.models import Customer
from tests.factories.commerce import OrderFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "order_number,placed_at,email,customer_name,currency,sku,product,category,quantity,unit_price,"
    "line_total,shipping_total,order_total,payment_method,payment_state,ship_to_name,ship_to_street,"
    "ship_to_postcode,ship_to_city,ship_to_province,ship_to_country"
)
MOKA = (
    "B2B-1001,2026-11-30T10:15:00+01:00,bar.centrale@example.it,Bar Centrale,EUR,MOKA-6,Moka 6 tazze,"
    "Caffettiere,2,49.90,99.80,5.90,115.70,bank_transfer,captured,Bar Centrale,Via Dante 3,40121,Bologna,"
    "BO,IT"
)
COFFEE = (
    "B2B-1001,2026-11-30T10:15:00+01:00,bar.centrale@example.it,Bar Centrale,EUR,COFFEE-250,"
    "Caffè macinato 250 g,Caffè,1,10.00,,5.90,115.70,bank_transfer,captured,Bar Centrale,Via Dante 3,"
    "40121,Bologna,BO,IT"
)
FILTERS = (
    "B2B-1002,2026-12-01T08:00:00Z,ristorante.sole@example.it,,EUR,FILTER-3,Filtro moka,,3,2.50,7.50,"
    "0,7.50,,,Ristorante Sole,Piazza Maggiore 1,40124,Bologna,bo,it"
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def shop(db) -> ShopConnection:
    connection = ShopConnection(platform="generic", name="Gestionale B2B", slug="b2b")
    connection.webhook_secret = "segreto"
    connection.save()
    return connection


def write(tmp_path: Path, *rows: str, name: str = "orders.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def run(path: Path, *options: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(path), "--shop", "b2b", *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_orders_are_imported_grouped_by_number_and_a_second_run_skips_them(tmp_path, shop):
    path = write(tmp_path, HEADER, MOKA, FILTERS, COFFEE, ",,,,,,,,,,,,,,,,,,,,")
    out, err = run(path)
    assert out == "Imported 2 orders (0 already imported), 0 bad orders, from 3 rows.\n" and err == ""
    order = Order.objects.get(number="B2B-1001")
    assert (order.source, order.external_id, order.status) == ("b2b", "B2B-1001", OrderStatus.PAID)
    assert (order.total, order.shipping_total, order.subtotal) == (
        Decimal("115.70"),
        Decimal("5.90"),
        Decimal("109.80"),
    )
    assert [(line.sku, line.category, line.quantity, line.total) for line in order.lines.order_by("pk")] == [
        ("MOKA-6", "Caffettiere", 2, Decimal("99.80")),
        ("COFFEE-250", "Caffè", 1, Decimal("10.00")),
    ]
    payment = order.payments.get()
    assert (payment.method, payment.state, payment.amount) == (
        PaymentMethod.BANK_TRANSFER,
        PaymentState.CAPTURED,
        Decimal("115.70"),
    )
    assert order.placed_at == datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC)
    assert (
        order.customer.full_name == "Bar Centrale"
        and order.customer.primary_email == "bar.centrale@example.it"
    )
    other = Order.objects.get(number="B2B-1002")
    assert other.status == OrderStatus.PENDING and not other.payments.exists()
    assert (other.customer.full_name, other.shipping_province, other.shipping_country) == (
        "Ristorante Sole",
        "BO",
        "IT",
    )

    out, _err = run(path, "--json")
    assert json.loads(out) == {"rows": 3, "imported": 0, "skipped": 2, "bad": 0}
    assert Order.objects.count() == 2 and Customer.objects.count() == 2


def test_an_italian_excel_export_with_semicolons_decimal_commas_and_a_bom(tmp_path, shop):
    rows = [
        HEADER.replace(",", ";"),
        "B2B-2001;2026-11-30T10:15:00+01:00;x@example.it;Caffè Rossi;EUR;MOKA-3;Moka 3 tazze;;1;29,90;29,90;"
        "5,90;35,80;card;authorized;"
        "Caffè Rossi;Via Indipendenza 8;40121;Bologna;BO;IT",
    ]
    path = write(tmp_path, *rows, encoding="utf-8-sig")
    out, err = run(path, "--json")
    assert json.loads(out) == {"rows": 1, "imported": 1, "skipped": 0, "bad": 0}, err
    order = Order.objects.get(number="B2B-2001")
    assert order.total == Decimal("35.80") and order.lines.get().unit_price == Decimal("29.90")
    assert order.payments.get().state == PaymentState.AUTHORIZED and order.status == OrderStatus.PAID


def test_bad_orders_are_reported_with_their_lines_and_the_good_ones_imported(tmp_path, shop):
    OrderFactory(number="B2B-3005", source="manual")
    wrong_total = MOKA.replace("B2B-1001", "B2B-3001").replace("115.70", "120.00")
    disagreeing = [
        MOKA.replace("B2B-1001", "B2B-3002"),
        COFFEE.replace("B2B-1001", "B2B-3002").replace("115.70", "115.00"),
    ]
    naive = FILTERS.replace("B2B-1002", "B2B-3003").replace("2026-12-01T08:00:00Z", "2026-12-01T08:00:00")
    thousands = FILTERS.replace("B2B-1002", "B2B-3004").replace(",2.50,", ',"1.234,56",')
    taken = FILTERS.replace("B2B-1002", "B2B-3005")
    extra = FILTERS.replace("B2B-1002", "B2B-3006") + ",surplus"
    half_payment = FILTERS.replace("B2B-1002", "B2B-3007").replace(",0,7.50,,,", ",0,7.50,card,,")
    path = write(
        tmp_path, HEADER, wrong_total, *disagreeing, naive, FILTERS, thousands, taken, extra, half_payment
    )
    out, err = run(path, "--json")
    assert json.loads(out) == {"rows": 9, "imported": 1, "skipped": 0, "bad": 7}
    assert Order.objects.filter(source="b2b").get().number == "B2B-1002"
    reasons = err.splitlines()
    assert reasons[0] == (
        "line 2 (order B2B-3001): The total 120.00 is not the lines' sum 99.80 plus shipping 5.90."
    )
    assert reasons[1] == (
        "lines 3, 4 (order B2B-3002): line 4: order_total 115.00 is not line 3's 115.70: "
        "an order's rows must agree"
    )
    assert reasons[2].startswith(
        "line 5 (order B2B-3003): line 5: placed_at: Input should have timezone info"
    )
    assert reasons[3].startswith(
        "line 7 (order B2B-3004): line 7: unit_price: Value error, write amounts without"
    )
    assert reasons[4] == "line 8 (order B2B-3005): the number B2B-3005 is already an order from manual"
    assert reasons[5] == "line 9 (order B2B-3006): line 9: more values than columns"
    assert reasons[6] == (
        "line 10 (order B2B-3007): line 10: give payment_method and payment_state together, or neither"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"order_number,email\nB2B-1,a@example.it\n", "Columns missing from the header row: placed_at, sku"),
        (HEADER.encode() + b"\n" + COFFEE.encode("latin-1"), "is not UTF-8"),
        (b"", "no header row"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(tmp_path, shop, content, message):
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert Order.objects.count() == 0


def test_the_file_size_is_bounded_and_only_custom_shops_import(tmp_path, shop, monkeypatch):
    path = write(tmp_path, HEADER, MOKA)
    monkeypatch.setattr(csv_orders, "MAX_FILE_BYTES", 100)
    with pytest.raises(CommandError, match="is larger than 100 bytes: split it"):
        run(path)
    monkeypatch.undo()
    ShopConnection.objects.create(platform="shopify", name="Bottega", slug="bottega")
    with pytest.raises(CommandError, match="bottega is a Shopify shop"):
        call_command("import_orders", str(path), "--shop", "bottega", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No shop connection 'nowhere'"):
        call_command("import_orders", str(path), "--shop", "nowhere", stdout=io.StringIO())
