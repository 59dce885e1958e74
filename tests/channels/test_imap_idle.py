"""IMAP IDLE against a real Dovecot: a message appended while the watcher idles is stored, IDLE is
issued again before the RFC 2177 limit, a server without IDLE is polled, and the worker's poll
leaves a watched mailbox alone. The watchers run in threads of the test, on its database; the
waits are generous and assert only that the mail arrives."""

import datetime
import threading
import time

import pytest
from django.db import OperationalError, connection
from imap_tools.idle import IdleManager

from premura.channels import imap, imap_idle, inbound
from premura.channels.imap import PollResult
from premura.channels.models import ImapCheckpoint, InboundEmail, Mailbox
from premura.core import clock
from tests.channels.mail import message

WAIT_SECONDS = 30


def eventually(check, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT_SECONDS} s for {what}")
        time.sleep(0.05)
    return value


def stored(mailbox=None) -> list[tuple[int, str]]:
    rows = InboundEmail.objects.order_by("imap_uid")
    if mailbox is not None:
        rows = rows.filter(mailbox=mailbox)
    return list(rows.values_list("imap_uid", "message_id"))


class Watching:
    """`premura imap_idle`'s loop in a thread of the test, and what it reported."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.results: list[PollResult] = []
        self.thread = threading.Thread(
            target=imap_idle.watch_mailboxes, args=(self.stop_event, self.results.append), daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(WAIT_SECONDS)
        assert not self.thread.is_alive()


def write(change):
    """Run a write of the test while watchers run in other threads. The test database (SQLite in
    memory, shared cache) answers "table is locked" at once instead of waiting as a file does."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return change()
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def watch(transactional_db, monkeypatch, settings):
    """Starts the watchers; they are stopped at the end. Polling (servers without IDLE) would take
    an hour: what arrives in time came by IDLE, unless a test says otherwise. Stored mail is not
    processed into cases: not under test here, it would only compete for the test database."""
    settings.IMAP_POLL_SECONDS = 3600
    monkeypatch.setattr(inbound, "_ring", lambda inbound_id: None)
    if connection.vendor == "sqlite":
        # The test's own reads (it watches the tables while the watchers write) take no table
        # locks, or a watcher's write would meet "table is locked" at once (see `write`).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")
    monkeypatch.setattr(imap_idle, "TICK_SECONDS", 0.1)
    monkeypatch.setattr(imap_idle, "RETRY_SECONDS", (0.1, 0.1))
    started = []

    def start() -> Watching:
        started.append(Watching())
        return started[-1]

    yield start
    for watching in started:
        watching.stop()


@pytest.fixture
def idle_starts(monkeypatch) -> list[float]:
    """The moments an IDLE command was issued."""
    starts = []
    real_start = IdleManager.start

    def counting(self):
        starts.append(time.monotonic())
        return real_start(self)

    monkeypatch.setattr(IdleManager, "start", counting)
    return starts


def test_a_message_appended_while_idling_is_stored_at_once(dovecot, watch, idle_starts):
    mailbox = dovecot.mailbox()
    first = message("<uno@anna.example>")
    dovecot.append(first)
    watching = watch()
    eventually(lambda: stored() == [(1, "uno@anna.example")], "the mail already there")
    eventually(lambda: idle_starts, "the watcher to idle")

    second = message("<due@anna.example>", body="Scritto mentre Premura aspettava. €")
    dovecot.append(second)
    eventually(lambda: len(watching.results) == 2, "the message appended while idling")

    assert stored() == [(1, "uno@anna.example"), (2, "due@anna.example")]
    assert bytes(InboundEmail.objects.get(imap_uid=2).raw) == second
    assert InboundEmail.objects.get(imap_uid=2).source == "imap"
    checkpoint = ImapCheckpoint.objects.get(mailbox=mailbox)
    assert (checkpoint.last_uid, checkpoint.last_error) == (2, "")
    assert watching.results == [
        PollResult("assistenza@bottega.example", 1),
        PollResult("assistenza@bottega.example", 1),
    ]
    # The server's mail is left as it was: nothing deleted.
    dovecot.append(message("<tre@anna.example>"))
    eventually(lambda: len(stored()) == 3, "a third message")


def test_idle_is_issued_again_before_the_rfc_2177_limit(dovecot, watch, idle_starts, monkeypatch):
    assert imap_idle.IDLE_RESTART_SECONDS < 29 * 60
    monkeypatch.setattr(imap_idle, "IDLE_RESTART_SECONDS", 0.3)
    dovecot.mailbox()
    watch()
    eventually(lambda: len(idle_starts) >= 3, "IDLE issued three times")
    dovecot.append(message("<dopo@anna.example>"))
    eventually(lambda: stored() == [(1, "dopo@anna.example")], "the message after the restarts")


