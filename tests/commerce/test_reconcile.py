"""The reconciliation job (decision 0034) against the fake Shopify: a webhook never delivered, an
order cancelled while webhooks were down, a second run that changes nothing, a bad order that
stops nothing, the checkpoint and its overlap, the per-run limit, Shopify's cursor pagination,
the command and the periodic task."""

import copy
import datetime
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from premura.commerce import reconcile
from premura.commerce.connectors import shopify as shopify_connector
from premura.commerce.models import Order, OrderStatus, PaymentState, Refund, RefundStatus, ShopConnection
from premura.core import clock
from premura.core.audit import events_for
from premura.core.models import AuditEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)
CHECKPOINT = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now_in_english():
    with clock.frozen_at(NOW), translation.override("en"):
        yield


@pytest.fixture
def connection(shop_connection) -> ShopConnection:
    shop_connection.reconciled_until = CHECKPOINT
    shop_connection.save()
    return shop_connection


def order_json(order_id: int, *, updated: str, number: str = "", **changes) -> dict:
    """Shopify's Order resource (the webhook fixture's shape), with its own id and change time."""
    order = copy.deepcopy(json.loads((FIXTURES / "orders_create.json").read_text()))
    order.update(id=order_id, name=f"#{number or order_id}", updated_at=updated, **changes)
    return order


def test_an_order_whose_webhook_never_came_arrives_with_lines_payment_and_address(shopify, connection):
    shopify.list_order(order_json(1001, updated="2026-12-01T10:15:00+01:00"))
    result = reconcile.reconcile(connection)
    assert (result.read, result.failed, result.stopped) == (1, [], "")
    order = Order.objects.get(source="bottega", external_id="1001")
    assert order.number == "1001" and order.status == OrderStatus.PAID and order.total == Decimal("115.70")
    assert [(line.sku, line.quantity, line.total) for line in order.lines.order_by("pk")] == [
        ("MOKA-6", 2, Decimal("99.80")),
        ("COFFEE-250", 1, Decimal("10.00")),
    ]
    assert order.payments.get().state == PaymentState.AUTHORIZED
    assert (order.shipping_street, order.shipping_city, order.shipping_province) == (
        "Via Torino 12",
        "Milano",
        "MI",
    )
    assert order.customer.primary_email == "jon@example.com"
    connection.refresh_from_db()
    assert connection.reconciled_until == datetime.datetime(2026, 12, 1, 9, 15, tzinfo=datetime.UTC)
    # The listing asked for what changed since the checkpoint less the overlap.
    assert shopify.listings[0]["updated_at_min"] == ["2026-12-01T07:50:00+00:00"]


def test_an_order_cancelled_while_webhooks_were_down_is_cancelled_here_and_a_second_run_changes_nothing(
    shopify, connection
):
    shopify.list_order(order_json(1001, updated="2026-12-01T10:15:00+01:00"))
    reconcile.reconcile(connection)
    cancelled = order_json(
        1001,
        updated="2026-12-01T11:00:00+01:00",
        cancelled_at="2026-12-01T11:00:00+01:00",
        financial_status="voided",
    )
    shopify.list_order(cancelled)
    connection.refresh_from_db()
    reconcile.reconcile(connection)
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED and order.payments.get().state == PaymentState.VOIDED
    events = AuditEvent.objects.count()
    connection.refresh_from_db()
    until = connection.reconciled_until
    again = reconcile.reconcile(connection)
    assert again.read == 1 and again.failed == []  # read again within the overlap, applied as before
    connection.refresh_from_db()
    assert AuditEvent.objects.count() == events and Order.objects.count() == 1
    assert connection.reconciled_until == until


def test_refunds_listed_on_an_order_are_recorded_once_and_ours_is_recognised(shopify, connection):
    refunds = [
        {
            "id": 929361462,
            "note": "Damaged in transit",
            "transactions": [{"kind": "refund", "status": "success", "amount": "20.00"}],
        }
    ]
    paid = order_json(
        1001, updated="2026-12-01T12:00:00+01:00", financial_status="partially_refunded", refunds=refunds
    )
    shopify.list_order(paid)
    reconcile.reconcile(connection)
    reconcile.reconcile(connection)
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.external_id) == (
        Decimal("20.00"),
        RefundStatus.SUBMITTED,
        "929361462",
    )
    assert Order.objects.get().payments.get().state == PaymentState.PARTIALLY_REFUNDED


def test_a_bad_order_is_reported_and_stops_neither_the_others_nor_the_checkpoint(shopify, connection):
    shopify.list_order(order_json(1001, updated="2026-12-01T10:00:00+01:00"))
    shopify.list_order(order_json(1002, updated="2026-12-01T10:05:00+01:00", total_price="999.00"))
    unreadable = order_json(1003, updated="2026-12-01T10:07:00+01:00")
    unreadable["line_items"][0]["quantity"] = 0
    shopify.list_order(unreadable)
    shopify.list_order(order_json(1004, updated="2026-12-01T10:10:00+01:00", email="arya@example.com"))
    result = reconcile.reconcile(connection)
    assert result.read == 4
    assert result.failed == [
        "1002: The total 999.00 is not the lines' sum 109.80 plus shipping 5.90.",
        "1003: line_items.0.quantity: 0 is not a positive whole number",
    ]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["1001", "1004"]
    connection.refresh_from_db()
    assert connection.reconciled_until == datetime.datetime(2026, 12, 1, 9, 10, tzinfo=datetime.UTC)
    reported = events_for(connection).filter(action=reconcile.NOT_RECONCILED).order_by("pk")
    assert [(event.data["external_id"], event.data["number"]) for event in reported] == [
        ("1002", "1002"),
        ("1003", "1003"),
    ]
    # Read again within the overlap: still failing, reported once.
    reconcile.reconcile(connection)
    assert reported.count() == 2
    assert list(reconcile.problems(connection)) == list(reported.reverse())


