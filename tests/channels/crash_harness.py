"""Run one real `premura` command in this process and SIGKILL the process at a chosen point.

    python -m tests.channels.crash_harness [--kill WHEN:DOTTED.PATH[:N]] [--clock-offset SECONDS]
        [--report] COMMAND [ARGS...]

The crash tests (test_crash.py) start it as a subprocess against a database of its own. The product
code is untouched: the harness replaces one function (or method) with a wrapper before the command
runs, and the wrapper kills the whole process with SIGKILL, as the kernel's OOM killer or a power
cut would, either `before` the N-th call (default 1) or `after` it returned. Nothing after that
point runs: no `finally`, no commit, no answer on the socket. It writes `KILLED AT <spec>` to stderr
first, so a test can tell the planned death from any other.

COMMAND is a management command (`poll_imap --once`, `imap_idle`, `lmtp --bind ...`, `run_huey`), or
`call DOTTED.FUNCTION [JSON ARGS]` to run one function (the outbox sweeper, a test's setup). With
`--clock-offset`, `clock.now()` answers that many seconds from now (a restart "11 minutes later").
`--report` prints, after the command returned, what the database holds as one JSON line.
"""

import argparse
import contextlib
import datetime
import importlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def resolve(path: str) -> tuple[Any, str]:
    """The object holding the last attribute of `path` and that attribute's name:
    "premura.channels.imap.fetch_raw" → (the module, "fetch_raw"),
    "premura.channels.models.InboundEmail.save" → (the class, "save")."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:-1]:
            owner = getattr(owner, name)
        if not hasattr(owner, parts[-1]):
            raise SystemExit(f"crash_harness: {path} does not exist")
        return owner, parts[-1]
    raise SystemExit(f"crash_harness: cannot import {path}")


def arm(spec: str) -> None:
    """Wrap the callable named by `spec` ("after:premura.channels.imap.accept_inbound:2") so that
    the process is killed before or after its N-th call."""
    when, _, rest = spec.partition(":")
    path, _, nth = rest.partition(":")
    if when not in ("before", "after"):
        raise SystemExit(f"crash_harness: --kill must start with before: or after:, not {spec!r}")
    owner, name = resolve(path)
    original = getattr(owner, name)
    target = int(nth or 1)
    calls = 0

    def die() -> None:
        sys.stdout.flush()
        sys.stderr.write(f"KILLED AT {spec}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def wrapper(*args, **kwargs):
        nonlocal calls
        calls += 1
        if when == "before" and calls == target:
            die()
        result = original(*args, **kwargs)
        if calls == target:
            die()
        return result

    setattr(owner, name, wrapper)


def report() -> dict:
    """What a test checks after a crash and a restart: every stored row, in order."""
    from premura.channels.models import EmailDeliveryAttempt, ImapCheckpoint, InboundEmail, OutboundEmail

    return {
        "inbound": list(
            InboundEmail.objects.order_by("id").values("message_id", "imap_uid", "sha256", "source")
        ),
        "checkpoints": list(
            ImapCheckpoint.objects.values("folder", "uidvalidity", "last_uid", "last_error", "watched_until")
        ),
        "outbound": list(
            OutboundEmail.objects.order_by("id").values(
                "id", "message_id_header", "status", "attempts", "reclaimed_count"
            )
        ),
        "attempts": list(
            EmailDeliveryAttempt.objects.order_by("outbound_id", "number").values_list(
                "outbound_id", "number", "result"
            )
        ),
    }


def queue_reply(smtp_port: int) -> int:
    """A test's setup: a mailbox sending through the SMTP peer on `smtp_port`, a customer's e-mail
    case and an agent's reply to it, queued in the outbox as the console queues it; the row's id."""
    from django.db import transaction

    from premura.agents.services import create_agent
    from premura.channels import outbox
    from premura.channels.models import Mailbox
    from premura.conversations import services
    from premura.customers.models import Customer, CustomerIdentity, IdentityKind

    Mailbox.objects.create(
        address="assistenza@bottega.example", smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_use_tls=False
    )
    agent = create_agent(username="marco", password="premura-test-pw", display_name="Marco Rossi")
    customer = Customer.objects.create(full_name="Anna Colombo", language="it")
    CustomerIdentity.objects.create(
        customer=customer, kind=IdentityKind.EMAIL, value="anna.colombo@example.it", is_primary=True
    )
    with transaction.atomic():
        case = services.open_case(customer=customer, subject="Dov'è il mio pacco?", body="Non è arrivato.")
        message = services.reply(case, agent, "Il pacco arriverà domani.")
        row = outbox.reply_by_email(case, message)
    return row.pk


def run(command: list[str]) -> object:
    if command[0] != "call":
        from django.core.management import call_command

        return call_command(*command)
    owner, name = resolve(command[1])
    function: Callable = getattr(owner, name)
    return function(*json.loads(command[2] if len(command) > 2 else "[]"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill", help="WHEN:DOTTED.PATH[:N], WHEN being before or after")
    parser.add_argument("--clock-offset", type=float, default=0.0)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    if not options.command:
        parser.error("a command is needed")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "premura.settings")
    import django

    django.setup()
    from django.utils import timezone

    from premura.core import clock

    if options.kill:
        arm(options.kill)
    moment = timezone.now() + datetime.timedelta(seconds=options.clock_offset)
    with clock.frozen_at(moment) if options.clock_offset else contextlib.nullcontext():
        result = run(options.command)
    if options.command[0] == "call":
        print(json.dumps({"result": result}, default=str), flush=True)
    if options.report:
        print(json.dumps(report(), default=str), flush=True)


if __name__ == "__main__":
    main()
