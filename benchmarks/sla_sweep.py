"""The SLA sweeper and the "due soonest" inbox on a desk of N open cases (issue 12, "Benchmark").

    python benchmarks/sla_sweep.py [N] [--runs 20] [--due-per-run 4] [--requests 30] [--json] [--keep]

A desk of N open cases (default 1,000,000) with running SLA clocks under the demo shop's calendar
(Milan: Monday–Friday 9–13 and 14–18, Saturday 9–13, Italian holidays and Sant'Ambrogio) and one
policy (first response 8 business hours, resolution 40, warning at 75 %; no reassignment at
breach, the default: its rule counts the team's open cases, which follows the desk's size).
1,000 of them are "hot", within the warning window or past their deadline, made through the
product's services (open_case, and a catch-up sweep that warns and breaches them); the other N -
1,000 are answered cases whose resolution runs for days, bulk-loaded with their deadlines, warning
instants and SLA clocks as refresh_deadlines writes them.

Then the clock advances a minute at a time and the sweeper runs (`--runs`, default 20): in each
minute `--due-per-run` of the hot cases (default 4, half warnings and half breaches) come due, as
on a desk where deadlines arrive all day; the others were handled by earlier runs and must cost
nothing. It prints p50/p95 per run (target: p95 <= 50 ms on SQLite), the same for runs with nothing
due, and the inbox ordered by "due soonest" (and "mine" due soonest, and the breached view) through
the whole Django stack (target: p95 < 100 ms). Run it at 100,000 and 1,000,000: the sweep's cost
must not follow N. `--json` prints every figure as one JSON object on the last line, with
`sweep_p95_ms` and `due_soonest_p95_ms`.

A fresh SQLite database in a temp directory, or the PostgreSQL database of DATABASE_URL (empty, or
made by this script: its tables are replaced).
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
from pathlib import Path

try:
    from benchmarks import _data, inbox_scale
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _data
    import inbox_scale

HOT = 1_000
T0 = datetime.datetime(
    2026, 12, 10, 11, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
)  # a Thursday
FIRST_RESPONSE, RESOLUTION, WARNING_PERCENT = 8 * 60, 40 * 60, 75
CUSTOMERS_PER_CASE = 0.2
COMMIT_EVERY = 50_000
SWEEP_TARGET_MS, INBOX_TARGET_MS = 50.0, 100.0
PG_NOTE = "premura sla_sweep "


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "cases", nargs="?", type=int, default=1_000_000, help="open cases (default 1,000,000)"
    )
    parser.add_argument(
        "--runs", type=int, default=20, help="timed sweeper runs, a minute apart (default 20)"
    )
    parser.add_argument(
        "--due-per-run", type=int, default=4, help="hot cases coming due in each run's minute (default 4)"
    )
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per inbox figure (default 30)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="every figure as one JSON object, last line")
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database (path printed)")
    args = parser.parse_args(argv)
    if args.cases < 2 * HOT:
        parser.error(f"N must be at least {2 * HOT:,}")
    if not 1 <= args.runs * args.due_per_run <= HOT:
        parser.error(f"--runs x --due-per-run must be between 1 and {HOT}")
    return args


def ts(moment: datetime.datetime) -> str:
    """How Django's SQLite backend stores an aware datetime (naive UTC text); PostgreSQL's COPY
    reads it in the connection's UTC time zone."""
    return moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# ---------------------------------------------------------------------------------------------
# The desk
# ---------------------------------------------------------------------------------------------


