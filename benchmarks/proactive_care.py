"""Late parcels told first: a carrier's raw tracking events through the webhook, timed to the outbox.

    python benchmarks/proactive_care.py [--shipments N] [--late-share 0.02] [--rate 1000]
                                        [--per-delivery K] [--seed S] [--json]

N shipments (default 200,000) are loaded in bulk; each gets a departure scan, and a share of them
(default 2%) become late: a carrier exception (BRT "IN GIACENZA", a delay), the same exception
scanned again, then moving again ("IN TRANSITO"), and after the promised date the delivery. The
events are the carrier's raw ones in the generic webhook format, in signed deliveries of K events
(default 10), each parcel's in order and the parcels interleaved at random, paced at `--rate`
events a second (default 1,000). Each delivery goes the way a carrier's does:
`shipping.ingest.receive_webhook` (signature, raw row committed, parsing, code normalisation,
`record_tracking_batch` with the delay detector), whose commit sends `risk_changed` to care
(incident, proactive case, grant, notice in the outbox) before the call returns.

Prints the p50/p99 time from the scheduled arrival of the delivery that carries a parcel's first
exception (so falling behind the rate counts) to the return of `receive_webhook`, by which its
notice's outbox row is committed (target p99 <= 1 s; with `--rate 0` a delivery arrives when it
is sent), the p99 of that delivery's own handling (the same without the wait behind earlier
deliveries when the ingest falls behind), the most and fewest notices an incident of a late
parcel got before its promised date (must be 1), the closing notices and the share of late
parcels notified before the promised date. A fresh SQLite database in a temp directory; `--json`
prints one JSON object on the last line with the keys `exception_to_outbox_p99_s`,
`notices_per_incident_max`, `notified_before_promise`.

The process's CPU time per delivery is printed too: on a shared machine it tells a slower ingest
from a busier machine. `--stages` adds where a delivery's time goes: the wall time of each stage of
the path (ingest, tracking batch, scorecard, detector, care's incident, case and notice, the send
seam), summed over the stream, per call and per delivery, to stderr.
"""

import argparse
import collections
import datetime
import functools
import importlib
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
SECRET = "benchmark-secret"
TARGET_P99_S = 1.0


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# The stages --stages times, as (module, function): each is looked up by its module's global name
# where it is called, so wrapping the module's attribute times every call.
STAGES = [
    ("premura.shipping.ingest", "_process"),
    ("premura.shipping.ingest", "record_parsed_events"),
    ("premura.shipping.ingest", "_finish"),
    ("premura.shipping.services", "record_tracking_batch"),
    ("premura.shipping.services", "_stored_events"),
    ("premura.shipping.services", "_insert_events"),
    ("premura.shipping.services", "update_scorecards"),
    ("premura.shipping.delays.services", "assess_at_once"),
    ("premura.care.services", "handle_risk"),
    ("premura.care.services", "open_incident"),
    ("premura.care.services", "written_first_case"),
    ("premura.care.services", "open_case"),
    ("premura.care.services", "change_status"),
    ("premura.care.compensation", "grant_for"),
    ("premura.care.services", "notify"),
    ("premura.channels.services", "send"),
    ("premura.channels.outbox", "send"),
]


class StageTimer:
    """Wall time and calls of each of STAGES (nested stages count in their callers too)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter = collections.Counter()
        for module_name, name in STAGES:
            module = importlib.import_module(module_name)
            setattr(
                module,
                name,
                self._timed(f"{module_name.removeprefix('premura.')}.{name}", getattr(module, name)),
            )

    def _timed(self, label: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed

    def log(self, deliveries: int) -> None:
        log(f"{'stage':45} {'calls':>7} {'total s':>8} {'ms/call':>8} {'ms/delivery':>11}")
        for label, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            per_call, per_delivery = 1000 * seconds / self.calls[label], 1000 * seconds / deliveries
            log(f"{label:45} {self.calls[label]:7} {seconds:8.2f} {per_call:8.2f} {per_delivery:11.2f}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=200_000)
    parser.add_argument("--late-share", type=float, default=0.02)
    parser.add_argument("--rate", type=float, default=1000.0, help="events a second (0: as fast as possible)")
    parser.add_argument("--per-delivery", type=int, default=10, help="events per signed delivery")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="every figure as one JSON object, last line")
    parser.add_argument("--stages", action="store_true", help="wall time per stage of the path, to stderr")
    args = parser.parse_args(argv)
    if args.shipments < 1 or not 0 < args.late_share <= 1 or not 1 <= args.per_delivery <= 1000:
        parser.error("--shipments must be positive, --late-share in (0, 1], --per-delivery 1 to 1000")
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


def events_of(number: str, late: bool) -> list[tuple[str, datetime.datetime]]:
    """A parcel's raw scans before the promise (carrier code, when): departed; for a late one the
    delay exception, scanned again, then moving again."""
    events = [("PARTITA", T0 - datetime.timedelta(hours=20))]
    if late:
        events += [
            ("IN GIACENZA", T0 - datetime.timedelta(hours=3)),
            ("IN GIACENZA", T0 - datetime.timedelta(hours=2)),
            ("IN TRANSITO", T0 - datetime.timedelta(hours=1)),
        ]
    return events


def stream(numbers: dict[int, str], late: set[int], rng: random.Random) -> list[tuple[int, dict]]:
    """Every parcel's scans in its own order, the parcels interleaved at random: (shipment id,
    event in the generic format)."""
    keyed = []
    for pk, number in numbers.items():
        scans = events_of(number, pk in late)
        for key, (step, (code, occurred_at)) in zip(
            sorted(rng.random() for _ in scans), enumerate(scans), strict=True
        ):
            keyed.append((key, pk, raw_event(number, code, occurred_at, step)))
    keyed.sort(key=lambda item: item[0])
    return [(pk, event) for _key, pk, event in keyed]


def raw_event(number: str, code: str, occurred_at: datetime.datetime, step: int) -> dict:
    return {
        "tracking_number": number,
        "occurred_at": occurred_at.isoformat(),
        "code": code,
        "description": f"Evento {code}",
        "location": "Milano",
        "id": f"{number}-{step}",
    }


class Webhook:
    """The carrier's side: signed deliveries of the generic format to `receive_webhook`."""

    def __init__(self) -> None:
        from premura.shipping.models import TrackingSource

        self.source = TrackingSource(provider="generic", name="BRT via the shop", slug="brt-shop")
        self.source.secret = SECRET
        self.source.save()
        self.sent = 0

    def deliver(self, events: list[dict]) -> None:
        from premura.core import clock
        from premura.shipping.adapters import generic
        from premura.shipping.ingest import receive_webhook

        body = json.dumps({"event_id": f"d{self.sent}", "events": events}).encode()
        self.sent += 1
        stamp = int(clock.now().timestamp())
        headers = {
            generic.TIMESTAMP_HEADER: str(stamp),
            generic.SIGNATURE_HEADER: generic.sign(body, SECRET, stamp),
        }
        delivery, _created = receive_webhook(self.source, body=body, headers=headers, query={})
        if delivery.status != "processed":
            raise RuntimeError(f"delivery {delivery.event_id} {delivery.status}: {delivery.error}")


