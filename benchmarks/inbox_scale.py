"""A desk with N cases: load it, then time the console's inbox, case page, search and case creation.

    python benchmarks/inbox_scale.py [--cases N] [--requests R] [--db PATH] [--keep] [--reuse] [--json]
    python benchmarks/inbox_scale.py --sizes 10000,100000,1000000      # the same, side by side

The data's shape, and what is timed, follow ../shared/benchmarks.md (beside the repository): N cases
over 730 days, about 3 messages each, N/3 customers, 5 teams, 30 agents, one rare product word in
0.1% of the cases.
Requests go one at a time through the whole Django stack (django.test.Client, DEBUG off, logged in
as an agent); p50 and p95 are over R requests after 2 warm-ups. A request that answers with an
error is reported with its HTTP status, never with a time. Target: every p95 under 100 ms.

With DATABASE_URL naming a PostgreSQL database, the same desk is loaded there (COPY) and timed.
"""

import argparse
import importlib
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from tqdm import tqdm

try:
    from benchmarks import _data
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _data

TARGET_P95_MS = 100.0
WARMUPS = 2
LOAD_COMMIT_EVERY = 50_000  # cases per transaction while loading
CASE_CHUNK = 5_000  # cases generated per batch
LOADED_TABLES = [*_data.INSERTS]
FTS_TRIGGERS = [
    "conversations_message_fts_ai",
    "conversations_message_fts_ad",
    "conversations_message_fts_au",
]
# The SQLite tables whose indexes the report lists.
REPORTED_TABLES = [
    "conversations_case",
    "conversations_message",
    "customers_customer",
    "customers_customeridentity",
    "commerce_order",
    "core_auditevent",
]


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Command line and environment
# ---------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate (default 1,000,000)")
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per figure (default 30, >= 20)"
    )
    parser.add_argument("--db", type=Path, help="SQLite file to fill (default: a fresh one in a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp database after the run")
    parser.add_argument("--reuse", action="store_true", help="reuse --db if it already holds this desk")
    parser.add_argument(
        "--json", action="store_true", help="print every figure as one JSON object, last line"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generator (default 1)")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after loading, as a DBA might (the product never does: decision 0001)",
    )
    parser.add_argument(
        "--sizes", help="comma-separated case counts: run each in a subprocess and print them side by side"
    )
    args = parser.parse_args(argv)
    if args.cases < 10:
        parser.error("--cases must be at least 10")
    if args.requests < 1:
        parser.error("--requests must be positive")
    return args


