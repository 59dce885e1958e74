"""The served product under load: `premura serve` and N agents browsing a desk of M cases.

    python benchmarks/serve_load.py [--cases M] [--agents N] [--duration S] [--workers W] [--json]

Loads the desk as benchmarks/inbox_scale.py does (the same loader and shape; SQLite, or the
PostgreSQL database DATABASE_URL names), starts `premura serve` on it (gunicorn sync workers, the
number `premura serve` picks unless --workers), then simulates N agents, each logged in as one of
the desk's 30 agents: every 2-8 s (uniformly random think time) an agent opens a page, an inbox view
(40%), a case page (40%) or a search (20%), and waits for the whole answer before thinking again.
Latency is measured from sending the request to the last byte, over a fresh connection each time
(gunicorn's sync workers close it after each answer). p50, p95 and p99 (nearest rank) are printed per
page type, over the requests that started after a warm-up; any answer other than 200 counts as an
error and makes the exit status 1.

Agents wait for each answer, so a slow server also receives fewer requests: compare the throughput
too. The load generator runs on the same machine as the server and takes some of its CPU; the
report gives the server's own CPU time per request and the load average, so that a figure taken
on a busy machine can be told from a slow server.
"""

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

try:
    from benchmarks import _data, inbox_scale
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _data
    import inbox_scale

PAGE_TYPES = ("inbox", "case", "search")
PAGE_WEIGHTS = (40, 40, 20)
REQUEST_TIMEOUT_S = 30.0
SEARCH_WORDS = ["rimborso", "consegna", "pacco", "refund", _data.RARE_WORD]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the desk (default 100,000)")
    parser.add_argument("--agents", type=int, default=100, help="simulated agents (default 100)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds not counted at the start (default 5)"
    )
    parser.add_argument("--think-min", type=float, default=2.0, help="shortest think time, s (default 2)")
    parser.add_argument("--think-max", type=float, default=8.0, help="longest think time, s (default 8)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: what premura serve picks)")
    parser.add_argument("--db", type=Path, help="SQLite file of the desk (kept; see inbox_scale.py --db)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the desk if --db or DATABASE_URL holds it"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed of the desk and the agents (default 1)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print every figure as one JSON object, last line"
    )
    args = parser.parse_args(argv)
    if args.cases < 10:
        parser.error("--cases must be at least 10")
    if args.agents < 1:
        parser.error("--agents must be positive")
    if args.duration <= args.warmup:
        parser.error("--duration must be longer than --warmup")
    if not 0 < args.think_min <= args.think_max:
        parser.error("think times must satisfy 0 < --think-min <= --think-max")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be positive")
    return args


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    return inbox_scale.percentile(values, p)


# ---------------------------------------------------------------------------------------------
# What the agents ask for
# ---------------------------------------------------------------------------------------------