def test_the_checkpoint_overlaps_never_goes_back_and_never_passes_our_clock(shopify, connection):
    shopify.list_order(order_json(1001, updated="2026-12-01T08:55:00+01:00"))
    result = reconcile.reconcile(connection)
    # Changed 5 minutes before the checkpoint: inside the overlap, read and applied...
    assert result.read == 1 and Order.objects.count() == 1
    # ...but the checkpoint does not move back to it.
    assert result.reconciled_until == CHECKPOINT
    # A --since far back reads more, and moves the checkpoint only forward.
    shopify.list_order(order_json(1002, updated="2026-11-20T09:00:00+01:00"))
    result = reconcile.reconcile(connection, since=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC))
    assert result.read == 2 and result.reconciled_until == CHECKPOINT
    # A platform clock ahead of ours: the checkpoint stops at our now.
    shopify.list_order(order_json(1003, updated="2026-12-03T14:00:00+01:00"))
    assert reconcile.reconcile(connection).reconciled_until == NOW


def test_the_run_is_bounded_and_the_next_goes_on_from_the_checkpoint(shopify, connection, monkeypatch):
    monkeypatch.setattr(shopify_connector, "PAGE_SIZE", 2)
    for minute in range(5):
        shopify.list_order(order_json(1001 + minute, updated=f"2026-12-01T10:0{minute}:00+01:00"))
    first = reconcile.reconcile(connection, limit=3)
    assert first.read == 3 and first.more
    second = reconcile.reconcile(ShopConnection.objects.get(), limit=3)
    # The three already applied are in the overlap (read again, not counted); then the last two.
    assert second.read == 5 and not second.more
    assert Order.objects.count() == 5
    assert second.reconciled_until == datetime.datetime(2026, 12, 1, 9, 4, tzinfo=datetime.UTC)


def test_shopify_lists_its_orders_across_three_pages_by_the_link_cursor(shopify, connection, monkeypatch):
    monkeypatch.setattr(shopify_connector, "PAGE_SIZE", 2)
    for minute in range(6):
        shopify.list_order(order_json(2001 + minute, updated=f"2026-12-01T11:0{minute}:00+01:00"))
    connector = shopify_connector.ShopifyConnector(connection)
    orders = list(connector.orders_changed_since(CHECKPOINT))
    assert [order.external_id for order in orders] == [str(2001 + minute) for minute in range(6)]
    assert orders[0].changed_at == datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
    assert len(shopify.listings) == 3
    assert all(set(query) == {"limit", "page_info"} for query in shopify.listings[1:])


def test_a_platform_outage_stops_the_run_where_it_is(shopify, connection):
    shopify.list_order(order_json(1001, updated="2026-12-01T10:15:00+01:00"))
    shopify.fail_next("GET", "orders.json", 503)
    result = reconcile.reconcile(connection)
    assert result.stopped == "Internal Server Error" and result.read == 0
    connection.refresh_from_db()
    assert connection.reconciled_until == CHECKPOINT
    assert not events_for(connection).filter(action=reconcile.NOT_LISTED).exists()
    # A wrong token is permanent: reported on the connection for an administrator.
    connection.access_token = "shpat_wrong"
    connection.save()
    result = reconcile.reconcile(connection)
    assert result.stopped == "[API] Invalid API key or access token"
    assert events_for(connection).get(action=reconcile.NOT_LISTED).data["error"] == result.stopped


def test_a_bug_in_one_shops_listing_stops_only_that_shop(shopify, connection, monkeypatch):
    def broken(self, since):
        raise KeyError("updated_at")
        yield

    monkeypatch.setattr(shopify_connector.ShopifyConnector, "orders_changed_since", broken)
    [result] = reconcile.reconcile_all()
    assert result.stopped == "KeyError: 'updated_at'"
    assert events_for(connection).get(action=reconcile.NOT_LISTED).data["error"] == result.stopped


def test_the_command_and_the_task_reconcile_every_shop_that_lists_orders(shopify, connection, db):
    custom = ShopConnection(platform="generic", name="Gestionale", slug="custom", api_url="https://x.example")
    custom.save()
    assert list(reconcile.connections_to_reconcile()) == [connection]
    shopify.list_order(order_json(1001, updated="2026-12-01T10:15:00+01:00"))
    out = StringIO()
    call_command("reconcile_orders", "--shop", "bottega", stdout=out)
    assert out.getvalue() == "bottega: 1 orders read, up to 2026-12-01T09:15:00+00:00\n"
    from premura.commerce.tasks import reconcile_orders_task

    assert reconcile_orders_task.call_local() == 1
    with pytest.raises(CommandError, match="does not list its orders"):
        call_command("reconcile_orders", "--shop", "custom")
    with pytest.raises(CommandError, match="needs a time zone"):
        call_command("reconcile_orders", "--since", "2026-12-01T00:00:00")