def prepare_environment(db_path: Path | None, var_dir: Path) -> None:
    """The settings read the environment once, at django.setup(): set it first.

    db_path None: keep DATABASE_URL (a PostgreSQL database).
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    if db_path is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["PREMURA_VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if hosts and "testserver" not in hosts:
        os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def create_reference_data():
    """Teams, agents (through create_agent) and carriers: the ORM is fine for a few dozen rows."""
    from django.contrib.contenttypes.models import ContentType
    from django.test.utils import override_settings

    from premura.agents.services import create_agent, create_team
    from premura.conversations.models import Case
    from premura.shipping.services import configure_carrier

    teams = {slug: create_team(name=name, slug=slug) for slug, name, _ in _data.TEAMS}
    # Spread the agents over the teams in proportion to the teams' weights.
    slots = [slug for slug, _, weight in _data.TEAMS for _ in range(weight * _data.AGENT_COUNT // 100)]
    slots += [_data.QUEUES[0]] * (_data.AGENT_COUNT - len(slots))
    agents = []
    # A cheap hasher: the benchmark logs in with force_login, the password is never checked.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for k, name in enumerate(_data.AGENT_NAMES[: _data.AGENT_COUNT]):
            agents.append(
                create_agent(
                    username=f"agent{k + 1:02d}",
                    password=f"benchmark-{k + 1}",
                    display_name=name,
                    email=f"agent{k + 1:02d}@bottega-premura.example",
                    team=teams[slots[k]],
                    signature=_data.agent_signature(name),
                )
            )
    carriers = [
        configure_carrier(code=code, name=name, tracking_url_template=_data.TRACKING_PAGES[name])
        for code, name, _, _ in _data.CARRIERS
    ]
    return _data.Desk(
        team_ids={slug: team.pk for slug, team in teams.items()},
        agent_ids=[a.pk for a in agents],
        agent_user_ids=[a.user_id for a in agents],
        agent_names=[a.display_name for a in agents],
        carrier_ids=[c.pk for c in carriers],
        case_content_type_id=ContentType.objects.get_for_model(Case).pk,
    )


class SQLiteLoader:
    """Fast load into SQLite: no journal, no fsync, no FK checks, no triggers, no secondary indexes.

    Every one of them is put back by finish(), exactly as the migrations made it.
    """

    def __init__(self, raw):
        self.raw = raw
        self.sql = {table: _data.insert_sql(table) for table in LOADED_TABLES}

    def snapshot(self) -> list[tuple]:
        return self.raw.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' "
            "ORDER BY type, name"
        ).fetchall()

    def prepare(self) -> None:
        raw = self.raw
        self.schema_before = self.snapshot()
        raw.execute("PRAGMA journal_mode=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA cache_size=-524288")
        self.indexes = raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ({}) ORDER BY tbl_name, name".format(", ".join("?" * len(LOADED_TABLES))),
            LOADED_TABLES,
        ).fetchall()
        triggers = {
            name: sql
            for name, sql in raw.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'conversations_message'"
            )
        }
        migration = importlib.import_module("premura.conversations.migrations.0002_message_search")
        self.forward_triggers = [s for s in migration.SQLITE_FORWARD if s.startswith("CREATE TRIGGER")]
        self.rebuild = [s for s in migration.SQLITE_FORWARD if "'rebuild'" in s]
        expected = sorted(FTS_TRIGGERS)
        if sorted(triggers) != expected or len(self.forward_triggers) != 3 or len(self.rebuild) != 1:
            raise SystemExit(f"unexpected FTS triggers on conversations_message: {sorted(triggers)}")
        for name in FTS_TRIGGERS:
            raw.execute(f'DROP TRIGGER "{name}"')
        for name, _ in self.indexes:
            raw.execute(f'DROP INDEX "{name}"')

    @contextmanager
    def transaction(self):
        self.raw.execute("BEGIN")
        yield
        self.raw.execute("COMMIT")

    def insert(self, table: str, rows: list[tuple]) -> None:
        self.raw.executemany(self.sql[table], rows)

    def finish(self, analyze: bool) -> dict[str, float]:
        raw, timings = self.raw, {}
        t0 = time.perf_counter()
        for _name, index_sql in tqdm(self.indexes, desc="indexes", unit="index", file=sys.stderr):
            raw.execute(index_sql)
        timings["indexes_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        log("rebuilding the full-text index…")
        for statement in self.forward_triggers:
            raw.execute(statement)
        raw.execute(self.rebuild[0])
        timings["fts_rebuild_s"] = time.perf_counter() - t0

        if analyze:
            t0 = time.perf_counter()
            log("ANALYZE…")
            raw.execute("ANALYZE")
            timings["analyze_s"] = time.perf_counter() - t0

        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA synchronous=NORMAL")
        mode = raw.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise SystemExit(f"could not put the database back in WAL mode (got {mode!r})")
        check_schema(self.schema_before, self.snapshot())

        t0 = time.perf_counter()
        log("checking foreign keys…")
        broken = raw.execute("PRAGMA foreign_key_check").fetchmany(5)
        if broken:
            raise SystemExit(f"foreign key violations after loading: {broken}")
        timings["foreign_key_check_s"] = time.perf_counter() - t0
        return timings


class PostgresLoader:
    """Fast load into PostgreSQL: COPY into the tables with their secondary indexes (the full-text GIN
    index among them), unique and foreign-key constraints dropped.

    finish() creates them again from their own definitions (pg_get_indexdef, pg_get_constraintdef),
    which also validates every foreign key, moves the id sequences past the loaded rows and runs
    VACUUM ANALYZE: autovacuum does the same on any running PostgreSQL after a bulk insert, so the
    figures are the plans a shop gets once autovacuum has passed, not those of a table it never saw.
    """

    def __init__(self, raw):
        self.raw = raw  # a psycopg Connection, in autocommit mode (Django's default)
        self.copy_sql = {
            table: 'COPY "{}" ({}) FROM STDIN'.format(table, ", ".join(f'"{c}"' for c in columns))
            for table, columns in _data.INSERTS.items()
        }

    def snapshot(self) -> list[tuple]:
        return self.raw.execute(
            "SELECT 'index', c.relname, t.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace "
            "UNION ALL SELECT 'constraint', conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
            "UNION ALL SELECT 'trigger', tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) "
            "FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2, 3"
        ).fetchall()

    def prepare(self) -> None:
        raw = self.raw
        self.schema_before = self.snapshot()
        raw.execute("SET synchronous_commit = off")
        raw.execute("SET maintenance_work_mem = '512MB'")
        # Unique constraints first (a foreign key may need them back before it), foreign keys last.
        self.constraints = raw.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace AND contype IN ('u', 'f') "
            "AND conrelid::regclass::text = ANY(%s) ORDER BY contype DESC, conrelid::regclass::text, conname",
            [LOADED_TABLES],
        ).fetchall()
        self.indexes = raw.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.contype IN ('p', 'u', 'x')) ORDER BY t.relname, c.relname",
            [LOADED_TABLES],
        ).fetchall()
        with raw.transaction():
            for table, name, _ in reversed(self.constraints):  # foreign keys first
                raw.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for name, _ in self.indexes:
                raw.execute(f'DROP INDEX "{name}"')

    @contextmanager
    def transaction(self):
        with self.raw.transaction():
            yield

    def insert(self, table: str, rows: list[tuple]) -> None:
        with self.raw.cursor() as cursor, cursor.copy(self.copy_sql[table]) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self, analyze: bool) -> dict[str, float]:
        raw, timings = self.raw, {}
        t0 = time.perf_counter()
        for _name, index_sql in tqdm(self.indexes, desc="indexes", unit="index", file=sys.stderr):
            raw.execute(index_sql)
        unique = [c for c in self.constraints if c[2].startswith("UNIQUE")]
        for table, name, definition in unique:
            raw.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        timings["indexes_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        foreign = [c for c in self.constraints if not c[2].startswith("UNIQUE")]
        for table, name, definition in tqdm(foreign, desc="foreign keys", unit="key", file=sys.stderr):
            raw.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        timings["foreign_key_check_s"] = time.perf_counter() - t0

        for table in LOADED_TABLES:
            raw.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM \"{table}\"))",
                [table],
            )
        check_schema(self.schema_before, self.snapshot())

        t0 = time.perf_counter()
        log("VACUUM ANALYZE…")
        raw.execute("VACUUM (ANALYZE)")
        timings["vacuum_analyze_s"] = time.perf_counter() - t0
        return timings


def check_schema(before: list[tuple], after: list[tuple]) -> None:
    if after != before:
        diff = set(before) ^ set(after)
        raise SystemExit(f"the loaded schema differs from the migrated one: {sorted(diff, key=str)[:5]}")


def load(n_cases: int, seed: int, analyze: bool) -> dict:
    """Fill the migrated database with the desk; returns the load figures."""
    from django.db import connection

    from premura.conversations.models import CaseStatus, phase_of

    # _data.py writes Case.phase itself (bulk rows skip Case.save()): it must agree with the product.
    product_phases = {status: phase_of(status) for status in CaseStatus.values}
    if product_phases != _data.PHASES:
        raise SystemExit(f"benchmarks/_data.py PHASES differs from phase_of(): {product_phases}")

    started = time.perf_counter()
    timings: dict[str, float] = {}
    desk = create_reference_data()
    connection.ensure_connection()
    loader = (SQLiteLoader if connection.vendor == "sqlite" else PostgresLoader)(connection.connection)
    loader.prepare()

    generator = _data.DeskGenerator(n_cases, desk, seed=seed)
    # The reference data went through the services, which wrote audit events: the bulk ones follow.
    from premura.core.models import AuditEvent

    generator.audit_id = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    t0 = time.perf_counter()
    with loader.transaction():
        for batch in generator.customer_rows():
            for table, rows in batch.items():
                loader.insert(table, rows)
    with tqdm(
        total=n_cases, unit="case", unit_scale=True, desc="cases", file=sys.stderr, smoothing=0.05
    ) as bar:
        for start in range(0, n_cases, LOAD_COMMIT_EVERY):
            with loader.transaction():
                for first in range(start, min(start + LOAD_COMMIT_EVERY, n_cases), CASE_CHUNK):
                    last = min(first + CASE_CHUNK, n_cases)
                    for table, rows in generator.case_rows(first, last).items():
                        loader.insert(table, rows)
                    bar.update(last - first)
    timings["rows_s"] = time.perf_counter() - t0
    timings.update(loader.finish(analyze))
    timings["load_s"] = time.perf_counter() - started
    connection.close()

    stats = generator.stats
    return {
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "rows": {
            "cases": stats.cases,
            "messages": stats.messages,
            "customers": stats.customers,
            "orders": stats.orders,
            "shipments": generator.shipment_id,
            "tracking_events": generator.event_id,
            "audit_events": generator.audit_id,
        },
        "shape": {
            "active_share": round(stats.active / stats.cases, 3),
            "open_share": round(stats.open / stats.cases, 3),
            "waiting_share": round(stats.waiting / stats.cases, 3),
            "unassigned_of_active": round(stats.unassigned_active / max(1, stats.active), 3),
            "messages_per_case": round(stats.messages / stats.cases, 2),
            "mean_subject_chars": round(stats.subject_chars / stats.cases, 1),
            "mean_message_chars": round(stats.message_chars / stats.messages, 1),
            "rare_word": _data.RARE_WORD,
            "rare_word_cases": stats.rare_cases,
            "by_status": dict(sorted(stats.by_status.items())),
            "by_team": dict(sorted(stats.by_team.items())),
        },
        "seed": seed,
        "analyzed": analyze,
    }


# ---------------------------------------------------------------------------------------------
# What the product applies: indexes and SQLite settings
# ---------------------------------------------------------------------------------------------


def product_settings() -> dict:
    from django.db import connection

    if connection.vendor == "postgresql":
        return postgres_settings()
    return sqlite_settings()


def postgres_settings() -> dict:
    """PostgreSQL's version, the server settings that decide plans, and the indexes of the product."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        server = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
            "max_parallel_workers_per_gather",
            "default_text_search_config",
        ):
            cursor.execute(f"SHOW {name}")
            server[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, t.relname, pg_get_indexdef(i.indexrelid), i.indisprimary FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s) "
            "ORDER BY t.relname, c.relname",
            [REPORTED_TABLES],
        )
        indexes = [
            {"name": name, "table": table, "sql": sql}
            for name, table, sql, primary in cursor.fetchall()
            if not primary
        ]
        cursor.execute(
            "SELECT max(greatest(last_analyze, last_autoanalyze)) IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'conversations_case'"
        )
        analyzed = cursor.fetchone()[0]
    db = settings.DATABASES["default"]
    return {
        "vendor": "postgresql",
        "version": version,
        "server": server,
        "conn_max_age": db.get("CONN_MAX_AGE", 0),
        "analyzed": analyzed,
        "indexes": indexes,
    }


