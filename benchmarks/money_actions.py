"""N refunds through the money-action layer against a fake Shopify on 127.0.0.1, with double
clicks, retried jobs and an outage: how many actions a second, and how many duplicated platform
calls (must be 0).

    python benchmarks/money_actions.py [--refunds N] [--outage SHARE] [--json]

Issue 15 (decision 0030). Each refund goes the product's way: `commerce.services.refund` (checks,
the payment locked, the row "requested", its audit event, the Huey task enqueued on commit), then
`commerce.submission.submit("refund", pk)` as a worker runs it (the claim, the connector's reads
and its POST to the fake shop over HTTP, the answer recorded), then the sweeper for the retries. One in
ten refunds is submitted twice with the same idempotency key (a double click) and its job run
twice (a retried job); a share of the platform's refund POSTs (default 5%) answer 503 first, and
the sweeper retries them with the clock moved past their backoff. Setting up customers and orders
is not timed. A fresh SQLite database in a temp directory; the fake shop is the tests' own
(tests/commerce/fake_shopify.py).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refunds", type=int, default=1000, help="refunds to make (default 1000)")
    parser.add_argument("--outage", type=float, default=0.05, help="share of refund POSTs answered 503 first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args(argv)
    if args.refunds < 10 or not 0 <= args.outage < 1:
        parser.error("--refunds must be at least 10 and --outage between 0 and 1")
    return args


def setup_django(temp_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{temp_dir / 'money.sqlite3'}"
    os.environ["PREMURA_VAR_DIR"] = str(temp_dir / "var")
    os.environ["DEBUG"] = "false"
    os.environ["HUEY_IMMEDIATE"] = "false"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_orders(shop, n: int) -> list:
    """n orders of 54.90 € paid by card, known to Premura and to the fake shop."""
    from premura.commerce.models import ShopConnection
    from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress, import_order
    from premura.customers.models import IdentityKind
    from premura.customers.services import NewIdentity, create_customer

    connection = ShopConnection(platform="shopify", name="Bench", slug="bench", api_url=shop.url)
    connection.access_token, connection.webhook_secret = shop.token, "bench-secret"
    connection.save()
    orders = []
    for i in range(n):
        if i % 5 == 0:
            email = f"cliente{i}@example.it"
            customer = create_customer(
                full_name=f"Cliente {i}", identities=[NewIdentity(IdentityKind.EMAIL, email)]
            )
        external_id = str(500_000_000 + i)
        orders.append(
            import_order(
                number=f"B-{i}",
                customer=customer,
                lines=[NewOrderLine(sku="MOKA-6", name="Moka", unit_price=Decimal("49.90"))],
                shipping_total=Decimal("5.00"),
                total=Decimal("54.90"),
                address=ShippingAddress(
                    name=f"Cliente {i}", street="Via Roma 1", postcode="20121", city="Milano"
                ),
                payment=NewPayment(method="card", state="captured", amount=Decimal("54.90")),
                email=email,
                source="bench",
                external_id=external_id,
            )
        )
        shop.add_order(external_id, amount="54.90", captured=True)
    return orders


def run(orders, shop, outage: float) -> tuple[float, list[int]]:
    from premura.commerce import services, submission
    from premura.core import clock

    every = round(1 / outage) if outage else 0
    for i in range(len(orders)):
        if every and i % every == 0:
            shop.fail_next("POST", f"orders/{orders[i].external_id}/refunds.json", 503)
    started = time.perf_counter()
    ids = []
    for i, order in enumerate(orders):
        for _click in range(2 if i % 10 == 0 else 1):
            refund = services.refund(
                order, Decimal("20.00"), idempotency_key=f"bench-{i}", actor=None, reason="Bench"
            )
        ids.append(refund.pk)
    for i, pk in enumerate(ids):
        for _job in range(2 if i % 10 == 0 else 1):
            submission.submit("refund", pk)
    with clock.frozen_at(clock.now() + datetime.timedelta(hours=1)):
        while submission.submit_due_actions():
            pass
    return time.perf_counter() - started, ids


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-money-"))
    try:
        setup_django(temp_dir)
        from tests.commerce.fake_shopify import FakeShopify, start

        shop = FakeShopify()
        server = start(shop)
        log(f"setting up {args.refunds} orders")
        orders = make_orders(shop, args.refunds)
        log(f"refunding them ({args.outage:.0%} of the platform's refund POSTs fail first)")
        elapsed, ids = run(orders, shop, args.outage)
        server.shutdown()
        from premura.commerce.models import Refund

        statuses = list(Refund.objects.filter(pk__in=ids).values_list("status", flat=True))
        on_platform = sum(len(order["refunds"]) for order in shop.orders.values())
        figures = {
            "refunds": len(ids),
            "submitted": statuses.count("submitted"),
            "failed": statuses.count("failed"),
            "platform_refunds": on_platform,
            "platform_posts": len(shop.posts("refunds.json")),
            "duplicate_platform_calls": on_platform - len(set(ids)),
            "elapsed_s": round(elapsed, 3),
            "actions_per_s": round(len(ids) / elapsed, 1),
            "python": platform.python_version(),
            "load": os.getloadavg()[0],
        }
        print(
            f"{figures['refunds']} refunds ({figures['submitted']} submitted, {figures['failed']} failed) "
            f"in {elapsed:.1f} s: {figures['actions_per_s']:.0f} actions/s; {on_platform} refunds on the "
            f"platform from {figures['platform_posts']} POSTs; "
            f"{figures['duplicate_platform_calls']} duplicated"
        )
        if args.json:
            print(json.dumps(figures))
        return 0 if figures["duplicate_platform_calls"] == 0 and figures["failed"] == 0 else 1
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
