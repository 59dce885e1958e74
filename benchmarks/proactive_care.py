"""Late parcels told first: a stream of delay signals through care, timed to the outbox.

    python benchmarks/proactive_care.py [--shipments N] [--late-share 0.02] [--rate 1000] [--seed S] [--json]

N shipments (default 200,000) are loaded in bulk; a share of them (default 2%) become late. Each
late parcel sends the stream the tracking detector (issue 13) sends for it, interleaved with the
other late parcels and paced at `--rate` signals a second: half begin with a carrier exception
(then stalled, the exception again, predicted), half with a prediction (again, stalled, then the
exception), all with the same expected date, and later the delivery after the promise.
Each signal is sent as shipping sends it: on commit of the shipment's update
(`shipping.signals.risk_changed`), so care's handling (incident, proactive case, grant, notice in
the outbox) runs after that commit. Until issue 13's ingest lands, the stream starts at the signal,
not at the carrier's raw event.

Prints the p50/p99 time from the arrival of a parcel's first signal (before the shipment's
update) to its notice's outbox row committed (target p99 <= 1 s; the key keeps the issue's name,
`exception_to_outbox_p99_s`), the most notices any incident got before its promised date (must
be 1), and the share of late parcels notified before the promised date. A fresh SQLite database
in a temp directory; `--json` prints one JSON object on the last line with the keys
`exception_to_outbox_p99_s`, `notices_per_incident_max`, `notified_before_promise`.
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

try:
    from benchmarks import inbox_scale
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import inbox_scale

ROME = datetime.timezone(datetime.timedelta(hours=1))
T0 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=ROME)  # a Tuesday morning, outside quiet hours
PROMISED = datetime.date(2026, 12, 3)
EXPECTED = datetime.date(2026, 12, 7)
BATCH = 10_000
TARGET_P99_S = 1.0


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=200_000)
    parser.add_argument("--late-share", type=float, default=0.02)
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="signals a second (0: as fast as possible)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="every figure as one JSON object, last line")
    args = parser.parse_args(argv)
    if args.shipments < 1 or not 0 < args.late_share <= 1:
        parser.error("--shipments must be positive and --late-share in (0, 1]")
    return args


def setup(temp_dir: Path) -> None:
    inbox_scale.prepare_environment(temp_dir / "proactive_care.sqlite3", temp_dir / "var")
    os.environ["HUEY_IMMEDIATE"] = "false"
    import django

    django.setup()
    from django.core.management import call_command

    log("migrating…")
    call_command("migrate", verbosity=0, interactive=False)


def load(n: int) -> list[int]:
    """N customers with an e-mail, their orders (one line each) and shipments; one mailbox, one
    compensation rule. Returns the shipment ids."""
    from premura.care.models import Compensation, CompensationRule
    from premura.channels.models import Mailbox
    from premura.commerce.models import Order, OrderLine
    from premura.customers.models import Customer, CustomerIdentity
    from premura.shipping.models import Carrier, Shipment

    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega Premura")
    CompensationRule.objects.create(
        name="late: 10% on the category",
        compensation=Compensation.COUPON_PERCENT,
        value=10,
        same_category=True,
    )
    carrier = Carrier.objects.create(code="brt", name="BRT")
    for first in range(0, n, BATCH):
        size = min(BATCH, n - first)
        customers = Customer.objects.bulk_create(
            Customer(full_name=f"Cliente {first + i}", language="it" if i % 4 else "en") for i in range(size)
        )
        CustomerIdentity.objects.bulk_create(
            CustomerIdentity(
                customer=c, kind="email", value=f"cliente{first + i}@example.it", is_primary=True
            )
            for i, c in enumerate(customers)
        )
        orders = Order.objects.bulk_create(
            Order(
                number=f"PRM-{first + i}",
                customer=c,
                total=Decimal("59.90"),
                email=f"cliente{first + i}@example.it",
                shipping_name=c.full_name,
                shipping_street="Via Roma 1",
                shipping_postcode="20121",
                shipping_city="Milano",
            )
            for i, c in enumerate(customers)
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=o, sku="MOKA", name="Moka", category="Caffè", unit_price=59.9, total=59.9)
            for o in orders
        )
        Shipment.objects.bulk_create(
            Shipment(
                order=o,
                carrier=carrier,
                tracking_number=f"0840{first + i:08d}",
                status="in_transit",
                promised_delivery_date=PROMISED,
            )
            for i, o in enumerate(orders)
        )
    return list(Shipment.objects.order_by("pk").values_list("pk", flat=True))


def stream(late_ids: list[int], rng: random.Random) -> list[tuple[int, str]]:
    """Each late parcel's signals in its own order, the parcels interleaved at random."""
    queues = {
        pk: ["exception", "stalled", "exception", "predicted"]
        if rng.random() < 0.5
        else ["predicted", "predicted", "stalled", "exception"]
        for pk in late_ids
    }
    out = []
    while queues:
        pk = rng.choice(list(queues))
        out.append((pk, queues[pk].pop(0)))
        if not queues[pk]:
            del queues[pk]
    return out


