"""Two sweepers never escalate a case twice, and a sweeper that dies mid-escalation loses nothing:
its claim rolls back with its transaction and the next run takes the case (premura.sla.sweeper).

The interleavings run everywhere; real threads and a killed process run on PostgreSQL (the
SQLite test database lives in memory, shared by one process).
"""

import datetime
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from premura.agents.models import Notification
from premura.conversations.models import Case
from premura.core import clock
from premura.core.audit import events_for
from premura.sla import sweeper
from premura.sla.models import TargetOutcome
from tests.factories.conversations import make_case
from tests.factories.sla import MONDAY_9, rome

WARNING_TIME = rome(2026, 12, 7, 12)  # 75 % of Monday 9–13
only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections to the test database"
)


def sla_actions(case: Case) -> list[str]:
    return [e.action for e in events_for(case) if e.action.startswith("sla.")]


def open_cases(customer, agent, count: int) -> list[Case]:
    with clock.frozen_at(MONDAY_9):
        return [make_case(customer, owner=agent, team=agent.team) for _ in range(count)]


def test_a_worker_whose_read_went_stale_claims_nothing(customer, agent, policy):
    (case,) = open_cases(customer, agent, 1)
    with clock.frozen_at(WARNING_TIME):
        stale = sweeper.due_checks(WARNING_TIME, 10)  # the second worker reads...
        assert sweeper.sweep() == 1  # ...the first escalates and commits...
        policies = sweeper.Policies()
        # ...then the second claims with what it read: the UPDATE matches nothing.
        assert [sweeper.escalate(pk, seen, now=WARNING_TIME, policies=policies) for pk, seen in stale] == [
            False
        ]
    assert sla_actions(case) == ["sla.warning"]
    assert Notification.objects.count() == 1


def test_a_change_after_the_read_wins_over_the_sweeper(customer, agent, policy):
    """The agent answers between the sweeper's read and its claim: the answer moved the check,
    so the claim matches nothing and nobody is warned of a deadline already met."""
    from premura.conversations import services

    (case,) = open_cases(customer, agent, 1)
    with clock.frozen_at(WARNING_TIME):
        stale = sweeper.due_checks(WARNING_TIME, 10)
        services.reply(case, agent, "Eccomi")
        policies = sweeper.Policies()
        assert [sweeper.escalate(pk, seen, now=WARNING_TIME, policies=policies) for pk, seen in stale] == [
            False
        ]
    assert sla_actions(case) == []
    assert Notification.objects.count() == 0


class WorkerDied(BaseException):
    """What a killed process does to its transaction: nothing after it runs, nothing commits.
    A BaseException, so the sweeper's own failure handling does not catch it."""


def test_a_worker_that_dies_before_its_commit_leaves_the_case_due(customer, agent, policy, monkeypatch):
    (case,) = open_cases(customer, agent, 1)
    warn = sweeper._warn

    def warn_then_die(*args, **kwargs):
        warn(*args, **kwargs)  # claimed, outcome row, notification and event written...
        raise WorkerDied  # ...and the process is gone before the commit

    monkeypatch.setattr(sweeper, "_warn", warn_then_die)
    with clock.frozen_at(WARNING_TIME), pytest.raises(WorkerDied):
        sweeper.sweep()
    case.refresh_from_db()
    assert case.sla_check_at == WARNING_TIME
    assert (Notification.objects.count(), TargetOutcome.objects.count(), sla_actions(case)) == (0, 0, [])

    monkeypatch.setattr(sweeper, "_warn", warn)
    with clock.frozen_at(WARNING_TIME + datetime.timedelta(minutes=1)):
        assert sweeper.sweep() == 1
    assert sla_actions(case) == ["sla.warning"]
    assert Notification.objects.count() == 1


def test_a_failing_case_waits_and_does_not_hold_up_the_others(customer, agent, policy, monkeypatch, caplog):
    first, second = open_cases(customer, agent, 2)
    warn = sweeper._warn

    def fail_on_first(case, *args, **kwargs):
        if case.pk == first.pk:
            raise RuntimeError("calendar unreadable")
        return warn(case, *args, **kwargs)

    monkeypatch.setattr(sweeper, "_warn", fail_on_first)
    with clock.frozen_at(WARNING_TIME):
        assert sweeper.sweep() == 1
    first.refresh_from_db()
    assert first.sla_check_at == WARNING_TIME + sweeper.RETRY_AFTER
    assert (sla_actions(first), sla_actions(second)) == ([], ["sla.warning"])
    assert f"SLA escalation of case {first.pk} failed" in caplog.text

    monkeypatch.setattr(sweeper, "_warn", warn)
    with clock.frozen_at(WARNING_TIME + sweeper.RETRY_AFTER):
        assert sweeper.sweep() == 1
    assert sla_actions(first) == ["sla.warning"]


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_sweepers_in_four_threads_escalate_each_case_once(customer, agent, lead, policy):
    cases = open_cases(customer, agent, 12)
    start = threading.Barrier(4)
    errors = []

    def worker(moment):
        try:
            start.wait()
            with clock.frozen_at(moment):
                sweeper.sweep(batch=5)
        except BaseException as error:  # reported below: a thread's exception would be lost
            errors.append(error)
        finally:
            connection.close()

    for moment in (WARNING_TIME, rome(2026, 12, 7, 13)):  # the warnings, then the breaches
        threads = [threading.Thread(target=worker, args=(moment,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for case in cases:
        assert sla_actions(case) == ["sla.warning", "sla.breached"]
        assert [e.action for e in events_for(case)].count("case.priority_changed") == 1
    # Marco warned once per case; Marco and Sara told once of each breach.
    assert Notification.objects.count() == 12 * 3


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a second process on this test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "premura.settings",
        "PREMURA_VAR_DIR": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }


KILLED_WORKER = """
import os, signal, django
django.setup()
from premura.core import clock
from premura.sla import sweeper
from tests.sla.test_sweeper_races import WARNING_TIME

warn = sweeper._warn
def warn_then_die(*args, **kwargs):
    warn(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # claimed and written, never committed
sweeper._warn = warn_then_die
with clock.frozen_at(WARNING_TIME):
    sweeper.sweep()
"""


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_process_leaves_its_claim_to_the_next_run(customer, agent, policy, tmp_path):
    (case,) = open_cases(customer, agent, 1)
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER], env=_subprocess_env(tmp_path), capture_output=True, timeout=120
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()
    case.refresh_from_db()
    assert case.sla_check_at == WARNING_TIME
    assert (Notification.objects.count(), sla_actions(case)) == (0, [])

    with clock.frozen_at(WARNING_TIME + datetime.timedelta(minutes=1)):
        assert sweeper.sweep() == 1
    assert sla_actions(case) == ["sla.warning"]
    assert Notification.objects.count() == 1