def test_a_server_without_idle_is_polled_instead(dovecot_without_idle, watch, idle_starts, settings):
    settings.IMAP_POLL_SECONDS = 1
    dovecot_without_idle.mailbox()
    watch()
    eventually(lambda: ImapCheckpoint.objects.filter(uidvalidity__isnull=False).exists(), "a first poll")
    dovecot_without_idle.append(message("<polled@anna.example>"))
    eventually(lambda: stored() == [(1, "polled@anna.example")], "the polled message")
    assert idle_starts == []
    # The watcher still holds the lease: the worker's poll does not read the folder too.
    assert imap.poll_all() == []


def test_the_worker_s_poll_skips_a_watched_folder_until_the_lease_runs_out(dovecot, watch):
    mailbox = dovecot.mailbox()
    watching = watch()
    checkpoint = eventually(
        lambda: ImapCheckpoint.objects.filter(mailbox=mailbox, watched_until__isnull=False).first(),
        "the lease",
    )
    assert checkpoint.watched_until > clock.now()
    assert imap.poll_all() == []
    with clock.frozen_at(checkpoint.watched_until + datetime.timedelta(seconds=1)):
        # The watcher died without a word: its lease runs out and the poll takes the folder back.
        assert imap.poll_all() == [PollResult("assistenza@bottega.example", 0)]
    watching.stop()
    assert ImapCheckpoint.objects.get(mailbox=mailbox).watched_until is None  # handed back at once
    assert imap.poll_all() == [PollResult("assistenza@bottega.example", 0)]


def test_a_failing_mailbox_is_recorded_and_watched_again_once_fixed(dovecot, watch, monkeypatch):
    monkeypatch.setattr(imap_idle, "RESCAN_SECONDS", 0.1)
    mailbox = dovecot.mailbox(imap_password="sbagliata")
    dovecot.append(message("<uno@anna.example>"))
    watching = watch()
    checkpoint = eventually(
        lambda: ImapCheckpoint.objects.filter(mailbox=mailbox).exclude(last_error="").first(), "the error"
    )
    assert checkpoint.last_error.startswith("MailboxLoginError")
    # The watcher reports the failure after committing it on the checkpoint: wait for the report.
    reported = eventually(lambda: watching.results[:1], "the failure reported")
    assert reported[0].error == checkpoint.last_error
    assert stored() == []

    mailbox.imap_password = dovecot.password  # an administrator corrects it
    write(mailbox.save)
    eventually(lambda: stored() == [(1, "uno@anna.example")], "the mail once the password is right")
    eventually(lambda: ImapCheckpoint.objects.get(mailbox=mailbox).last_error == "", "the error cleared")


def test_mailboxes_added_and_deactivated_while_running_are_watched_and_left(dovecot, watch, monkeypatch):
    monkeypatch.setattr(imap_idle, "RESCAN_SECONDS", 0.1)
    first = dovecot.mailbox()
    dovecot.append(message("<uno@anna.example>"))
    watch()
    eventually(lambda: stored(first) == [(1, "uno@anna.example")], "the first mailbox's mail")

    write(lambda: Mailbox.objects.filter(pk=first.pk).update(is_active=False))
    eventually(lambda: ImapCheckpoint.objects.get(mailbox=first).watched_until is None, "the watcher to stop")
    second = write(lambda: dovecot.mailbox("resi@bottega.example"))  # the same account, from its start
    eventually(lambda: stored(second) == [(1, "uno@anna.example")], "the second mailbox's first read")
    dovecot.append(message("<due@anna.example>"))
    eventually(lambda: len(stored(second)) == 2, "the new message in the second mailbox")
    assert stored(first) == [(1, "uno@anna.example")]


def test_a_message_that_arrives_just_before_idle_begins_is_not_missed(dovecot, watch, monkeypatch):
    dovecot.mailbox()
    real_start = IdleManager.start
    appended = []

    def append_first(self):
        if not appended:  # after the watcher's look at the folder, before its IDLE
            dovecot.append(message("<appena-prima@anna.example>"))
            appended.append(True)
        return real_start(self)

    monkeypatch.setattr(IdleManager, "start", append_first)
    watch()
    eventually(lambda: stored() == [(1, "appena-prima@anna.example")], "the message sent before IDLE")


def test_a_message_announced_while_the_watcher_reads_is_not_missed(dovecot, watch, monkeypatch):
    """A message that comes while the watcher fetches another is announced (EXISTS) in the answer
    to that FETCH, after the search that listed what to fetch; IDLE will not announce it again."""
    dovecot.mailbox()
    dovecot.append(message("<uno@anna.example>"))
    real_fetch = imap.fetch_raw
    appended = []

    def append_during_the_first_fetch(client, uid):
        if not appended:
            dovecot.append(message("<durante@anna.example>"))
            appended.append(True)
        return real_fetch(client, uid)

    monkeypatch.setattr(imap, "fetch_raw", append_during_the_first_fetch)
    watch()
    eventually(
        lambda: stored() == [(1, "uno@anna.example"), (2, "durante@anna.example")],
        "the message that came meanwhile",
    )