def sqlite_settings() -> dict:
    from django.conf import settings
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:  # a fresh connection, as a request would open it
        pragmas = {}
        for name in (
            "journal_mode",
            "synchronous",
            "cache_size",
            "mmap_size",
            "temp_store",
            "foreign_keys",
            "busy_timeout",
            "page_size",
            "auto_vacuum",
            "wal_autocheckpoint",
        ):
            cursor.execute(f"PRAGMA {name}")
            pragmas[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({}) "
            "ORDER BY tbl_name, name".format(", ".join(["%s"] * len(REPORTED_TABLES))),
            REPORTED_TABLES,
        )
        indexes = []
        for name, table, sql in cursor.fetchall():
            if sql is None:  # a UNIQUE constraint's automatic index
                cursor.execute(f'PRAGMA index_info("{name}")')
                columns = ", ".join(row[2] for row in cursor.fetchall())
                sql = f"(automatic index of a UNIQUE constraint on {table} ({columns}))"
            indexes.append({"name": name, "table": table, "sql": sql})
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE name = 'conversations_message_fts'")
        fts = cursor.fetchone()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        has_stat1 = cursor.fetchone()[0] == 1
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    db = settings.DATABASES["default"]
    return {
        "vendor": "sqlite",
        "version": version,
        "sqlite_version": version,
        "pragmas": pragmas,
        "init_command": db["OPTIONS"].get("init_command", ""),
        "transaction_mode": db["OPTIONS"].get("transaction_mode", ""),
        "conn_max_age": db.get("CONN_MAX_AGE", 0),
        "sqlite_stat1": has_stat1,
        "fts": fts[1] if fts else None,
        "triggers": triggers,
        "indexes": indexes,
    }


