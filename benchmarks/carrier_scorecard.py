"""The carrier scorecard page with the summaries of N shipments (issue 13, "Benchmark").

    python benchmarks/carrier_scorecard.py [N] [--requests 30] [--sample 300] [--json] [--keep]

The page reads one summary row per carrier, lane and month (shipping.models.CarrierLaneMonth),
never the shipments, so its cost follows carriers x lanes x months, not N. This script writes the
rows that N shipments leave behind directly, in bulk (6 carriers, 3 origin regions, 106
Italian provinces, 12 months: up to 23,112 rows, sized from a skewed draw so that busy lanes and
quiet ones both exist); going through the services for a million shipments would take hours and
measure the ingest, not the page. Then it times, through the whole Django stack
(django.test.Client, DEBUG off, logged in as an administrator), the page over the last 12 and 3
months and the CSV over 12, p50 and p95 (nearest rank) over `--requests` requests after 2
warm-ups (target: p95 < 1 s). It also sends `--sample` shipments through the real path
(create_shipment, then record_tracking_events, which updates the scorecard) and times the update
on its own (`update_scorecard`), p50 and p95.

A fresh SQLite database in a temp directory, or the empty PostgreSQL database of DATABASE_URL.
`--json` prints every figure as one JSON object on the last line, with `scorecard_p95_ms` (the
12-month page) and `shipments`.
"""

import argparse
import datetime
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