def agent_sessions() -> list[str]:
    """A session cookie for each of the desk's agents (force_login: no password hashing)."""
    from django.conf import settings
    from django.test import Client

    from premura.agents.models import Agent

    cookies = []
    for agent in Agent.objects.select_related("user").order_by("pk"):
        client = Client()
        client.force_login(agent.user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    if not cookies:
        raise SystemExit("the desk has no agents: load it again without --reuse")
    return cookies


def request_samples(rng: random.Random) -> dict:
    """Case ids, order numbers, e-mails, teams and agents to put in the URLs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM conversations_case")
        max_case = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM commerce_order")
        max_order = cursor.fetchone()[0] or 0
        ids = [rng.randint(1, max_order) for _ in range(500)] if max_order else [0]
        cursor.execute(f"SELECT number FROM commerce_order WHERE id IN ({', '.join(map(str, ids))})")
        orders = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT max(id) FROM customers_customeridentity")
        max_identity = cursor.fetchone()[0]
        ids = [rng.randint(1, max_identity) for _ in range(500)]
        cursor.execute(
            f"SELECT value FROM customers_customeridentity WHERE id IN ({', '.join(map(str, ids))})"
        )
        emails = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM agents_team ORDER BY id")
        teams = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM agents_agent ORDER BY id")
        agents = [row[0] for row in cursor.fetchall()]
    connection.close()
    return {"max_case": max_case, "orders": orders, "emails": emails, "teams": teams, "agents": agents}


def page_path(kind: str, rng: random.Random, samples: dict) -> str:
    if kind == "inbox":
        params = rng.choice(
            [
                {},  # the open inbox, as the agent opens it
                {"view": "mine"},
                {"view": "unassigned"},
                {"view": "waiting"},
                {"view": "open", "team": rng.choice(samples["teams"])},
                {"view": "open", "owner": rng.choice(samples["agents"])},
                {"view": "open", "page": 2},
            ]
        )
        return "/console/" + (f"?{urlencode(params)}" if params else "")
    if kind == "case":
        return f"/console/cases/{rng.randint(1, samples['max_case'])}/"
    roll = rng.random()
    if roll < 0.4 and samples["orders"]:
        query = rng.choice(samples["orders"])
    elif roll < 0.7:
        query = rng.choice(samples["emails"])
    else:
        query = rng.choice(SEARCH_WORDS)
    return "/console/?" + urlencode({"q": query})


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[str, float, float, int | str]] = []  # (kind, start, ms, status)

    def add(self, kind: str, started: float, ms: float, status) -> None:
        with self.lock:
            self.samples.append((kind, started, ms, status))


def fetch(port: int, path: str, cookie: str) -> tuple[int | str, float]:
    """GET path; (status or the error's name, milliseconds to the last byte)."""
    t0 = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        status = type(error).__name__
    finally:
        connection.close()
    return status, (time.perf_counter() - t0) * 1000


def simulated_agent(
    k: int, port: int, cookie: str, samples: dict, args, start: float, stop: float, recorder: Recorder
) -> None:
    rng = random.Random(args.seed * 100_003 + k)
    # Agents do not all start at once: the first page comes within one think time.
    time.sleep(rng.uniform(0, args.think_max))
    while time.monotonic() < stop:
        kind = rng.choices(PAGE_TYPES, PAGE_WEIGHTS)[0]
        path = page_path(kind, rng, samples)
        started = time.monotonic()
        status, ms = fetch(port, path, cookie)
        recorder.add(kind, started - start, ms, status)
        time.sleep(max(0.0, min(rng.uniform(args.think_min, args.think_max), stop - time.monotonic())))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int | None, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "premura",
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-log",
        "off",
        "--max-requests",
        "0",
    ]
    if workers:
        command += ["--workers", str(workers)]
    log(f"starting: {' '.join(command[2:])}")
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit(
                f"premura serve exited with {process.returncode}:\n{log_path.read_text()[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("premura serve did not listen within 120 s") from None
            time.sleep(0.2)
    return process


def server_cpu_s(master_pid: int) -> float | None:
    """CPU seconds (user + system) used so far by the server: its master and live workers, and the
    workers that already exited (counted in the master's children time). None off Linux."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry), int(fields[1])
            if pid == master_pid:
                total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
            elif ppid == master_pid:
                total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / tick


def worker_count(log_path: Path) -> int:
    return log_path.read_text().count("Booting worker")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_load(
    args, port: int, cookies: list[str], samples: dict, master_pid: int
) -> tuple[Recorder, float, dict]:
    """The agents' requests, the elapsed time, and what the machine did meanwhile: the server's CPU
    seconds within the counted window and the load average (other processes share the CPUs)."""
    recorder = Recorder()
    start = time.monotonic()
    machine = {"loadavg_start": round(os.getloadavg()[0], 2)}
    stop = start + args.duration
    threads = [
        threading.Thread(
            target=simulated_agent,
            args=(k, port, cookies[k % len(cookies)], samples, args, start, stop, recorder),
            daemon=True,
        )
        for k in range(args.agents)
    ]
    for thread in threads:
        thread.start()
    last_report = start
    cpu_at_warmup = None
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
        now = time.monotonic()
        if cpu_at_warmup is None and now - start >= args.warmup:
            cpu_at_warmup = server_cpu_s(master_pid)
        if "cpu_end" not in machine and now >= stop:
            machine["cpu_end"] = server_cpu_s(master_pid)
        if now - last_report >= 10:
            last_report = now
            log(f"  {now - start:5.0f} s: {len(recorder.samples)} requests")
        if now > stop + REQUEST_TIMEOUT_S + 5:  # a request that never ends: stop waiting for it
            break
    cpu_end = machine.pop("cpu_end", None) or server_cpu_s(master_pid)
    if cpu_at_warmup is not None and cpu_end is not None:
        machine["server_cpu_s"] = round(cpu_end - cpu_at_warmup, 1)
    machine["loadavg_end"] = round(os.getloadavg()[0], 2)
    return recorder, time.monotonic() - start, machine


def figures(recorder: Recorder, args) -> dict:
    counted = [s for s in recorder.samples if s[1] >= args.warmup]
    window = args.duration - args.warmup
    out = {}
    for kind in (*PAGE_TYPES, "all"):
        rows = [s for s in counted if kind in ("all", s[0])]
        ok = [ms for _, _, ms, status in rows if status == 200]
        errors: dict[str, int] = {}
        for _, _, _, status in rows:
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
        entry = {"requests": len(rows), "per_s": round(len(rows) / window, 1), "errors": errors}
        if ok:
            entry.update(
                {
                    "p50_ms": round(percentile(ok, 50), 1),
                    "p95_ms": round(percentile(ok, 95), 1),
                    "p99_ms": round(percentile(ok, 99), 1),
                    "max_ms": round(max(ok), 1),
                }
            )
        out[kind] = entry
    return out


def print_report(report: dict) -> None:
    print(
        f"\nPremura serve_load: {report['cases']:,} cases ({report['database']}), {report['agents']} agents "
        f"(a page every {report['think_s'][0]:g}-{report['think_s'][1]:g} s), {report['duration_s']:g} s "
        f"({report['warmup_s']:g} s warm-up not counted) · gunicorn sync workers: {report['workers']} · "
        f"{report['cpus']} CPUs · {platform.python_implementation()} {platform.python_version()}"
    )
    columns = "".join(f"{name:>9}" for name in ("requests", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms"))
    print(f"\n{'page':<8}{columns}  errors")
    for kind, f in report["figures"].items():
        times = [f.get(key, "-") for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        cells = "".join(f"{value:>9}" for value in (f["requests"], f["per_s"], *times))
        errors = ", ".join(f"{k}: {v}" for k, v in f["errors"].items()) or "none"
        print(f"{kind:<8}{cells}  {errors}")
    m = report["machine"]
    if "server_cpu_ms_per_request" in m:
        window = report["duration_s"] - report["warmup_s"]
        print(
            f"\nserver CPU: {m['server_cpu_s']} s in {window:g} s "
            f"({m['server_cpu_ms_per_request']} ms per request, {m['server_cpu_s'] / window:.2f} of "
            f"{report['cpus']} CPUs)"
        )
    print(f"load average (1 min) {m['loadavg_start']} at the start, {m['loadavg_end']} at the end")


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-serve-load-"))
    try:
        return _main(args, temp_dir)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _main(args, temp_dir: Path) -> int:
    desk_args = argparse.Namespace(
        cases=args.cases, db=args.db, reuse=args.reuse, seed=args.seed, analyze=False, keep=False
    )
    label, db_path, load_info = inbox_scale.open_desk(desk_args, temp_dir)
    from django.db import connection

    vendor = connection.vendor
    cookies = agent_sessions()
    samples = request_samples(random.Random(args.seed))
    connection.close()
    # The server's own var/ (static files, secret key) beside the desk, as inbox_scale set it.
    port = free_port()
    server_log = temp_dir / "serve.log"
    process = start_server(port, args.workers, server_log)
    try:
        log(f"{args.agents} agents for {args.duration:g} s…")
        recorder, elapsed, machine = run_load(args, port, cookies, samples, process.pid)
    finally:
        workers = worker_count(server_log)
        stop_server(process)
    report = {
        "cases": args.cases,
        "database": "PostgreSQL" if vendor == "postgresql" else "SQLite",
        "db": label,
        "load_s": load_info.get("timings", {}).get("load_s"),
        "agents": args.agents,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "elapsed_s": round(elapsed, 1),
        "think_s": [args.think_min, args.think_max],
        "workers": workers,
        "cpus": os.cpu_count(),
        "figures": figures(recorder, args),
        "machine": machine,
    }
    counted = report["figures"]["all"]["requests"]
    if "server_cpu_s" in machine and counted:
        machine["server_cpu_ms_per_request"] = round(machine["server_cpu_s"] * 1000 / counted, 1)
    print_report(report)
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    return 1 if any(f["errors"] for f in report["figures"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