def database_size_mb(db_path: Path | None) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return round(cursor.fetchone()[0] / 1e6, 1)
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(p.stat().st_size for p in database_files(db_path)[:3] if p.exists())
    return round(size / 1e6, 1)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


class MeasureError(Exception):
    """A response that is not the one a working page gives: reported with its status, not a time."""

    def __init__(self, status: int | None, detail: str, missing: bool = False, unsupported: bool = False):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.missing = missing
        self.unsupported = unsupported


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class _Forms(HTMLParser):
    """The fields of the forms of a page, and the elements that load more of it (hx-trigger=load)."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.lazy: list[dict] = []
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "hx-get" in a and "load" in (a.get("hx-trigger") or "").split(",")[0].split():
            self.lazy.append(
                {"url": a["hx-get"], "target": (a.get("hx-target") or a.get("id") or "").lstrip("#")}
            )
        if tag in ("input", "textarea") and a.get("name"):
            self.fields.append(
                {"tag": tag, "name": a["name"], "type": a.get("type", "text"), "value": a.get("value")}
            )
        elif tag == "select" and a.get("name"):
            self._select = {"tag": "select", "name": a["name"], "options": []}
            self.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _exception_summary(response) -> str:
    exc = getattr(response, "exc_info", None)
    if exc and exc[1] is not None:
        return f"{type(exc[1]).__name__}: {str(exc[1])[:200]}"
    return ""


class Bench:
    def __init__(self, n_requests: int, seed: int):
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        from premura.agents.models import Agent

        self.n = n_requests
        self.rng = random.Random(seed + 1)
        self.connection = connection
        self.close_between = settings.DATABASES["default"].get("CONN_MAX_AGE", 0) == 0
        self.agent = Agent.objects.select_related("user").order_by("pk").first()
        if self.agent is None:
            raise SystemExit("the database has no agents: generate it again without --reuse")
        self.client = Client(raise_request_exception=False)
        self.client.force_login(self.agent.user)
        self.api_client = Client(raise_request_exception=False)
        self.results: dict[str, dict] = {}
        self.failures: list[str] = []
        self.missing: list[str] = []

    # -- one request ----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, client=None, data=None, headers=None, content_type=None):
        client = client or self.client
        kwargs = {"headers": headers or {}}
        if data is not None:
            kwargs["data"] = data
        if content_type:
            kwargs["content_type"] = content_type
        t0 = time.perf_counter()
        response = getattr(client, method)(path, **kwargs)
        content = response.content  # rendered and read inside the timing, as a server would send it
        elapsed = (time.perf_counter() - t0) * 1000
        if self.close_between:
            # DB_CONN_MAX_AGE=0: a server closes the connection after each request (request_finished);
            # the test client does not, so do it here, outside the timing.
            self.connection.close()
        return response, content, elapsed

    def _check_get(self, response, path: str) -> None:
        if response.status_code != 200:
            detail = _exception_summary(response) or f"GET {path} answered {response.status_code}"
            raise MeasureError(response.status_code, detail)

    def _captured_queries(self, fn) -> dict:
        """Queries of one more request (not timed): how many, and the slowest."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            fn()
        times = [float(q.get("time") or 0) * 1000 for q in ctx.captured_queries]
        return {
            "queries": len(times),
            "sql_ms": round(sum(times), 1),
            "slowest_sql_ms": round(max(times, default=0), 1),
        }

    # -- a figure -------------------------------------------------------------------------------

    def run(self, key: str, label: str, make, *, check=None, variant: str = "page") -> None:
        """Time `make(i)` -> list of (method, path, kwargs) requests made one after the other."""
        name = f"{key}:{variant}"
        try:
            samples, parts, sizes = [], [], []
            for i in range(WARMUPS + self.n):
                total = 0.0
                part_times = []
                size = 0
                for method, path, kwargs in make(i):
                    response, content, elapsed = self.request(method, path, **kwargs)
                    (check or self._check_get)(response, path)
                    total += elapsed
                    part_times.append(elapsed)
                    size += len(content)
                if i >= WARMUPS:
                    samples.append(total)
                    parts.append(part_times)
                    sizes.append(size)
            queries = {}
            if not key.startswith("create"):

                def replay():
                    for method, path, kwargs in make(WARMUPS + self.n):
                        self.request(method, path, **kwargs)

                queries = self._captured_queries(replay)
            result = {
                "label": label,
                "variant": variant,
                "status": 200,
                "n": len(samples),
                "p50_ms": round(percentile(samples, 50), 1),
                "p95_ms": round(percentile(samples, 95), 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "max_ms": round(max(samples), 1),
                "bytes": int(statistics.fmean(sizes)),
                **queries,
            }
            if len(parts[0]) > 1:  # the page loads part of itself in further requests
                result["requests_per_sample"] = len(parts[0])
                result["first_request_p50_ms"] = round(percentile([p[0] for p in parts], 50), 1)
                result["first_request_p95_ms"] = round(percentile([p[0] for p in parts], 95), 1)
            result["over_target"] = result["p95_ms"] > TARGET_P95_MS
        except MeasureError as error:
            result = {"label": label, "variant": variant, "status": error.status, "error": error.detail}
            if error.missing:
                result["missing"] = True
                self.missing.append(name)
            elif error.unsupported:
                result["unsupported"] = True
            else:
                self.failures.append(name)
            what = "MISSING" if error.missing else "not supported" if error.unsupported else "FAILED"
            log(f"  {name}: {what} ({error.status}) {error.detail}")
        self.results[name] = result
        if "p95_ms" in result:
            log(f"  {name}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")

    # -- the figures of benchmarks.md -----------------------------------------------------------

    def inbox_figures(self, inbox_url: str, label: str, key: str, params_for) -> None:
        """An inbox view as full page (plus its lazy parts) and as the HTMX partial of its rows."""

        def url(i):
            params = params_for(i)
            return f"{inbox_url}?{urlencode(params)}" if params else inbox_url

        lazy = self._lazy_parts(url(0))

        def full(i):
            path = url(i)
            return [
                ("get", path, {}),
                *[("get", p, {"headers": h}) for p, h in self._resolve_lazy(lazy, path)],
            ]

        self.run(key, label, full, variant="page")
        if "error" in self.results[f"{key}:page"]:
            return
        hx = {"HX-Request": "true", "HX-Target": "case-list", "HX-Current-URL": "http://testserver" + url(0)}

        def partial_check(response, path):
            self._check_get(response, path)
            if b"<html" in response.content[:2000].lower():
                # Not every view has a partial: a fact to report, not a failure of the page.
                raise MeasureError(
                    response.status_code, "no HTMX partial: the full page came back", unsupported=True
                )

        self.run(
            key, label, lambda i: [("get", url(i), {"headers": hx})], check=partial_check, variant="htmx_rows"
        )

    def _lazy_parts(self, path: str) -> list[dict]:
        response, content, _ = self.request("get", path)
        if response.status_code != 200:
            return []
        parser = _Forms()
        parser.feed(content.decode("utf-8", "replace"))
        return parser.lazy

    def _resolve_lazy(self, lazy: list[dict], page_path: str) -> list[tuple[str, dict]]:
        out = []
        for part in lazy:
            headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver" + page_path}
            if part["target"]:
                headers["HX-Target"] = part["target"]
            out.append((urljoin(page_path, part["url"]), headers))
        return out

    def samples_from_db(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM conversations_case")
            max_case = cursor.fetchone()[0]
            cursor.execute("SELECT max(id) FROM commerce_order")
            max_order = cursor.fetchone()[0] or 0
            cursor.execute("SELECT max(id) FROM customers_customeridentity")
            max_identity = cursor.fetchone()[0]
            count = WARMUPS + self.n + 1
            ids = [self.rng.randint(1, max_order) for _ in range(count)] if max_order else []
            cursor.execute(
                "SELECT o.id, o.number, o.customer_id, i.value FROM commerce_order o "
                "JOIN customers_customeridentity i ON i.customer_id = o.customer_id AND i.kind = 'email' "
                f"WHERE o.id IN ({', '.join(map(str, ids or [0]))})"
            )
            orders = cursor.fetchall()
            ids = [self.rng.randint(1, max_identity) for _ in range(count)]
            cursor.execute(
                f"SELECT value FROM customers_customeridentity WHERE id IN ({', '.join(map(str, ids))})"
            )
            emails = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM agents_agent ORDER BY id")
            agents = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM agents_team ORDER BY id")
            teams = [row[0] for row in cursor.fetchall()]
        self.rng.shuffle(orders)
        self.rng.shuffle(emails)
        self.connection.close()
        return {
            "case_ids": [self.rng.randint(1, max_case) for _ in range(count)],
            "orders": orders,
            "emails": emails,
            "agents": agents,
            "teams": teams,
        }

    def all_figures(self) -> None:
        from django.urls import NoReverseMatch, reverse

        s = self.samples_from_db()
        cycle = lambda seq, i: seq[i % len(seq)]  # noqa: E731
        try:
            inbox = reverse("console:inbox")
        except NoReverseMatch as error:
            self.failures.append("console:inbox")
            self.results["inbox"] = {"label": "console:inbox", "status": None, "error": str(error)}
            return
        log("timing (one request at a time)…")
        self.inbox_figures(
            inbox, "Open inbox, first page (as the agent opens it)", "inbox_open", lambda i: {}
        )
        self.inbox_figures(
            inbox,
            "One team + open",
            "inbox_team_open",
            lambda i: {"view": "open", "team": cycle(s["teams"], i)},
        )
        self.inbox_figures(
            inbox,
            "One owner + open",
            "inbox_owner_open",
            lambda i: {"view": "open", "owner": cycle(s["agents"], i)},
        )
        self.inbox_figures(
            inbox,
            "One owner + status (all cases, status=open)",
            "inbox_owner_status",
            lambda i: {"view": "all", "owner": cycle(s["agents"], i), "status": "open"},
        )
        # Every channel in turn, with one the desk never uses (sms): a filter that matches nothing
        # must not read the whole view to find that out.
        channels = [*_data.CHANNELS, "sms"]
        self.inbox_figures(
            inbox,
            "One channel + open (each channel, and sms: none)",
            "inbox_channel_open",
            lambda i: {"view": "open", "channel": cycle(channels, i)},
        )
        self.inbox_figures(
            inbox,
            "One channel, all cases (extra)",
            "inbox_channel_all",
            lambda i: {"view": "all", "channel": cycle(channels, i)},
        )

        def case_page(i):
            path = reverse("console:case", args=[s["case_ids"][i]])
            lazy = getattr(case_page, "lazy", None)
            if lazy is None:
                lazy = case_page.lazy = self._lazy_parts(path)
            return [
                ("get", path, {}),
                *[("get", p, {"headers": h}) for p, h in self._resolve_lazy(lazy, path)],
            ]

        self.run("case_page", "One case page (random cases)", case_page)

        if s["orders"]:
            self.inbox_figures(
                inbox, "Search by order number", "search_order", lambda i: {"q": cycle(s["orders"], i)[1]}
            )
        self.inbox_figures(
            inbox, "Search by customer e-mail", "search_email", lambda i: {"q": cycle(s["emails"], i)}
        )
        self.inbox_figures(
            inbox,
            f"Search by the rare word ({_data.RARE_WORD}, 0.1% of cases)",
            "search_rare_word",
            lambda i: {"q": _data.RARE_WORD},
        )
        self.inbox_figures(
            inbox,
            "Search by a common word (rimborso; extra)",
            "search_common_word",
            lambda i: {"q": "rimborso"},
        )
        if s["orders"]:
            self.create_through_console(s)
            self.create_through_api(s)

    # -- creating cases -------------------------------------------------------------------------

    def _max_case_id(self) -> int:
        from premura.conversations.models import Case

        value = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.connection.close()
        return value

    def create_through_console(self, s: dict) -> None:
        from django.urls import reverse

        path = reverse("console:new_case")
        response, content, _ = self.request("get", path)
        if response.status_code != 200:
            self.run(
                "create_console",
                "Create a case through the console (POST form)",
                lambda i: [("get", path, {})],
            )
            return
        parser = _Forms()
        parser.feed(content.decode("utf-8", "replace"))
        fields = parser.fields
        if not any(f["name"] in ("body", "message") for f in fields):
            self.failures.append("create_console:page")
            self.results["create_console:page"] = {
                "label": "Create a case through the console",
                "status": 200,
                "error": f"no body field in the new-case form: {[f['name'] for f in fields]}",
            }
            return

        def form_data(i):
            order_id, number, customer_id, email = s["orders"][i % len(s["orders"])]
            data = {}
            for f in fields:
                name = f["name"]
                low = name.lower()
                if f.get("type") in ("submit", "button", "file"):
                    continue
                # The form finds the customer by id (`customer`); the search box and the fields of a
                # customer made on the spot (`new_*`) stay empty, as when the agent picks one.
                if low.startswith("new_") or low.endswith("_query"):
                    continue
                if "email" in low:
                    data[name] = email
                elif "order" in low:
                    data[name] = number if ("number" in low or f["tag"] != "select") else str(order_id)
                elif "customer" in low:
                    data[name] = str(customer_id)
                elif low == "subject":
                    data[name] = f"Telefonata: ordine {number} in ritardo"
                elif low in ("body", "message"):
                    data[name] = (
                        f"La cliente ha chiamato per l'ordine {number}: il pacco non è arrivato, "
                        "chiede quando verrà consegnato. Richiamare entro domani."
                    )
                elif low == "channel":
                    data[name] = "phone"
                elif low == "priority":
                    data[name] = "normal"
                elif f["tag"] == "select":
                    data[name] = f["options"][0] if f["options"] else ""
                elif f.get("value") is not None:
                    data[name] = f["value"]
            # The customer's id travels in a field the customer search fills in when the agent
            # picks one; the page as served does not have it yet.
            data["customer"] = str(customer_id)
            return data

        before = {}

        def make(i):
            before["id"] = self._max_case_id()
            return [("post", path, {"data": form_data(i)})]

        def check(response, _path):
            created = self._max_case_id() > before["id"]
            redirected = response.status_code in (301, 302, 303) or "HX-Redirect" in response.headers
            if not (created and (redirected or response.status_code in (200, 201))):
                detail = _exception_summary(response) or (
                    f"POST {path} answered {response.status_code}, case created: {created}"
                    + (
                        f" (form errors: {_form_errors(response.content)})"
                        if response.status_code == 200
                        else ""
                    )
                )
                raise MeasureError(response.status_code, detail)

        self.run("create_console", "Create a case through the console (POST form)", make, check=check)

    def create_through_api(self, s: dict) -> None:
        from premura.api.models import ApiToken

        _, raw_token = ApiToken.issue(self.agent.user, "inbox_scale benchmark")
        self.connection.close()
        path = "/api/v1/cases"
        headers = {"Authorization": f"Bearer {raw_token}"}
        before = {}

        def make(i):
            order_id, number, customer_id, _ = s["orders"][i % len(s["orders"])]
            before["id"] = self._max_case_id()
            body = {
                "customer_id": customer_id,
                "subject": f"Ordine {number} in ritardo",
                "body": f"Il pacco dell'ordine {number} non è ancora arrivato, potete verificare?",
                "channel": "email",
                "order_id": order_id,
            }
            return [
                (
                    "post",
                    path,
                    {
                        "client": self.api_client,
                        "data": json.dumps(body),
                        "content_type": "application/json",
                        "headers": headers,
                    },
                )
            ]

        def check(response, _path):
            if response.status_code in (404, 405):
                raise MeasureError(
                    response.status_code, f"POST {path} answered {response.status_code}", missing=True
                )
            created = self._max_case_id() > before["id"]
            if response.status_code not in (200, 201) or not created:
                detail = _exception_summary(response) or (
                    f"POST {path} answered {response.status_code}, case created: {created}: "
                    f"{response.content[:200]!r}"
                )
                raise MeasureError(response.status_code, detail)

        self.run("create_api", "Create a case through the API (POST /api/v1/cases)", make, check=check)


def _form_errors(content: bytes) -> str:
    text = content.decode("utf-8", "replace")
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', text, re.S)
    return "; ".join(re.sub(r"<[^>]+>", " ", e).strip() for e in errors)[:300] or "none shown"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def print_report(report: dict) -> None:
    load_info, s = report["load"], report["database"]
    engine = "SQLite" if s["vendor"] == "sqlite" else "PostgreSQL"
    print(
        f"\nPremura inbox_scale: {report['cases']:,} cases · {platform.python_implementation()} "
        f"{platform.python_version()} · {engine} {s['version']} · {report['cpus']} CPUs"
    )
    print(f"database: {report['db_size_mb']} MB ({report['db']})")
    if load_info.get("reused"):
        print(
            "load: reused an existing database "
            f"(its load took {load_info.get('timings', {}).get('load_s')} s)"
        )
    else:
        t = load_info["timings"]
        names = {
            "rows_s": "rows",
            "indexes_s": "indexes",
            "fts_rebuild_s": "full-text rebuild",
            "analyze_s": "ANALYZE",
            "foreign_key_check_s": "foreign key check",
            "vacuum_analyze_s": "VACUUM ANALYZE",
        }
        parts = [f"{names[k]} {v} s" for k, v in t.items() if k in names]
        if s["vendor"] == "sqlite" and "analyze_s" not in t:
            parts.append("ANALYZE skipped")
        print(f"load: {t['load_s']} s ({', '.join(parts)})")
    if "rows" in load_info:
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in load_info["rows"].items()))
        sh = load_info["shape"]
        print(
            f"shape: {sh['active_share']:.0%} open or waiting ({sh['open_share']:.0%} open, "
            f"{sh['waiting_share']:.0%} waiting), {sh['unassigned_of_active']:.0%} of those unassigned; "
            f"{sh['messages_per_case']} messages/case; subject {sh['mean_subject_chars']} chars, "
            f"message {sh['mean_message_chars']} chars; "
            f"'{sh['rare_word']}' in {sh['rare_word_cases']:,} cases"
        )
    conn = (
        "a new one per request (DB_CONN_MAX_AGE=0)"
        if s["conn_max_age"] == 0
        else f"kept {s['conn_max_age']} s"
    )
    if s["vendor"] == "sqlite":
        print(
            f"SQLite settings: {', '.join(f'{k}={v}' for k, v in s['pragmas'].items())}; "
            f"transaction_mode={s['transaction_mode']}; connection: {conn}; "
            f"sqlite_stat1 (ANALYZE) {'present' if s['sqlite_stat1'] else 'absent'}"
        )
    else:
        print(
            f"PostgreSQL settings: {', '.join(f'{k}={v}' for k, v in s['server'].items())}; "
            f"connection: {conn}; statistics (ANALYZE) {'present' if s['analyzed'] else 'absent'}"
        )
    print("indexes:")
    for index in s["indexes"]:
        print(f"  {index['sql']}")
    if s["vendor"] == "sqlite":
        print(f"  full-text: {s['fts']}")
        print(f"  triggers: {', '.join(s['triggers'])}")

    print(f"\n{'figure':<58} {'variant':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>7}  note")
    for r in report["figures"].values():
        variant = r.get("variant", "")
        if "p95_ms" in r:
            note = "OVER TARGET" if r["over_target"] else ""
            if "requests_per_sample" in r:
                note += f" ({r['requests_per_sample']} requests; first {r['first_request_p95_ms']} ms p95)"
            print(
                f"{r['label'][:58]:<58} {variant:<10} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8} "
                f"{r.get('queries', ''):>7}  {note}"
            )
        else:
            what = "MISSING" if r.get("missing") else ("not supported" if r.get("unsupported") else "FAILED")
            print(
                f"{r['label'][:58]:<58} {variant:<10} {what:>8} (HTTP {r.get('status')}) {r.get('error', '')}"
            )
    print(
        f"\ntarget: every p95 under {TARGET_P95_MS:.0f} ms — "
        + ("met" if report["target_met"] else "NOT met")
        + (f"; failed: {', '.join(report['failed'])}" if report["failed"] else "")
        + (f"; missing: {', '.join(report['missing'])}" if report["missing"] else "")
    )


