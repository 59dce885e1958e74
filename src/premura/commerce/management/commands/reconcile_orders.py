"""`premura reconcile_orders [--shop SLUG] [--since ISO]`: read the shops' orders changed on their
platforms and apply them as webhooks would (commerce/reconcile.py, decision 0034). What the
periodic task does every 15 minutes, by hand: after an outage, or `--since` to read a shop's
history from a date (its checkpoint never moves back)."""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.commerce import reconcile
from premura.commerce.connectors import connector_for
from premura.commerce.models import ShopConnection


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since: {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise CommandError(f"--since: {value!r} needs a time zone (2026-12-01T00:00:00+01:00)")
    return moment


class Command(BaseCommand):
    help = "Read the shops' orders changed on their platforms and apply them (missed webhooks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", default="", help="a shop connection's slug (default: every shop)")
        parser.add_argument("--since", default="", help="ISO 8601 (default: the shop's checkpoint)")
        parser.add_argument(
            "--limit", type=int, default=reconcile.MAX_ORDERS_PER_RUN, help="orders per shop and run"
        )

    def handle(self, *args, shop: str, since: str, limit: int, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        start = _moment(since) if since else None
        connections = reconcile.connections_to_reconcile()
        if shop:
            connection = ShopConnection.objects.filter(slug=shop).first()
            if connection is None:
                raise CommandError(f"No shop connection {shop!r}")
            if not connector_for(connection).lists_orders:
                raise CommandError(f"{connection.get_platform_display()} does not list its orders")
            if not connection.is_active or not connection.api_url:
                raise CommandError(f"The shop {shop!r} is inactive or has no API address")
            connections = connections.filter(pk=connection.pk)
        failed = False
        for connection in connections.order_by("pk"):
            result = reconcile.reconcile(connection, since=start, limit=limit)
            until = result.reconciled_until.isoformat() if result.reconciled_until else "-"
            more = " (more to read: run again)" if result.more else ""
            self.stdout.write(f"{result.shop}: {result.read} orders read, up to {until}{more}")
            for line in result.failed:
                self.stderr.write(f"{result.shop}: order {line}")
            if result.stopped:
                self.stderr.write(f"{result.shop}: stopped: {result.stopped}")
            failed = failed or bool(result.failed or result.stopped)
        if failed:
            raise CommandError("Some orders could not be read or applied (see above).")
