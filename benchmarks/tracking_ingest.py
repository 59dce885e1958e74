"""N carrier tracking events for N/5 shipments through the webhook path, against a raw executemany.

    python benchmarks/tracking_ingest.py [N] [--per-delivery K] [--json] [--profile] [--keep]

Issue 13, "Benchmark". Shipments are spread over the Italian carriers, each promised for the
Thursday after its Monday handover; each gets five scans (label, departed, at the depot, out for
delivery, delivered; one in twenty a delay exception instead of the depot scan, one in fifty a
carrier code nobody maps). The events arrive as the shop's own system sends them to the generic
endpoint: signed deliveries of K events (default 200), one round of scans after another, so each
delivery moves K different shipments one step, as a day's batch does. Each delivery goes through
`shipping.ingest.receive_webhook`, the webhook's own path: the HMAC check over the raw body and its
timestamp, the raw row committed, validation (pydantic), normalisation (carrier_codes, an
administrator's mappings) and `services.record_tracking_batch` (row locks, deduplication, state
rules, audit events, the scorecard's summary rows, the delay detector on each exception and the
end of the risk on each delivery, `risk_changed` sent on commit).

What care does on `risk_changed` (incident, proactive case, notice) is issue 13's consumer, not its
ingest, and has its own benchmark (proactive_care.py): during the timed run care's receiver is
swapped for one that counts the signals, printed as `risk_signals`.

In the same run and the same SQLite database the same event rows are inserted into a copy of the
events table (same columns and indexes) with one `executemany` in one transaction: the raw rate.
Prints events/s, raw rows/s and their ratio (target >= 0.3). Setting up customers, orders and
shipments uses raw inserts and is not timed. A fresh SQLite database in a temp directory.

It also prints the time spent inside SQLite during the ingest (its statements and commits) and
the ratio that time alone allows (`ratio_ceiling`): what the ingest would reach if its Python
took no time at all, with the writes the issue's guarantees need (each event's row, its
shipment's state, the audit events, the scorecard's summary rows, each delivery's raw body).
"""

import argparse
import contextlib
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 0.3
# (carrier code, name, its codes for: label, departed, depot, out for delivery, delivered, delay)
CARRIERS = [
    (
        "brt",
        "BRT",
        ["DATI RICEVUTI", "PARTITA", "ARRIVATA IN FILIALE", "IN CONSEGNA", "CONSEGNATA", "IN GIACENZA"],
    ),
    (
        "gls",
        "GLS Italy",
        ["PRESA IN CARICO", "IN TRANSITO", "IN SEDE", "IN CONSEGNA", "CONSEGNATA", "GIACENTE"],
    ),
    (
        "poste",
        "Poste Italiane",
        ["ACCETTATO", "IN LAVORAZIONE", "IN TRANSITO", "IN CONSEGNA", "CONSEGNATO", "IN DOGANA"],
    ),
    ("dhl", "DHL Express", ["SA", "PU", "AF", "WC", "OK", "MD"]),
    ("ups", "UPS", ["M", "P", "I", "O", "D", "X"]),
]
# Ordered on Sunday, scanned from Monday, promised for Thursday (START in make_events).
ORDERED_AT = datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)
PROMISED = datetime.date(2026, 3, 5)
DELAY_SHARE = 0.05
UNMAPPED_SHARE = 0.02
SECRET = "benchmark-secret"
CARE_RECEIVER = "premura.care.on_risk_changed"  # care/apps.py's dispatch_uid


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "events", nargs="?", type=int, default=50_000, help="events (default 50,000; the issue: 1,000,000)"
    )
    parser.add_argument(
        "--per-delivery", type=int, default=200, help="events per signed delivery (default 200)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last line")
    parser.add_argument("--profile", action="store_true", help="cProfile the ingest; top costs to stderr")
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database (path printed)")
    args = parser.parse_args(argv)
    if args.events < 50 or not 1 <= args.per_delivery <= 1000:
        parser.error("--events must be at least 50 and --per-delivery between 1 and 1000")
    return args


def setup_django(temp_dir: Path) -> Path:
    path = temp_dir / "tracking.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["PREMURA_VAR_DIR"] = str(temp_dir / "var")
    os.environ["DEBUG"] = "false"
    os.environ["HUEY_IMMEDIATE"] = "false"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    log(f"migrating SQLite {path}")
    call_command("migrate", verbosity=0, interactive=False)
    return path


