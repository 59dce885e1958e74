"""IMAP IDLE (RFC 2177): new mail stored as soon as the server says it came (docs/architecture.md,
"E-mail in").

`premura imap_idle` runs `watch_mailboxes`: one thread per active IMAP mailbox, each with its own
connection. A watcher stores what is new (`imap.store_new`: the same checkpoint, UIDVALIDITY + last
UID committed with each message), looks again if the server announced a message meanwhile (in the
answer to a SEARCH or FETCH: IDLE reports only what the session has not been told), then waits in
IDLE. Whatever the server sends while we idle (a new
message's EXISTS, an expunge, a keep-alive) ends the IDLE and the watcher looks again; IDLE is also
ended and re-issued every IDLE_RESTART_SECONDS, under the 29 minutes after which RFC 2177 lets a
server drop an idle client. A server without IDLE is polled on the same connection every
IMAP_POLL_SECONDS instead. A connection that fails is recorded on the checkpoint and opened again,
waiting longer after each failure (RETRY_SECONDS).

While it watches a folder, the watcher renews a lease on its checkpoint (`watched_until`); the
worker's minute poll leaves the folder alone until the lease runs out, so a watcher that dies
hands the folder back to polling within WATCH_LEASE. The supervisor re-reads the mailboxes every
RESCAN_SECONDS: a new one gets a watcher, a changed or deactivated one's watcher stops.
"""

import datetime
import logging
import select
import ssl
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections
from imap_tools import BaseMailBox

from premura.channels import imap
from premura.channels.imap import PollResult
from premura.channels.models import ImapCheckpoint, InboundMode, Mailbox
from premura.core import clock

logger = logging.getLogger(__name__)

IDLE_RESTART_SECONDS = 25 * 60
# How often a waiting watcher checks whether it must stop, and renews its lease when due.
TICK_SECONDS = 2.0
WATCH_LEASE = datetime.timedelta(minutes=2)
LEASE_RENEW_SECONDS = 30
RESCAN_SECONDS = 60
RETRY_SECONDS = (5, 300)

Report = Callable[[PollResult], None]


def supports_idle(client: BaseMailBox) -> bool:
    """Whether the logged-in server offers IDLE (asked after login: a server may announce
    different capabilities before it)."""
    typ, data = client.client.capability()
    return typ == "OK" and b"IDLE" in b" ".join(data).upper().split()


def arrived_while_reading(client: BaseMailBox) -> bool:
    """Whether the server announced a message (EXISTS) while `imap.store_new` read the folder: it
    may have come after the search, and IDLE will not announce it a second time."""
    return bool(client.client.untagged_responses.pop("EXISTS", None))


def server_spoke(client: BaseMailBox, timeout: float) -> bool:
    """Whether the server sent anything within `timeout` seconds. What imaplib already holds in its
    buffer counts: the first EXISTS may come in the same packet as the server's answer to IDLE."""
    connection = client.client
    sock = connection.sock
    previous = sock.gettimeout()
    sock.settimeout(0)
    try:
        if connection.file.peek():
            return True
    except (TimeoutError, BlockingIOError, ssl.SSLWantReadError):
        pass
    finally:
        sock.settimeout(previous)
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)