def send(pk: int, risk_signal: str, **fields) -> float:
    """Update the shipment and send risk_changed on commit, as the detector does; return the
    seconds from the start to care's commit."""
    from django.db import transaction

    from premura.shipping.models import Shipment
    from premura.shipping.signals import risk_changed

    started = time.perf_counter()
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=pk)
        for name, value in fields.items():
            setattr(shipment, name, value)
        shipment.save()
        expected = None if shipment.status == "delivered" else EXPECTED
        transaction.on_commit(
            lambda: risk_changed.send(
                sender=Shipment,
                shipment=shipment,
                risk_signal=risk_signal,
                expected_date=expected,
                level="high",
            )
        )
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict:
    from premura.core import clock

    rng = random.Random(args.seed)
    started = time.perf_counter()
    with clock.frozen_at(T0):
        log(f"loading {args.shipments:,} shipments…")
        ids = load(args.shipments)
    load_s = time.perf_counter() - started
    late = sorted(rng.sample(ids, max(1, round(len(ids) * args.late_share))))
    signals = stream(late, rng)
    log(f"streaming {len(signals):,} signals for {len(late):,} late parcels…")
    exception_s, interval, seen = [], 1 / args.rate if args.rate else 0.0, set()
    next_at = time.perf_counter()
    with clock.frozen_at(T0):
        for pk, risk_signal in signals:
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.perf_counter()))
            fields = {"exception_reason": "delay"} if risk_signal == "exception" else {}
            elapsed = send(pk, risk_signal, **fields)
            if pk not in seen:  # the signal that opens the incident and queues the notice
                seen.add(pk)
                exception_s.append(elapsed)
    delivered = T0 + datetime.timedelta(days=5)
    with clock.frozen_at(delivered):
        for pk in late:
            send(pk, "", status="delivered", delivered_at=delivered)
    return {"load_s": round(load_s, 1), **measure(late, exception_s)}


def measure(late: list[int], exception_s: list[float]) -> dict:
    from django.db.models import Count, Q

    from premura.care.models import Incident

    promise_starts = datetime.datetime.combine(PROMISED, datetime.time(), tzinfo=ROME)
    incidents = Incident.objects.filter(shipment_id__in=late).annotate(
        before=Count("notices", filter=Q(notices__outbound__next_attempt_at__lt=promise_starts)),
        closing=Count("notices", filter=Q(notices__situation="delivered_late")),
    )
    before = [i.before for i in incidents]
    exception_s.sort()
    p99 = exception_s[min(len(exception_s) - 1, round(0.99 * (len(exception_s) - 1)))]
    return {
        "late": len(late),
        "incidents": len(before),
        "exception_to_outbox_p50_s": round(statistics.median(exception_s), 4),
        "exception_to_outbox_p99_s": round(p99, 4),
        "notices_per_incident_max": max(before),
        "notices_per_incident_min": min(before),
        "closing_notices": sum(i.closing for i in incidents),
        "notified_before_promise": round(sum(1 for b in before if b) / len(late), 4),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-proactive-care-"))
    try:
        setup(temp_dir)
        report = {
            "shipments": args.shipments,
            "late_share": args.late_share,
            "rate": args.rate,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            **run(args),
        }
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    print(
        f"\nPremura proactive_care: {report['shipments']:,} shipments, {report['late']:,} late "
        f"(load {report['load_s']} s)\n"
        f"  first signal -> notice in the outbox: p50 {report['exception_to_outbox_p50_s']} s, "
        f"p99 {report['exception_to_outbox_p99_s']} s (target {TARGET_P99_S} s)\n"
        f"  notices per incident before the promise: {report['notices_per_incident_min']}"
        f"..{report['notices_per_incident_max']} (must be 1); closing notices {report['closing_notices']}\n"
        f"  late parcels notified before the promised date: {report['notified_before_promise']:.1%}"
    )
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