def database_files(db_path: Path) -> list[Path]:
    """The database, its WAL and shared-memory files, and this script's note of what it holds."""
    return [db_path.with_name(db_path.name + suffix) for suffix in ("", "-wal", "-shm", ".json")]


def run_one(args: argparse.Namespace) -> int:
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-inbox-"))
    keep_db = args.db is not None or args.keep
    try:
        return _run_one(args, temp_dir)
    finally:
        if keep_db:
            shutil.rmtree(temp_dir / "var", ignore_errors=True)
            if args.db is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)
        else:
            shutil.rmtree(temp_dir, ignore_errors=True)


def postgres_url() -> str | None:
    """DATABASE_URL when it names a PostgreSQL database: the benchmark fills that one instead of SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql") else None


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class SQLiteNote:
    """What a SQLite file holds (its case count, whether the load finished): a JSON file beside it."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.path = db_path.with_name(db_path.name + ".json")

    def read(self) -> dict | None:
        return json.loads(self.path.read_text()) if self.path.exists() else None

    def write(self, note: dict) -> None:
        self.path.write_text(json.dumps(note))

    def holds_data(self) -> bool:
        return self.db_path.exists()

    def clear(self) -> None:
        for path in database_files(self.db_path):
            path.unlink(missing_ok=True)


