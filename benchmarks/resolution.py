"""N lost-parcel reports through the resolution policy and the money actions, against a fake
Shopify on 127.0.0.1: how many decisions a second, the share resolved on the spot under the demo
shop's policy, and how many platform calls were duplicated (must be 0).

    python benchmarks/resolution.py [N] [--outage SHARE] [--json]

Issue 15. Setting up is not timed: the demo shop's resolution policies (demo/corpus.py), N
customers shaped like ../shared/benchmarks.md's (a third returning, with one to eight orders
delivered over up to four years; the others new), each with a shipped order from the fake shop
(totals from 15 to 250 euros) and the case they write about it. Then, timed, the product's way:

1. decide: `care.resolution.report_problem` for each (the trust score, the policy, the carrier
   claim, the customer's message or the review's promised date);
2. choose: each customer offered a choice picks one (alternately a new parcel or a refund), one
   in ten twice (a double click);
3. act: the money actions' worker (`commerce.submission`) makes the replacement orders and the
   refunds on the fake shop, one in ten of its first POSTs answered 503 and retried by the sweeper
   with the clock past the backoff.

A fresh SQLite database in a temp directory; the fake shop is the tests' (tests/commerce).
"""

import argparse
import datetime
import json
import os
import platform
import random
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
    parser.add_argument("reports", type=int, nargs="?", default=10_000, help="reports (default 10000)")
    parser.add_argument("--outage", type=float, default=0.1, help="share of first POSTs answered 503")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args(argv)
    if args.reports < 10 or not 0 <= args.outage < 1:
        parser.error("reports must be at least 10 and --outage between 0 and 1")
    return args


