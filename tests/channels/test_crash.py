"""Processes killed with SIGKILL at the worst moment, then restarted: no message lost, none doubled.

Each test runs the real commands (`premura poll_imap`, `premura lmtp`, `premura run_huey`) as
subprocesses through tests/channels/crash_harness.py, which kills the process at an exact function
boundary, against a database of their own (a copy of one migrated once per session; PostgreSQL
when the suite runs on it) and the real servers of conftest.py (Dovecot, the SMTP peer).
"""

import hashlib
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from premura.channels import outbox
from tests.channels.conftest import free_port
from tests.channels.mail import message

PROJECT_DIR = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "tests.channels.crash_harness"]
SECRET_KEY = "crash-harness-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
START_TIMEOUT = 60


def _base_env(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PREMURA_VAR_DIR": str(var_dir),
        "SECRET_KEY": SECRET_KEY,
        "HUEY_IMMEDIATE": "false",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("REDIS_URL", "SECRET_KEY_FILE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def _postgres_admin():
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
HARNESS_DB = f"{settings.DATABASES['default']['NAME']}_harness"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    """A database migrated once for every harness test: an SQLite file, or a PostgreSQL database
    next to the suite's, used as a template."""
    root = tmp_path_factory.mktemp("harness-template")
    if ON_POSTGRES:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{HARNESS_DB}_template"')
            admin.execute(f'CREATE DATABASE "{HARNESS_DB}_template"')
        url = _postgres_url(f"{HARNESS_DB}_template")
    else:
        url = f"sqlite:///{root / 'template.sqlite3'}"
    env = _base_env(root / "var", url)
    subprocess.run(
        [*HARNESS, "migrate", "--noinput", "-v0"], env=env, cwd=PROJECT_DIR, check=True, timeout=300
    )
    yield url
    if ON_POSTGRES:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{HARNESS_DB}_template"')


@dataclass
class Harness:
    env: dict[str, str]
    workdir: Path

    def _argv(self, command, kill, clock_offset, report) -> list[str]:
        argv = list(HARNESS)
        if kill:
            argv += ["--kill", kill]
        if clock_offset:
            argv += ["--clock-offset", str(clock_offset)]
        if report:
            argv.append("--report")
        return [*argv, *map(str, command)]

    def run(self, *command, kill=None, clock_offset=None, report=False, env=None):
        """Run the command to its end (or its planned death); the CompletedProcess."""
        return subprocess.run(
            self._argv(command, kill, clock_offset, report),
            env=self.env | (env or {}),
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start(self, *command, kill=None, report=False) -> subprocess.Popen:
        """Start a long-running command (a listener, the worker); its output goes to files."""
        name = f"{command[0]}-{time.monotonic_ns()}"
        with open(self.workdir / f"{name}.out", "w") as out, open(self.workdir / f"{name}.err", "w") as err:
            process = subprocess.Popen(
                self._argv(command, kill, None, report), env=self.env, cwd=PROJECT_DIR, stdout=out, stderr=err
            )
        process.out_path, process.err_path = self.workdir / f"{name}.out", self.workdir / f"{name}.err"
        return process


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    return result


def killed_at(returncode: int, stderr: str, kill: str) -> None:
    """The process died by our SIGKILL, at the planned point, not of anything else."""
    assert returncode == -signal.SIGKILL, stderr
    assert stderr.rstrip().endswith(f"KILLED AT {kill}"), stderr


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.fixture
def harness(migrated_template, tmp_path) -> Harness:
    """A fresh copy of the migrated database and a var directory, for this test's processes."""
    if ON_POSTGRES:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{HARNESS_DB}"')
            admin.execute(f'CREATE DATABASE "{HARNESS_DB}" TEMPLATE "{HARNESS_DB}_template"')
        url = _postgres_url(HARNESS_DB)
    else:
        template = Path(migrated_template.removeprefix("sqlite:///"))
        shutil.copyfile(template, tmp_path / "premura.sqlite3")
        url = f"sqlite:///{tmp_path / 'premura.sqlite3'}"
    (tmp_path / "var").mkdir()
    yield Harness(env=_base_env(tmp_path / "var", url), workdir=tmp_path)
    if ON_POSTGRES:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{HARNESS_DB}" WITH (FORCE)')


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the listener did not start: {process.err_path.read_text()}")
            time.sleep(0.1)


def wait_for_line(process: subprocess.Popen, line: str, count: int = 1) -> None:
    """Until the running command has printed `line` `count` times."""
    deadline = time.monotonic() + START_TIMEOUT
    while process.out_path.read_text().splitlines().count(line) < count:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {line!r} from the command: {process.err_path.read_text()}")
        time.sleep(0.1)


def lmtp_deliver(port: int, raw: bytes) -> None:
    """Deliver as Postfix does; raises unless the listener answered 250."""
    with smtplib.LMTP("127.0.0.1", port) as client:
        assert client.sendmail("anna@example.it", ["assistenza@bottega.example"], raw) == {}


# --- Inbound: IMAP ---------------------------------------------------------------------------


def add_imap_mailbox(harness: Harness, dovecot) -> None:
    ok(
        harness.run(
            *("mailbox", "add", "assistenza@bottega.example", "--imap-host", "127.0.0.1"),
            *("--imap-port", dovecot.port, "--imap-no-tls", "--imap-user", dovecot.user),
            env={"PREMURA_IMAP_PASSWORD": dovecot.password},
        )
    )


@pytest.mark.parametrize(
    "kill",
    [
        # The second message fetched, its transaction not begun.
        "after:premura.channels.imap.fetch_raw:2",
        # The second message's row inserted and the checkpoint moved, the commit not reached.
        "after:premura.channels.models.InboundEmail.save:2",
    ],
)
def test_an_imap_poller_killed_between_fetch_and_commit_stores_every_message_once(harness, dovecot, kill):
    raws = [
        message("<uno@anna.example>"),
        message(None, subject="il secondo, senza Message-ID"),  # only the checkpoint keeps it single
        message("<tre@anna.example>"),
    ]
    for raw in raws:
        dovecot.append(raw)
    add_imap_mailbox(harness, dovecot)

    crashed = harness.run("poll_imap", "--once", kill=kill)
    killed_at(crashed.returncode, crashed.stderr, kill)

    restarted = ok(harness.run("poll_imap", "--once", report=True))
    # The first message was committed before the kill; the restart stores the two others.
    assert restarted.stdout.splitlines()[0] == "assistenza@bottega.example: 2 new"
    stored = last_json(restarted.stdout)
    assert [(row["imap_uid"], row["message_id"], row["sha256"]) for row in stored["inbound"]] == [
        (1, "uno@anna.example", sha256(raws[0])),
        (2, "", sha256(raws[1])),
        (3, "tre@anna.example", sha256(raws[2])),
    ]
    [checkpoint] = stored["checkpoints"]
    assert (checkpoint["last_uid"], checkpoint["last_error"]) == (3, "")


def test_an_idle_watcher_killed_before_the_commit_stores_the_message_once_after_a_restart(harness, dovecot):
    add_imap_mailbox(harness, dovecot)
    kill = "after:premura.channels.models.InboundEmail.save"
    watcher = harness.start("imap_idle", kill=kill)
    try:
        wait_for_line(watcher, "Watching the IMAP mailboxes (IDLE)")
        first = message("<uno@anna.example>")
        dovecot.append(first)
        watcher.wait(timeout=START_TIMEOUT)
    finally:
        watcher.kill()
    killed_at(watcher.returncode, watcher.err_path.read_text(), kill)

    restarted = harness.start("imap_idle", report=True)
    try:
        wait_for_line(restarted, "assistenza@bottega.example: 1 new")
        second = message("<due@anna.example>")
        dovecot.append(second)  # while the restarted watcher idles
        wait_for_line(restarted, "assistenza@bottega.example: 1 new", count=2)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=START_TIMEOUT) == 0, restarted.err_path.read_text()
    finally:
        restarted.kill()
    stored = last_json(restarted.out_path.read_text())
    assert [(row["imap_uid"], row["message_id"], row["sha256"]) for row in stored["inbound"]] == [
        (1, "uno@anna.example", sha256(first)),
        (2, "due@anna.example", sha256(second)),
    ]
    [checkpoint] = stored["checkpoints"]
    # Stopped cleanly: the folder is handed back to the worker's minute poll at once.
    assert (checkpoint["last_uid"], checkpoint["watched_until"]) == (2, None)


# --- Inbound: LMTP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kill",
    [
        # The row inserted, the commit not reached: the retry must store it.
        "after:premura.channels.models.InboundEmail.save",
        # Committed, the 250 not yet sent: the retry must not store it again.
        "after:premura.channels.lmtp.accept_inbound",
    ],
)
# Without a Message-ID the retry is known by its bytes: the MTA resends its queued file unchanged.
@pytest.mark.parametrize("message_id", ["<ordine-1@anna.example>", None])
def test_an_lmtp_listener_killed_before_its_250_gets_the_retry_stored_once(harness, kill, message_id):
    raw = message(message_id, body="Buongiorno, il pacco non è arrivato. €")
    ok(harness.run("mailbox", "add", "assistenza@bottega.example", "--lmtp"))
    port = free_port()
    listener = harness.start("lmtp", "--bind", f"127.0.0.1:{port}", kill=kill)
    try:
        wait_for_port(port, listener)
        with pytest.raises(smtplib.SMTPServerDisconnected):  # no 250: the MTA keeps the message
            lmtp_deliver(port, raw)
        listener.wait(timeout=START_TIMEOUT)
    finally:
        listener.kill()
    killed_at(listener.returncode, listener.err_path.read_text(), kill)

    restarted = harness.start("lmtp", "--bind", f"127.0.0.1:{port}", report=True)
    try:
        wait_for_port(port, restarted)
        lmtp_deliver(port, raw)  # the MTA's retry
        lmtp_deliver(port, raw)  # and one more, as after a 250 lost on the way back
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=START_TIMEOUT) == 0, restarted.err_path.read_text()
    finally:
        restarted.kill()
    stored = last_json(restarted.out_path.read_text())
    assert [(row["message_id"], row["sha256"], row["source"]) for row in stored["inbound"]] == [
        ((message_id or "").strip("<>"), sha256(raw), "lmtp")
    ]