def reference_data():
    """Teams with a lead, 30 agents, the demo shop's calendar and one policy: through the services."""
    from django.test.utils import override_settings

    from premura.agents.services import create_agent, create_team
    from premura.core import clock
    from premura.sla import services as sla

    t = datetime.time
    with clock.frozen_at(T0 - datetime.timedelta(days=30)):
        teams = [create_team(name=name, slug=slug) for slug, name, _ in _data.TEAMS]
        agents = []
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            for k, name in enumerate(_data.AGENT_NAMES[: _data.AGENT_COUNT]):
                agents.append(
                    create_agent(
                        username=f"agent{k + 1:02d}",
                        password=f"benchmark-{k + 1}",
                        display_name=name,
                        team=teams[k % len(teams)],
                    )
                )
        for team in teams:
            team.lead = next(agent for agent in agents if agent.team_id == team.pk)
            team.save(update_fields=["lead"])
        calendar = sla.create_calendar(
            name="Bottega Premura, Milano",
            weekly_hours={
                **{day: [(t(9), t(13)), (t(14), t(18))] for day in range(5)},
                5: [(t(9), t(13))],
            },
            time_zone="Europe/Rome",
            patron_saint_city="MI",
        )
        policy = sla.create_policy(
            name="Standard",
            calendar=calendar,
            position=10,
            first_response_minutes=FIRST_RESPONSE,
            resolution_minutes=RESOLUTION,
        )
        type(policy).objects.filter(pk=policy.pk).update(warning_percent=WARNING_PERCENT)
        policy.refresh_from_db()
    return teams, agents, policy