def run(args: argparse.Namespace) -> dict:
    from premura.core import clock
    from premura.shipping.models import Shipment

    rng = random.Random(args.seed)
    started = time.perf_counter()
    with clock.frozen_at(T0):
        log(f"loading {args.shipments:,} shipments…")
        ids = load(args.shipments)
    load_s = time.perf_counter() - started
    numbers = dict(Shipment.objects.values_list("pk", "tracking_number"))
    late = set(rng.sample(ids, max(1, round(len(ids) * args.late_share))))
    events = stream(numbers, late, rng)
    log(f"streaming {len(events):,} raw events ({len(late):,} late parcels) at {args.rate:g}/s…")
    webhook = Webhook()
    exception_s, handling_s, seen = [], [], set()
    stages = StageTimer() if args.stages else None
    began, cpu_began = time.perf_counter(), time.process_time()
    with clock.frozen_at(T0):
        for first in range(0, len(events), args.per_delivery):
            chunk = events[first : first + args.per_delivery]
            # The delivery arrives when its last event is due at the stream's rate (at once: 0).
            arrival = began + (first + len(chunk)) / args.rate if args.rate else time.perf_counter()
            time.sleep(max(0.0, arrival - time.perf_counter()))
            started = time.perf_counter()
            arrival = min(arrival, started)
            webhook.deliver([event for _pk, event in chunk])
            opened = {pk for pk, event in chunk if event["code"] == "IN GIACENZA" and pk not in seen}
            if opened:
                seen |= opened
                done = time.perf_counter()
                exception_s.extend([done - arrival] * len(opened))
                handling_s.extend([done - started] * len(opened))
    stream_s, cpu_s = time.perf_counter() - began, time.process_time() - cpu_began
    if stages:
        stages.log(webhook.sent)
    delivered = T0 + datetime.timedelta(days=5)
    with clock.frozen_at(delivered):
        closing = [raw_event(numbers[pk], "CONSEGNATA", delivered, 9) for pk in sorted(late)]
        for first in range(0, len(closing), args.per_delivery):
            webhook.deliver(closing[first : first + args.per_delivery])
    return {
        "load_s": round(load_s, 1),
        "events": len(events),
        "deliveries": webhook.sent,
        "stream_s": round(stream_s, 1),
        "events_per_s": round(len(events) / stream_s, 1),
        "cpu_ms_per_delivery": round(1000 * cpu_s / webhook.sent, 2),
        "exception_delivery_handling_p99_s": percentile(sorted(handling_s), 0.99),
        **measure(sorted(late), exception_s),
    }


def percentile(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 4)


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
    return {
        "late": len(late),
        "incidents": len(before),
        "incidents_all_parcels": Incident.objects.count(),
        "exception_to_outbox_p50_s": round(statistics.median(exception_s), 4),
        "exception_to_outbox_p99_s": percentile(exception_s, 0.99),
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
        f"  {report['events']:,} raw events in {report['deliveries']:,} signed deliveries: "
        f"{report['events_per_s']:,} events/s (asked {report['rate']:g}/s), "
        f"{report['cpu_ms_per_delivery']} ms of CPU a delivery\n"
        f"  incidents: {report['incidents']:,} of late parcels, {report['incidents_all_parcels']:,} in all\n"
        f"  exception event -> notice in the outbox: p50 {report['exception_to_outbox_p50_s']} s, "
        f"p99 {report['exception_to_outbox_p99_s']} s (target {TARGET_P99_S} s); the delivery's own "
        f"handling p99 {report['exception_delivery_handling_p99_s']} s\n"
        f"  notices per incident before the promise: {report['notices_per_incident_min']}"
        f"..{report['notices_per_incident_max']} (must be 1); closing notices {report['closing_notices']}\n"
        f"  late parcels notified before the promised date: {report['notified_before_promise']:.1%}"
    )
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