class PostgresNote:
    """The same note, kept as the PostgreSQL database's comment (COMMENT ON DATABASE)."""

    PREFIX = "premura inbox_scale "

    def read(self) -> dict | None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = current_database()"
            )
            comment = cursor.fetchone()[0] or ""
        return json.loads(comment[len(self.PREFIX) :]) if comment.startswith(self.PREFIX) else None

    def write(self, note: dict) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            name = cursor.fetchone()[0].replace('"', '""')
            comment = (self.PREFIX + json.dumps(note, default=str)).replace("'", "''")
            cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")

    def holds_data(self) -> bool:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            return cursor.fetchone()[0] > 0

    def clear(self) -> None:
        """Drop every table of the schema, by dropping the schema and making it again."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0].replace('"', '""')
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{schema}"')


def open_desk(args: argparse.Namespace, temp_dir: Path) -> tuple[str, Path | None, dict]:
    """Set up Django on the benchmark's database, loading the desk unless --reuse finds it there.

    SQLite by default (--db or a temp file); the PostgreSQL database of DATABASE_URL when it names
    one, which must be empty or made by this script (its content is replaced). Returns the database's
    description, the SQLite path (None on PostgreSQL) and the load figures.
    """
    pg_url = postgres_url()
    if pg_url and args.db:
        raise SystemExit("--db names a SQLite file: unset DATABASE_URL, or drop --db to fill PostgreSQL")
    db_path = None
    if not pg_url:
        db_path = (args.db or temp_dir / f"inbox_{args.cases}.sqlite3").resolve()
        db_path.parent.mkdir(parents=True, exist_ok=True)
    prepare_environment(db_path, temp_dir / "var")
    label = str(db_path) if db_path else _without_password(pg_url)

    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # failures are reported below
    logging.getLogger("django.security").setLevel(logging.CRITICAL)

    note = SQLiteNote(db_path) if db_path else PostgresNote()
    meta = note.read()
    holds_data = note.holds_data()
    reuse = (
        args.reuse
        and holds_data
        and meta is not None
        and meta.get("cases") == args.cases
        and meta.get("complete")
    )
    if holds_data and not reuse:
        if meta is None:
            raise SystemExit(
                f"{label} holds data that this benchmark did not make: "
                + ("remove it or pick another --db" if db_path else "use an empty database")
            )
        if args.reuse:
            log(f"{label} holds {meta.get('cases')} cases, not {args.cases}: generating it again")
        note.clear()

    if reuse:
        log(f"reusing {label} ({args.cases:,} cases)")
        load_info = {**meta["load"], "reused": True}
    else:
        log(f"migrating a fresh database at {label}")
        call_command("migrate", verbosity=0, interactive=False)
        note.write({"cases": args.cases, "complete": False})
        load_info = load(args.cases, args.seed, analyze=args.analyze)
        note.write({"cases": args.cases, "complete": True, "load": load_info})
        log(f"loaded in {load_info['timings']['load_s']} s")
    return label, db_path, load_info


def _run_one(args: argparse.Namespace, temp_dir: Path) -> int:
    label, db_path, load_info = open_desk(args, temp_dir)
    database_info = product_settings()
    size_mb = database_size_mb(db_path)
    bench = Bench(args.requests, args.seed)
    bench.all_figures()
    timed = [r for r in bench.results.values() if "p95_ms" in r]
    report = {
        "cases": args.cases,
        "requests": args.requests,
        "warmups": WARMUPS,
        "db": label,
        "db_size_mb": size_mb,
        "cpus": os.cpu_count(),
        "load": load_info,
        "database": database_info,
        "figures": bench.results,
        "failed": bench.failures,
        "missing": bench.missing,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": bool(timed) and not bench.failures and all(not r["over_target"] for r in timed),
    }
    print_report(report)
    if args.json:
        print(json.dumps(report, separators=(",", ":"), default=str))

    if db_path is not None and (args.db is not None or args.keep):
        log(f"kept {db_path}")
    return 1 if bench.failures else 0


def run_sizes(args: argparse.Namespace, argv: list[str]) -> int:
    """Each size in its own process (a fresh Django, a fresh database), then the figures side by side."""
    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    passthrough, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--sizes", "--cases", "--db"):
            skip = True
            continue
        if arg.startswith(("--sizes=", "--cases=", "--db=")) or arg == "--json":
            continue
        passthrough.append(arg)
    reports, status = {}, 0
    for size in sizes:
        command = [sys.executable, __file__, "--cases", str(size), "--json", *passthrough]
        if args.db:
            command += ["--db", str(args.db.with_name(f"{args.db.stem}_{size}{args.db.suffix}"))]
        log(f"== {size:,} cases: {' '.join(command)}")
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        lines = proc.stdout.strip().splitlines()
        print("\n".join(lines[:-1]))
        status = max(status, proc.returncode)
        try:
            reports[size] = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            log(f"no JSON from the {size:,} run (exit {proc.returncode})")
    if not reports:
        return status or 1
    print("\np95 ms by size (p50 in brackets):")
    header = f"{'figure':<48} {'variant':<10}" + "".join(f"{f'{n:,}':>22}" for n in reports)
    print(header)
    names = list(dict.fromkeys(name for r in reports.values() for name in r["figures"]))
    for name in names:
        any_r = next(r["figures"][name] for r in reports.values() if name in r["figures"])
        cells = []
        for r in reports.values():
            f = r["figures"].get(name, {})
            cells.append(
                f"{f['p95_ms']} ({f['p50_ms']})"
                if "p95_ms" in f
                else (
                    "missing"
                    if f.get("missing")
                    else "n/a"
                    if f.get("unsupported")
                    else f"HTTP {f.get('status')}"
                )
            )
        print(
            f"{any_r['label'][:48]:<48} {any_r.get('variant', ''):<10}" + "".join(f"{c:>22}" for c in cells)
        )
    print(
        f"{'load s':<59}"
        + "".join(f"{r['load'].get('timings', {}).get('load_s', '?'):>22}" for r in reports.values())
    )
    print(f"{'database MB':<59}" + "".join(f"{r['db_size_mb']:>22}" for r in reports.values()))
    if args.json:
        print(json.dumps({"sizes": reports}, separators=(",", ":"), default=str))
    return status


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.sizes:
        return run_sizes(args, argv)
    return run_one(args)


if __name__ == "__main__":
    sys.exit(main())