def setup_django(temp_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{temp_dir / 'resolution.sqlite3'}"
    os.environ["PREMURA_VAR_DIR"] = str(temp_dir / "var")
    os.environ["DEBUG"] = "false"
    os.environ["HUEY_IMMEDIATE"] = "false"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_shop(shop, n: int, rng: random.Random) -> list[tuple]:
    """The demo policies, a mailbox, and n (case, order) pairs: a shipped order each from the fake
    shop, its customer new or returning."""
    from premura.channels.models import Mailbox
    from premura.commerce.models import Order, OrderStatus, ShopConnection
    from premura.commerce.services import NewOrderLine, NewPayment, ShippingAddress, import_order
    from premura.conversations.services import open_case
    from premura.core import clock
    from premura.customers.models import IdentityKind
    from premura.customers.services import NewIdentity, create_customer
    from premura.demo.loader import ensure_resolution_policies

    ensure_resolution_policies()
    Mailbox.objects.create(address="assistenza@bench.example", display_name="Bench")
    connection = ShopConnection(platform="shopify", name="Bench", slug="bench", api_url=shop.url)
    connection.access_token, connection.webhook_secret = shop.token, "bench-secret"
    connection.save()
    now = clock.now()
    address = ShippingAddress(name="Cliente", street="Via Roma 1", postcode="20121", city="Milano")
    pairs, history = [], []
    for i in range(n):
        email = f"cliente{i}@example.it"
        returning = i % 3 == 0
        customer = create_customer(
            full_name=f"Cliente {i}", identities=[NewIdentity(IdentityKind.EMAIL, email)]
        )
        if returning:
            customer.created_at = now - datetime.timedelta(days=rng.randint(30, 4 * 365))
            customer.save(update_fields=["created_at"])
            for k in range(rng.randint(1, 8)):
                history.append(
                    Order(
                        number=f"H-{i}-{k}",
                        customer=customer,
                        status=OrderStatus.DELIVERED,
                        total=Decimal(rng.randint(15, 250)),
                        email=email,
                        placed_at=now - datetime.timedelta(days=rng.randint(10, 700)),
                    )
                )
        price = Decimal(rng.randint(10, 245))
        external_id = str(600_000_000 + i)
        order = import_order(
            number=f"R-{i}",
            customer=customer,
            lines=[NewOrderLine(sku=f"SKU-{i % 30}", name="Articolo", unit_price=price)],
            shipping_total=Decimal("5.00"),
            total=price + Decimal("5.00"),
            address=address,
            payment=NewPayment(method="card", state="captured", amount=price + Decimal("5.00")),
            email=email,
            status=OrderStatus.SHIPPED,
            source="bench",
            external_id=external_id,
        )
        total = str(price + Decimal("5.00"))
        shop.add_order(external_id, amount=total, captured=True, skus=(f"SKU-{i % 30}",))
        case = open_case(customer=customer, order=order, subject="Pacco mai arrivato", body="Non è arrivato.")
        pairs.append((case, order))
        if len(history) > 2000:
            Order.objects.bulk_create(history)
            history.clear()
    Order.objects.bulk_create(history)
    return pairs


def run(pairs, shop, outage: float) -> dict:
    from premura.care import resolution
    from premura.care.models import ReportState
    from premura.commerce import submission
    from premura.core import clock

    every = round(1 / outage) if outage else 0
    for i, (_case, order) in enumerate(pairs):
        if every and i % every == 0:
            shop.fail_next("POST", f"orders/{order.external_id}/refunds.json", 503)
    started = time.perf_counter()
    reports = [resolution.report_problem(case, order, "lost_parcel") for case, order in pairs]
    decided = time.perf_counter()
    choices = 0
    for i, report in enumerate(reports):
        if report.state != ReportState.AWAITING_CHOICE:
            continue
        remedy = resolution.offered_remedies(report)[i % 2]
        for _click in range(2 if i % 10 == 0 else 1):
            resolution.choose(report, remedy)
        choices += 1
    chosen = time.perf_counter()
    from premura.commerce.models import Reshipment

    for _ in range(round(Reshipment.objects.count() * outage)):
        shop.fail_next("POST", "draft_orders.json", 503)
    with clock.frozen_at(clock.now()):
        while submission.submit_due_actions():
            pass
    with clock.frozen_at(clock.now() + datetime.timedelta(hours=2)):
        while submission.submit_due_actions():
            pass
    done = time.perf_counter()
    return {
        "reports": reports,
        "choices": choices,
        "decide_s": decided - started,
        "choose_s": chosen - decided,
        "act_s": done - chosen,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-resolution-"))
    try:
        setup_django(temp_dir)
        from tests.commerce.fake_shopify import FakeShopify, start

        shop = FakeShopify()
        server = start(shop)
        log(f"setting up {args.reports} customers, orders and cases")
        pairs = make_shop(shop, args.reports, random.Random(args.seed))
        log("reporting their parcels lost")
        timed = run(pairs, shop, args.outage)
        server.shutdown()
        from premura.care.models import ParcelReport, ReportState
        from premura.commerce.models import ActionStatus, Refund, RefundStatus, Reshipment

        reports = ParcelReport.objects.count()
        auto = ParcelReport.objects.filter(auto_resolved=True).count()
        refunds = Refund.objects.filter(status=RefundStatus.SUBMITTED).count()
        reshipments = Reshipment.objects.filter(status=ActionStatus.DONE).count()
        platform_refunds = sum(len(order["refunds"]) for order in shop.orders.values())
        platform_replacements = len(shop.made_orders())
        elapsed = timed["decide_s"] + timed["choose_s"] + timed["act_s"]
        figures = {
            "reports": reports,
            "auto_resolved_share": round(auto / reports, 3),
            "in_review": ParcelReport.objects.filter(state=ReportState.IN_REVIEW).count(),
            "decisions_per_s": round(reports / timed["decide_s"], 1),
            "choices": timed["choices"],
            "refunds": refunds,
            "reshipments": reshipments,
            "not_done": Refund.objects.exclude(status=RefundStatus.SUBMITTED).count()
            + Reshipment.objects.exclude(status=ActionStatus.DONE).count(),
            "platform_refunds": platform_refunds,
            "platform_replacements": platform_replacements,
            "duplicate_platform_calls": (platform_refunds - refunds) + (platform_replacements - reshipments),
            "decide_s": round(timed["decide_s"], 2),
            "choose_s": round(timed["choose_s"], 2),
            "act_s": round(timed["act_s"], 2),
            "end_to_end_per_s": round(reports / elapsed, 1),
            "python": platform.python_version(),
            "load": os.getloadavg()[0],
        }
        print(
            f"{reports} lost-parcel reports: {figures['decisions_per_s']:.0f} decisions/s, "
            f"{figures['auto_resolved_share']:.1%} resolved on the spot ({figures['in_review']} to review); "
            f"{refunds} refunds and {reshipments} re-shipments on the platform "
            f"({figures['not_done']} not done), {figures['duplicate_platform_calls']} duplicated; "
            f"end to end {figures['end_to_end_per_s']:.0f}/s"
        )
        if args.json:
            print(json.dumps(figures))
        return 0 if figures["duplicate_platform_calls"] == 0 and figures["not_done"] == 0 else 1
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