def make_shipments(n: int) -> list[tuple[str, int]]:
    """n shipments (one order each, one customer for ten orders), with raw inserts: setup, not the
    path measured. Returns (tracking number, carrier index) of each."""
    from django.db import connection, transaction

    from premura.shipping.models import Carrier

    now = ORDERED_AT.isoformat()
    with transaction.atomic():
        carrier_ids = [Carrier.objects.create(code=code, name=name).pk for code, name, _codes in CARRIERS]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO customers_customer (id, full_name, search_name, language, preferred_channel, "
                "time_zone, marketing_consent, tier, notes, created_at) "
                "VALUES (%s, %s, %s, 'it', 'email', 'Europe/Rome', 0, 'standard', '', %s)",
                [(i + 1, f"Cliente {i}", f"cliente {i}", now) for i in range(n // 10 + 1)],
            )
            cursor.executemany(
                "INSERT INTO commerce_order (id, number, customer_id, status, placed_at, currency, subtotal, "
                "shipping_total, total, email, shipping_name, shipping_street, shipping_postcode, "
                "shipping_city, shipping_province, shipping_country, source, external_id) "
                "VALUES (%s, %s, %s, 'paid', %s, 'EUR', 0, 0, 0, 'c@example.com', 'Cliente', 'Via Roma 1', "
                "'40121', 'Bologna', 'BO', 'IT', 'manual', '')",
                [(i + 1, f"PRM-{i:07d}", i // 10 + 1, now) for i in range(n)],
            )
            shipments = [(f"BN{i:010d}", i % len(CARRIERS)) for i in range(n)]
            cursor.executemany(
                "INSERT INTO shipping_shipment (id, order_id, carrier_id, tracking_number, status, origin, "
                "destination, exception_reason, delay_level, delay_signal, delay_factors, "
                "promised_delivery_date, created_at) "
                "VALUES (%s, %s, %s, %s, 'pending', 'Emilia-Romagna', 'BO', '', '', '', '[]', %s, %s)",
                [
                    (i + 1, i + 1, carrier_ids[c], number, PROMISED.isoformat(), now)
                    for i, (number, c) in enumerate(shipments)
                ],
            )
    return shipments


def make_events(shipments, n_events: int, seed: int) -> list[list[dict]]:
    """Rounds of scans: round r holds the r-th scan of every shipment (events in the generic format)."""
    rng = random.Random(seed)
    start = ORDERED_AT + datetime.timedelta(hours=22)
    rounds: list[list[dict]] = [[] for _ in range(5)]
    for index, (number, carrier) in enumerate(shipments):
        codes = CARRIERS[carrier][2]
        steps = [codes[0], codes[1], codes[2], codes[3], codes[4]]
        if rng.random() < DELAY_SHARE:
            steps[2] = codes[5]
        if rng.random() < UNMAPPED_SHARE:
            steps[1] = f"ZZ{rng.randint(1, 9)}"
        for step, code in enumerate(steps):
            if len(rounds[step]) + sum(map(len, rounds[:step])) >= n_events:
                break
            at = start + datetime.timedelta(hours=step * 14 + index % 7)
            rounds[step].append(
                {
                    "tracking_number": number,
                    "occurred_at": at.isoformat(),
                    "code": code,
                    "description": f"Evento {code}",
                    "location": "Bologna",
                    "id": f"{number}-{step}",
                }
            )
    return rounds


def signed_deliveries(rounds: list[list[dict]], per_delivery: int) -> list[tuple[bytes, str]]:
    """(body, timestamp) of each delivery; the signature is made when it is sent (the sender's work)."""
    deliveries = []
    for round_events in rounds:
        for first in range(0, len(round_events), per_delivery):
            batch = round_events[first : first + per_delivery]
            body = json.dumps({"event_id": f"d{len(deliveries)}", "events": batch}).encode()
            deliveries.append(body)
    return deliveries


class DatabaseTime:
    """Seconds spent inside SQLite during the ingest: every statement (through Django's execute
    wrapper, which covers raw cursors too) and every commit. What the ingest would take if its
    Python took no time at all, so the ratio's ceiling for the database work it does."""

    def __init__(self, connection):
        self.seconds = 0.0
        self.statements = 0
        self.connection = connection
        self.commit = connection._commit

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began
            self.statements += 1

    def timed_commit(self):
        began = time.perf_counter()
        try:
            return self.commit()
        finally:
            self.seconds += time.perf_counter() - began

    @contextlib.contextmanager
    def watching(self):
        self.connection._commit = self.timed_commit
        try:
            with self.connection.execute_wrapper(self):
                yield
        finally:
            self.connection._commit = self.commit


def ingest_all(
    deliveries: list[bytes], profile: bool
) -> tuple[float, int, int, cProfile.Profile | None, DatabaseTime]:
    from django.db import connection

    from premura.shipping.adapters import generic
    from premura.shipping.ingest import receive_webhook
    from premura.shipping.models import TrackingSource
    from premura.shipping.signals import risk_changed

    source = TrackingSource(provider="generic", name="Benchmark", slug="benchmark")
    source.secret = SECRET
    source.save()
    profiler = cProfile.Profile() if profile else None
    recorded = 0
    elapsed = 0.0
    signals = []
    risk_changed.disconnect(dispatch_uid=CARE_RECEIVER)
    risk_changed.connect(lambda sender, **kwargs: signals.append(kwargs["risk_signal"]), weak=False)
    database = DatabaseTime(connection)
    for body in deliveries:
        stamp = int(time.time())
        headers = {
            generic.TIMESTAMP_HEADER: str(stamp),
            generic.SIGNATURE_HEADER: generic.sign(body, SECRET, stamp),
        }
        if profiler:
            profiler.enable()
        began = time.perf_counter()
        with database.watching():
            delivery, _created = receive_webhook(source, body=body, headers=headers, query={})
        elapsed += time.perf_counter() - began
        if profiler:
            profiler.disable()
        recorded += delivery.events_recorded
    return elapsed, recorded, len(signals), profiler, database


def raw_insert(n_rows_source: str = "shipping_trackingevent") -> tuple[float, int]:
    """The same rows into a copy of the events table (same columns and indexes), one executemany."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_raw_event AS SELECT * FROM {n_rows_source} WHERE 0")
        cursor.execute("CREATE INDEX bench_raw_shipment_idx ON bench_raw_event (shipment_id, occurred_at)")
        cursor.execute(
            "CREATE UNIQUE INDEX bench_raw_external_idx ON bench_raw_event (shipment_id, external_id) "
            "WHERE NOT (external_id = '')"
        )
        cursor.execute(
            f"SELECT id, shipment_id, occurred_at, status, exception_reason, raw_code, raw_description, "
            f"location, external_id, received_at FROM {n_rows_source} ORDER BY id"
        )
        rows = cursor.fetchall()
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_raw_event (id, shipment_id, occurred_at, status, exception_reason, raw_code, "
            "raw_description, location, external_id, received_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return time.perf_counter() - began, len(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-tracking-"))
    try:
        path = setup_django(temp_dir)
        n_shipments = max(1, args.events // 5)
        log(f"setting up {n_shipments} shipments")
        shipments = make_shipments(n_shipments)
        deliveries = signed_deliveries(make_events(shipments, args.events, args.seed), args.per_delivery)
        log(
            f"ingesting {args.events} events in {len(deliveries)} signed deliveries "
            f"of up to {args.per_delivery}"
        )
        elapsed, recorded, signals, profiler, database = ingest_all(deliveries, args.profile)
        raw_elapsed, raw_rows = raw_insert()
        from premura.shipping.models import Shipment, TrackingCode, TrackingDelivery

        failed = TrackingDelivery.objects.exclude(status="processed").count()
        figures = {
            "events": recorded,
            "shipments": n_shipments,
            "deliveries": len(deliveries),
            "per_delivery": args.per_delivery,
            "failed_deliveries": failed,
            "delivered_shipments": Shipment.objects.filter(status="delivered").count(),
            "unmapped_codes": TrackingCode.objects.filter(status="").count(),
            "assessed_shipments": Shipment.objects.exclude(delay_assessed_at=None).count(),
            "risk_signals": signals,
            "ingest_s": round(elapsed, 3),
            "events_per_s": round(recorded / elapsed, 1),
            "raw_rows": raw_rows,
            "raw_s": round(raw_elapsed, 3),
            "raw_rows_per_s": round(raw_rows / raw_elapsed, 1),
            "python": platform.python_version(),
            "load": os.getloadavg()[0],
        }
        figures["ratio"] = round(figures["events_per_s"] / figures["raw_rows_per_s"], 4)
        figures["target_ratio"] = TARGET_RATIO
        figures["database_s"] = round(database.seconds, 3)
        figures["database_statements"] = database.statements
        figures["database_share"] = round(database.seconds / elapsed, 3)
        figures["ratio_ceiling"] = round(recorded / database.seconds / figures["raw_rows_per_s"], 4)
        print(
            f"{recorded} events for {n_shipments} shipments in {len(deliveries)} deliveries: "
            f"{figures['events_per_s']:.0f} events/s; "
            f"raw executemany {figures['raw_rows_per_s']:.0f} rows/s; "
            f"ratio {figures['ratio']:.3f} (target >= {TARGET_RATIO}); {failed} deliveries not processed; "
            f"{figures['assessed_shipments']} shipments assessed, {signals} risk signals; "
            f"load {figures['load']:.2f}"
        )
        print(
            f"inside SQLite: {database.seconds:.1f} s of {elapsed:.1f} s ({figures['database_share']:.0%}), "
            f"{database.statements} statements and the commits; with no Python time at all the ratio "
            f"would be {figures['ratio_ceiling']:.3f}"
        )
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
            log(out.getvalue())
        if args.keep:
            log(f"kept {path}")
        if args.json:
            print(json.dumps(figures))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