class Watcher(threading.Thread):
    """Watches one mailbox until told to stop; `fingerprint` is the connection settings it was
    started with, so the supervisor can tell when they change."""

    def __init__(self, mailbox: Mailbox, report: Report) -> None:
        super().__init__(name=f"imap-idle-{mailbox.pk}", daemon=True)
        self.mailbox_id = mailbox.pk
        self.fingerprint = fingerprint(mailbox)
        self.report = report
        self.stopping = threading.Event()
        self._lease_renewed = 0.0

    def run(self) -> None:
        delay = RETRY_SECONDS[0]
        try:
            while not self.stopping.is_set():
                close_old_connections()
                mailbox = Mailbox.objects.filter(pk=self.mailbox_id).first()
                if mailbox is None:
                    return
                try:
                    self.watch(mailbox)
                except Exception as error:
                    self.report(PollResult(mailbox.address, 0, imap.record_error(mailbox, error)))
                    self.stopping.wait(delay)
                    delay = min(delay * 2, RETRY_SECONDS[1])
                else:
                    delay = RETRY_SECONDS[0]
        finally:
            try:  # hand the folder back to the minute poll now, not when the lease runs out
                ImapCheckpoint.objects.filter(mailbox_id=self.mailbox_id).update(watched_until=None)
            finally:
                connections.close_all()

    def watch(self, mailbox: Mailbox) -> None:
        """Store, wait, store again, on one connection, until told to stop. Raises when the
        connection or the server fails."""
        with imap.open_mailbox(mailbox) as client:
            idle = supports_idle(client)
            if not idle:
                logger.info("imap: %s offers no IDLE, polling it", mailbox.address)
            while not self.stopping.is_set():
                stored = imap.store_new(client, mailbox)
                if stored:
                    self.report(PollResult(mailbox.address, stored))
                self.renew_lease(mailbox, force=True)
                if arrived_while_reading(client):
                    continue
                if idle:
                    self.idle(client, mailbox)
                else:
                    self.wait(mailbox, settings.IMAP_POLL_SECONDS)

    def idle(self, client: BaseMailBox, mailbox: Mailbox) -> None:
        """One IDLE: until the server says something, IDLE_RESTART_SECONDS pass, or we stop."""
        client.idle.start()
        try:
            started = time.monotonic()
            while not self.stopping.is_set():
                left = IDLE_RESTART_SECONDS - (time.monotonic() - started)
                if left <= 0 or server_spoke(client, min(TICK_SECONDS, left)):
                    return
                self.renew_lease(mailbox)
        finally:
            client.idle.stop()

    def wait(self, mailbox: Mailbox, seconds: float) -> None:
        """Between two polls of a server without IDLE: sleep, keeping the lease."""
        until = time.monotonic() + seconds
        while not self.stopping.wait(min(TICK_SECONDS, max(until - time.monotonic(), 0))):
            if time.monotonic() >= until:
                return
            self.renew_lease(mailbox)

    def renew_lease(self, mailbox: Mailbox, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._lease_renewed < LEASE_RENEW_SECONDS:
            return
        ImapCheckpoint.objects.filter(mailbox=mailbox, folder=mailbox.imap_folder).update(
            watched_until=clock.now() + WATCH_LEASE
        )
        self._lease_renewed = time.monotonic()


def fingerprint(mailbox: Mailbox) -> tuple:
    return (
        mailbox.imap_host,
        mailbox.imap_port,
        mailbox.imap_use_ssl,
        mailbox.imap_username,
        mailbox.imap_password_encrypted,
        mailbox.imap_folder,
    )


def watch_mailboxes(stop: threading.Event, report: Report) -> None:
    """Watch every active IMAP mailbox until `stop` is set, then stop the watchers (each within
    TICK_SECONDS, or the IMAP timeout when it is in the middle of a command) and return."""
    watchers: dict[int, Watcher] = {}
    try:
        while True:
            close_old_connections()
            wanted = {m.pk: m for m in Mailbox.objects.filter(is_active=True, inbound_mode=InboundMode.IMAP)}
            for pk, watcher in list(watchers.items()):
                current = wanted.get(pk)
                if not watcher.is_alive() or current is None or fingerprint(current) != watcher.fingerprint:
                    watcher.stopping.set()
                    watcher.join(imap.IMAP_TIMEOUT_SECONDS + TICK_SECONDS)
                    if watcher.is_alive():
                        logger.warning("imap: the watcher of mailbox %s is slow to stop", pk)
                        continue
                    del watchers[pk]
            for pk, mailbox in wanted.items():
                if pk not in watchers:
                    watchers[pk] = Watcher(mailbox, report)
                    watchers[pk].start()
            connections.close_all()
            if stop.wait(RESCAN_SECONDS):
                return
    finally:
        for watcher in watchers.values():
            watcher.stopping.set()
        for watcher in watchers.values():
            watcher.join(imap.IMAP_TIMEOUT_SECONDS + TICK_SECONDS)