def hot_plan(runs: int, due_per_run: int, rng: random.Random) -> list[tuple[datetime.datetime, str]]:
    """(instant the case's first response must reach, what happens then) for the 1,000 hot
    cases: `runs x due_per_run` come due during the timed runs (a warning or a breach in each
    run's minute), the rest were warned or breached before T0."""
    minute = datetime.timedelta(minutes=1)
    plan = []
    for j in range(runs * due_per_run):
        inside_run = T0 + (j % runs + 1) * minute - datetime.timedelta(seconds=30)
        plan.append((inside_run, "warning" if (j // runs) % 2 == 0 else "breach"))
    for j in range(HOT - len(plan)):
        if j % 2:
            plan.append((T0 - datetime.timedelta(minutes=rng.randint(10, 600)), "breached"))
        else:
            plan.append((T0 + datetime.timedelta(minutes=rng.randint(30, 110)), "warned"))
    return plan


def hot_cases(agents, policy, runs: int, due_per_run: int, rng: random.Random) -> dict:
    """Open the hot cases through open_case at the instant that gives each its warning or
    deadline, then sweep at T0 (the catch-up of a worker that was down): timed, per escalation."""
    from premura.conversations.services import open_case
    from premura.core import clock
    from premura.customers.services import create_customer
    from premura.sla.calendar import business_time_before
    from premura.sla.sweeper import sweep

    schedule = policy.calendar.schedule()
    share = datetime.timedelta(minutes=FIRST_RESPONSE * WARNING_PERCENT // 100)
    whole = datetime.timedelta(minutes=FIRST_RESPONSE)
    with clock.frozen_at(T0 - datetime.timedelta(days=60)):
        customers = [
            create_customer(
                full_name=f"{rng.choice(_data.FIRST_NAMES['it'])} {rng.choice(_data.LAST_NAMES['it'])}"
            )
            for _ in range(50)
        ]
    openings = []
    for instant, what in hot_plan(runs, due_per_run, rng):
        before = share if what == "warning" else whole
        openings.append((business_time_before(schedule, instant, before), what))
    started = time.perf_counter()
    for k, (created, _what) in enumerate(sorted(openings)):
        owner = agents[k % len(agents)] if k % 5 else None
        with clock.frozen_at(created):
            open_case(
                customer=customers[k % len(customers)],
                subject=f"Ordine in ritardo {k}",
                body="Buongiorno, il pacco non è ancora arrivato.",
                owner=owner,
                team=owner.team if owner else agents[k % 3].team,
            )
    opened_s = time.perf_counter() - started
    started = time.perf_counter()
    with clock.frozen_at(T0):
        caught_up = sweep()
    catch_up_s = time.perf_counter() - started
    return {
        "open_case_ms": round(opened_s * 1000 / HOT, 2),
        "catch_up_escalations": caught_up,
        "catch_up_ms_per_escalation": round(catch_up_s * 1000 / max(1, caught_up), 2),
    }


class Columns:
    CASE = (
        "id", "subject", "status", "phase", "priority", "channel", "language", "reason",
        "is_subject_internal", "created_at", "last_activity_at", "customer_id", "owner_id", "team_id",
        "resolution_due_at", "sla_due_at", "sla_warn_at", "sla_check_at",
    )  # fmt: skip
    CLOCK = ("case_id", "policy_id", "running_since", "runs", "states", "updated_at")
    CUSTOMER = _data.INSERTS["customers_customer"]


def bulk_cases(n: int, teams, agents, policy, rng: random.Random) -> dict:
    """N - HOT answered open cases, their resolution running, loaded with the secondary indexes
    dropped (inbox_scale's loaders), with what refresh_deadlines would have written."""
    from django.db import connection

    from premura.conversations.models import Case
    from premura.sla.calendar import add_business_minutes
    from premura.sla.models import CaseClock

    first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    customer_id = 10_000_000
    connection.ensure_connection()
    sqlite = connection.vendor == "sqlite"
    loader = (inbox_scale.SQLiteLoader if sqlite else inbox_scale.PostgresLoader)(connection.connection)
    for table, columns in (
        ("conversations_case", Columns.CASE),
        (CaseClock._meta.db_table, Columns.CLOCK),
        ("customers_customer", Columns.CUSTOMER),
    ):
        quoted = ", ".join(f'"{c}"' for c in columns)
        if sqlite:
            loader.sql[table] = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
        else:
            loader.copy_sql[table] = f'COPY "{table}" ({quoted}) FROM STDIN'
    started = time.perf_counter()
    loader.prepare()

    schedule = policy.calendar.schedule()
    deadlines: dict[datetime.datetime, tuple[str, str]] = {}
    states = json.dumps({"first_response": "met", "next_response": "none", "resolution": "running"})
    channels = [c for c in _data.CHANNELS if c != "phone"]
    weights = _data.CHANNEL_WEIGHTS[: len(channels)]
    n_customers = max(1, int((n - HOT) * CUSTOMERS_PER_CASE))
    with loader.transaction():
        loader.insert(
            "customers_customer",
            [
                (customer_id + k, f"Cliente {k}", f"cliente {k}", "it", "email", "Europe/Rome", False,
                 "standard", "", ts(T0 - datetime.timedelta(days=400)))
                for k in range(n_customers)
            ],
        )  # fmt: skip
    for start in range(0, n - HOT, COMMIT_EVERY):
        cases, clocks = [], []
        for k in range(start, min(start + COMMIT_EVERY, n - HOT)):
            # Opened in the last three days, to the minute; answered; the resolution (40 business
            # hours, warned at 30) runs on: every instant is days ahead of T0.
            created = T0 - datetime.timedelta(minutes=rng.randint(60, 3 * 24 * 60))
            if created not in deadlines:
                due = add_business_minutes(schedule, created, RESOLUTION)
                warn = add_business_minutes(schedule, created, RESOLUTION * WARNING_PERCENT // 100)
                deadlines[created] = (ts(due), ts(warn))
            due_s, warn_s = deadlines[created]
            owner = agents[rng.randrange(len(agents))] if rng.random() > _data.UNASSIGNED_SHARE else None
            team = owner.team_id if owner else teams[k % len(teams)].pk
            case_id = first_id + k
            created_s = ts(created)
            cases.append(
                (case_id, f"Richiesta {case_id}", "open", "open",
                 rng.choices(_data.PRIORITIES, _data.PRIORITY_WEIGHTS)[0], rng.choices(channels, weights)[0],
                 "it", "", False, created_s, created_s, customer_id + k % n_customers,
                 owner.pk if owner else None, team, due_s, due_s, warn_s, warn_s)
            )  # fmt: skip
            clocks.append((case_id, policy.pk, created_s, "[]", states, created_s))
        with loader.transaction():
            loader.insert("conversations_case", cases)
            loader.insert(CaseClock._meta.db_table, clocks)
        log(f"  {min(start + COMMIT_EVERY, n - HOT):,} / {n - HOT:,} cases")
    rows_s = time.perf_counter() - started
    timings = loader.finish(analyze=False)
    connection.close()
    return {"rows_s": round(rows_s, 1), **{k: round(v, 1) for k, v in timings.items()}}


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def figure(samples_ms: list[float], target: float | None = None) -> dict:
    result = {
        "p50_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(inbox_scale.percentile(samples_ms, 95), 2),
        "max_ms": round(max(samples_ms), 2),
        "n": len(samples_ms),
    }
    if target is not None:
        result["target_ms"] = target
        result["over_target"] = result["p95_ms"] > target
    return result


def time_sweeps(runs: int) -> dict:
    """The sweeper at T0 + 1 min, + 2 min...: each run finds what came due in its minute. Then as
    many runs with nothing due (the clock stays on the last minute)."""
    from django.db import connection

    from premura.core import clock
    from premura.sla.sweeper import sweep

    busy, escalated, idle = [], [], []
    for r in range(1, runs + 1):
        with clock.frozen_at(T0 + datetime.timedelta(minutes=r)):
            started = time.perf_counter()
            escalated.append(sweep())
            busy.append((time.perf_counter() - started) * 1000)
    for _ in range(runs):
        with clock.frozen_at(T0 + datetime.timedelta(minutes=runs, seconds=59)):
            started = time.perf_counter()
            if sweep():
                raise SystemExit("a run with nothing due escalated a case")
            idle.append((time.perf_counter() - started) * 1000)
    connection.close()
    per_escalation = [ms / count for ms, count in zip(busy, escalated, strict=True) if count]
    return {
        "sweep": {**figure(busy, SWEEP_TARGET_MS), "escalations_per_run": escalated},
        "sweep_idle": figure(idle),
        "ms_per_escalation_p50": round(statistics.median(per_escalation), 2) if per_escalation else None,
    }


def time_inbox(requests: int) -> dict:
    """The console's inbox in "due soonest" order, one agent's, and the breached view: the whole
    Django stack, DEBUG off, the connection closed after each request as a server does."""
    from django.db import connection
    from django.test import Client

    from premura.agents.models import Agent
    from premura.core import clock

    agent = Agent.objects.select_related("user").order_by("pk").first()
    client = Client(raise_request_exception=False)
    client.force_login(agent.user)
    rows_only = {"HX-Request": "true", "HX-Target": "case-list"}  # what the filters and pager ask for
    pages = {
        "due_soonest": ("/console/?view=open&sort=due", {}),
        "due_soonest_rows": ("/console/?view=open&sort=due", rows_only),
        "mine_due_soonest": ("/console/?view=mine&sort=due", {}),
        "breached": ("/console/?view=breached", {}),
        # For reference: the same page in the usual order, on the same desk and machine.
        "open_by_activity": ("/console/?view=open", {}),
    }
    results = {}
    with clock.frozen_at(T0 + datetime.timedelta(minutes=30)):
        for name, (path, headers) in pages.items():
            samples = []
            for i in range(2 + requests):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                content = response.content
                elapsed = (time.perf_counter() - started) * 1000
                connection.close()
                if response.status_code != 200 or b'data-sla="' not in content:
                    raise SystemExit(f"GET {path} answered {response.status_code} without SLA badges")
                if i >= 2:
                    samples.append(elapsed)
            results[name] = {
                **figure(samples, INBOX_TARGET_MS),
                "path": path + (" (rows)" if headers else ""),
            }
    return results


def check_plans() -> dict:
    """The sweeper's read and the due-soonest page's rows as the database plans them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from premura.agents.models import Agent
    from premura.conversations.queries import InboxFilters, inbox_cases
    from premura.sla.sweeper import BATCH, due_checks

    agent = Agent.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as sweep:
        due_checks(T0, BATCH)
    with CaptureQueriesContext(connection) as inbox:
        list(inbox_cases(agent, InboxFilters(view="open", sort="due"))[:26])
    plans = {}
    for name, captured in (("sweep", sweep), ("due_soonest", inbox)):
        sql = captured.captured_queries[-1]["sql"]
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plans[name] = [row[-1] for row in cursor.fetchall()]
            else:
                cursor.execute(f"EXPLAIN {sql}")
                plans[name] = [row[0].strip() for row in cursor.fetchall()]
    return plans


# ---------------------------------------------------------------------------------------------


class PostgresNote(inbox_scale.PostgresNote):
    """This benchmark's mark on a PostgreSQL database it filled (the database's comment)."""

    PREFIX = PG_NOTE


def setup(temp_dir: Path) -> str:
    pg_url = inbox_scale.postgres_url()
    db_path = None if pg_url else temp_dir / "sla_sweep.sqlite3"
    inbox_scale.prepare_environment(db_path, temp_dir / "var")
    os.environ["HUEY_IMMEDIATE"] = "false"
    import django

    django.setup()
    from django.core.management import call_command

    if pg_url:
        note = PostgresNote()
        if note.holds_data():
            if note.read() is None:
                raise SystemExit(
                    "DATABASE_URL names a database this benchmark did not make: use an empty one"
                )
            note.clear()
    log("migrating…")
    call_command("migrate", verbosity=0, interactive=False)
    if pg_url:
        note.write({"cases": None})
    return inbox_scale._without_password(pg_url) if pg_url else str(db_path)


def run(args: argparse.Namespace, temp_dir: Path) -> dict:
    label = setup(temp_dir)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    teams, agents, policy = reference_data()
    log(f"opening the {HOT:,} hot cases through the services…")
    hot = hot_cases(agents, policy, args.runs, args.due_per_run, rng)
    log(f"loading {args.cases - HOT:,} open cases…")
    load = bulk_cases(args.cases, teams, agents, policy, rng)
    load["load_s"] = round(time.perf_counter() - started, 1)
    from django.db import connection

    from premura.conversations.models import Case

    counts = {
        "open_cases": Case.objects.filter(phase="open").count(),
        "running_clocks": Case.objects.filter(sla_due_at__isnull=False).count(),
        "checks_pending_at_t0": Case.objects.filter(sla_check_at__lte=T0).count(),
        "breached_at_t0": Case.objects.filter(sla_due_at__lte=T0).count(),
    }
    connection.close()
    log("timing the sweeper…")
    sweeps = time_sweeps(args.runs)
    log("timing the inbox…")
    inbox = time_inbox(args.requests)
    return {
        "cases": args.cases,
        "hot": HOT,
        "runs": args.runs,
        "due_per_run": args.due_per_run,
        "db": label,
        "db_size_mb": inbox_scale.database_size_mb(None if inbox_scale.postgres_url() else Path(label)),
        "vendor": connection.vendor,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "counts": counts,
        "load": load,
        "hot_cases": hot,
        **sweeps,
        "inbox": inbox,
        "plans": check_plans(),
        "sweep_p95_ms": sweeps["sweep"]["p95_ms"],
        "due_soonest_p95_ms": inbox["due_soonest"]["p95_ms"],
    }


def print_report(report: dict) -> None:
    sweep, idle = report["sweep"], report["sweep_idle"]
    print(
        f"\nPremura sla_sweep: {report['cases']:,} open cases ({report['vendor']}, {report['db_size_mb']} MB)"
    )
    print(f"  load: {report['load']['load_s']} s · counts at T0: {report['counts']}")
    hot = report["hot_cases"]
    print(
        f"  hot cases: open_case {hot['open_case_ms']} ms each; catch-up sweep at T0 escalated "
        f"{hot['catch_up_escalations']} at {hot['catch_up_ms_per_escalation']} ms each"
    )
    print(
        f"  sweeper, {report['runs']} runs a minute apart, {report['due_per_run']} coming due per run: "
        f"p50 {sweep['p50_ms']} ms, p95 {sweep['p95_ms']} ms (target {SWEEP_TARGET_MS} ms), "
        f"max {sweep['max_ms']} ms; escalations per run {sweep['escalations_per_run']}"
    )
    print(f"  per escalation (median of run / escalations): {report['ms_per_escalation_p50']} ms")
    print(f"  sweeper with nothing due: p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms")
    for name, result in report["inbox"].items():
        print(f"  {name:<18} {result['path']:<39} p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
    for name, plan in report["plans"].items():
        print(f"  plan of {name}: {' | '.join(plan)}")


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-sla-sweep-"))
    report = run(args, temp_dir)
    print_report(report)
    if args.json:
        print(json.dumps(report, separators=(",", ":"), default=str))
    if args.keep and not inbox_scale.postgres_url():
        log(f"kept {report['db']}")
    else:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