# --- Outbound ---------------------------------------------------------------------------------


def test_a_worker_killed_after_the_server_took_the_mail_resends_it_once_with_the_same_message_id(
    harness, peer
):
    setup = ok(harness.run("call", "tests.channels.crash_harness.queue_reply", json.dumps([peer.port])))
    row_id = last_json(setup.stdout)["result"]
    kill = "before:premura.channels.outbox._record_sent"

    worker = harness.start("run_huey", kill=kill)  # takes the doorbell the reply rang on commit
    try:
        worker.wait(timeout=120)
    finally:
        worker.kill()
    killed_at(worker.returncode, worker.err_path.read_text(), kill)
    assert len(peer.received) == 1

    # The worker restarts; its sweeper finds the claim expired and sends the row again.
    expired = outbox.CLAIM_TIMEOUT.total_seconds() + 60
    restarted = ok(
        harness.run("call", "premura.channels.outbox.deliver_due", clock_offset=expired, report=True)
    )
    assert json.loads(restarted.stdout.splitlines()[-2])["result"] == 1
    stored = last_json(restarted.stdout)
    [row] = stored["outbound"]
    assert (row["id"], row["status"], row["attempts"], row["reclaimed_count"]) == (row_id, "sent", 2, 1)
    assert stored["attempts"] == [[row_id, 1, "abandoned"], [row_id, 2, "sent"]]
    assert len(peer.received) == 2
    first, second = peer.received
    assert first.message["Message-ID"] == second.message["Message-ID"] == row["message_id_header"]
    assert first.raw == second.raw