CARRIERS = [
    ("brt", "BRT"),
    ("gls", "GLS"),
    ("poste", "Poste Italiane"),
    ("sda", "SDA"),
    ("dhl", "DHL"),
    ("ups", "UPS"),
]
ORIGINS = ["Lombardia", "Emilia-Romagna", "Campania"]
# Italian provinces, by their code.
PROVINCES = (  # noqa: SIM905
    "AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CL CN CO CR CS CT CZ EN FC "
    "FE FG FI FM FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO MS MT NA NO NU OR PA PC PD "
    "PE PG PI PN PO PR PT PU PV PZ RA RC RE RG RI RM RN RO SA SI SO SP SR SS SU SV TA TE TN TO TP TR "
    "TS TV UD VA VB VC VE VI VR VT"
).split()
MONTHS = 12
TARGET_MS = 1000.0


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shipments", nargs="?", type=int, default=1_000_000, help="shipments summarised")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--sample", type=int, default=300, help="shipments sent through the services")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database")
    return parser.parse_args(argv)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def prepare_environment(temp_dir: Path) -> Path | None:
    """The settings read the environment once, at django.setup(): set it first. Returns the
    SQLite file, or None for DATABASE_URL's PostgreSQL database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    os.environ["PREMURA_VAR_DIR"] = str(temp_dir)
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if hosts and "testserver" not in hosts:
        os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return None
    db_path = temp_dir / "scorecard.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    return db_path


def months_back(today: datetime.date) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for back in range(MONTHS):
        index = first.year * 12 + first.month - 1 - back
        months.append(datetime.date(index // 12, index % 12 + 1, 1))
    return months


def summary_row(carrier_id: int, origin: str, destination: str, month, shipments: int, rng: random.Random):
    """The counters `shipments` shipments of one carrier, lane and month leave in the summary."""
    from premura.shipping.models import DELAY_BINS, CarrierLaneMonth
    from premura.shipping.scorecard import delay_bin

    delivered = round(shipments * rng.uniform(0.85, 0.97))
    late_share = rng.uniform(0.02, 0.25)
    histogram = dict.fromkeys((column for _f, _l, column in DELAY_BINS), 0)
    total_delay = 0
    # Delays drawn for up to 200 deliveries, then scaled: the shape of a lane, not each parcel.
    drawn = [
        int(rng.expovariate(0.4)) + 1 if rng.random() < late_share else 0 for _ in range(min(delivered, 200))
    ]
    scale = delivered / len(drawn) if drawn else 0
    for days in drawn:
        histogram[delay_bin(days)] += 1
        total_delay += days
    histogram = {column: round(count * scale) for column, count in histogram.items()}
    delivered = sum(histogram.values())
    return CarrierLaneMonth(
        carrier_id=carrier_id,
        origin=origin,
        destination=destination,
        month=month,
        shipments=max(shipments, delivered),
        delivered=delivered,
        on_time=histogram["delay_0"],
        delay_days_total=round(total_delay * scale),
        exceptions=round(shipments * rng.uniform(0.01, 0.08)),
        lost=round(shipments * rng.uniform(0, 0.012)),
        contacts=round(shipments * rng.uniform(0.05, 0.3)),
        **histogram,
    )


def load_summaries(n: int, rng: random.Random, today: datetime.date) -> int:
    """Write the summary rows of `n` shipments, in bulk; returns the number of rows."""
    from premura.shipping.models import Carrier, CarrierLaneMonth

    carriers = list(Carrier.objects.values_list("pk", flat=True))
    keys = [
        (carrier, origin, destination, month)
        for carrier in carriers
        for origin in ORIGINS
        for destination in PROVINCES
        for month in months_back(today)
    ]
    weights = [rng.paretovariate(1.5) for _ in keys]
    total = sum(weights)
    sizes = [int(n * weight / total) for weight in weights]
    sizes[weights.index(max(weights))] += n - sum(sizes)
    rows = [summary_row(*key, size, rng) for key, size in zip(keys, sizes, strict=True) if size]
    CarrierLaneMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def send_sample(count: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """`count` shipments through the services, each scanned and delivered in one batch: the time
    of each record_tracking_events (which updates the scorecard), and of update_scorecard alone,
    run again on the delivered shipment (idempotent, so it does all its reads and writes again)."""
    from premura.commerce.models import Order
    from premura.core import clock
    from premura.customers.models import Customer
    from premura.shipping.models import Shipment
    from premura.shipping.scorecard import update_scorecard
    from premura.shipping.services import NewTrackingEvent, create_shipment, record_tracking_events

    customer = Customer.objects.create(full_name="Cliente Benchmark")
    recording, updating = [], []
    now = clock.now()
    for n in range(count):
        order = Order.objects.create(
            number=f"BENCH-{n}",
            customer=customer,
            email="cliente@example.it",
            shipping_name="Cliente Benchmark",
            shipping_street="Via Roma 1",
            shipping_postcode="20121",
            shipping_city="Milano",
            shipping_province=rng.choice(PROVINCES),
        )
        shipment = create_shipment(
            order=order,
            carrier_code=rng.choice(CARRIERS)[0],
            tracking_number=f"BENCH{n:08d}",
            promised_delivery_date=(now + datetime.timedelta(days=2)).date(),
            origin=rng.choice(ORIGINS),
        )
        events = [
            NewTrackingEvent(now, "in_transit", "IN TRANSITO"),
            NewTrackingEvent(now + datetime.timedelta(days=rng.randint(1, 5)), "delivered", "CONSEGNATA"),
        ]
        started = time.perf_counter()
        record_tracking_events(shipment, events)
        recording.append((time.perf_counter() - started) * 1000)
        delivered = Shipment.objects.get(pk=shipment.pk)
        started = time.perf_counter()
        update_scorecard(delivered)
        updating.append((time.perf_counter() - started) * 1000)
    return recording, updating


def _p50_p95(timings: list[float]) -> dict:
    if not timings:
        return {"count": 0}
    return {
        "count": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
    }


def time_requests(client, url: str, requests: int) -> dict:
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(percentile(timings, 95), 1)}


def run(args: argparse.Namespace, temp_dir: Path) -> dict:
    db_path = prepare_environment(temp_dir)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from premura.agents.models import Role
    from premura.agents.services import create_agent
    from premura.shipping.services import configure_carrier

    rng = random.Random(args.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        admin = create_agent(
            username="bench-admin", password="x", display_name="Bench Admin", role=Role.ADMIN
        )
    for code, name in CARRIERS:
        configure_carrier(code=code, name=name)
    with transaction.atomic():
        rows = load_summaries(args.shipments, rng, timezone.localdate())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load_s = time.perf_counter() - started
    log(f"{args.shipments:,} shipments summarised in {rows:,} rows in {load_s:.1f} s")

    recording, updating = send_sample(args.sample, rng) if args.sample else ([], [])
    client = Client()
    client.force_login(admin.user)
    page_12 = time_requests(client, "/console/carriers/scorecard/?months=12", args.requests)
    page_3 = time_requests(client, "/console/carriers/scorecard/?months=3", args.requests)
    csv_12 = time_requests(client, "/console/carriers/scorecard.csv?months=12", args.requests)
    return {
        "shipments": args.shipments,
        "summary_rows": rows,
        "database": connection.vendor,
        "database_mb": round(db_path.stat().st_size / 2**20, 1) if db_path else None,
        "load_s": round(load_s, 1),
        "scorecard_p50_ms": page_12["p50_ms"],
        "scorecard_p95_ms": page_12["p95_ms"],
        "scorecard_3_months": page_3,
        "csv_12_months": csv_12,
        "record_tracking_events": _p50_p95(recording),
        "update_scorecard": _p50_p95(updating),
        "target_ms": TARGET_MS,
        "requests": args.requests,
        "load_average": os.getloadavg()[0],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-scorecard-"))
    try:
        report = run(args, temp_dir)
    finally:
        if args.keep:
            log(f"kept {temp_dir}")
        else:
            shutil.rmtree(temp_dir, ignore_errors=True)
    log(
        f"scorecard page, 12 months: p50 {report['scorecard_p50_ms']} ms, "
        f"p95 {report['scorecard_p95_ms']} ms "
        f"(target < {TARGET_MS:.0f} ms); 3 months: p95 {report['scorecard_3_months']['p95_ms']} ms; "
        f"CSV: p95 {report['csv_12_months']['p95_ms']} ms; update_scorecard p50 "
        f"{report['update_scorecard'].get('p50_ms')} ms (load {report['load_average']:.2f})"
    )
    if args.json:
        print(json.dumps(report))
    return 0 if report["scorecard_p95_ms"] < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
