"""IMAP polling (imap-tools): new mail of every active IMAP mailbox, stored raw, once.

How a poll neither loses nor duplicates a message across crashes and restarts:

- the folder is opened read-only (EXAMINE): the poller never sets flags, moves or deletes mail;
- each mailbox folder has a checkpoint (ImapCheckpoint: UIDVALIDITY + the last stored UID);
- each message is fetched by UID as the exact bytes (BODY.PEEK[]), then stored in ONE transaction
  with the checkpoint moved to its UID. A crash before that commit leaves both untouched: the next
  poll fetches the message again. After it, the next poll starts after that UID;
- the checkpoint moves with a conditional UPDATE (from the UID this poll read): a second poller
  running at the same time (the worker and `premura poll_imap`) stops instead of storing twice;
- a changed UIDVALIDITY (the server rebuilt the folder, UIDs mean something else) re-reads the whole
  folder; accept_inbound's Message-ID dedupe keeps what was stored already once.

`premura imap_idle` (channels/imap_idle.py) runs the same `store_new` each time the server signals
new mail; the periodic poll leaves the mailboxes it watches alone.
"""

import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted

from premura.channels.inbound import accept_inbound
from premura.channels.models import ImapCheckpoint, InboundMode, InboundSource, Mailbox
from premura.core import clock

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 60
_FETCH_UID = re.compile(rb"\bUID (\d+)\b")


class ImapPollError(Exception):
    """The server answered something a poll cannot go on from."""


class ConcurrentPoll(ImapPollError):
    """Another poller moved this folder's checkpoint while this one was reading it."""


@dataclass(frozen=True)
class PollResult:
    address: str
    stored: int
    error: str = ""


def open_mailbox(mailbox: Mailbox) -> BaseMailBox:
    """A logged-in imap-tools connection, no folder selected. TLS from the first byte when the
    mailbox says so (port 993); otherwise plain IMAP, meant for a server on the same host."""
    password = mailbox.imap_password  # raises UnreadableCredential before anything is sent
    cls = MailBox if mailbox.imap_use_ssl else MailBoxUnencrypted
    client = cls(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT_SECONDS)
    return client.login(mailbox.imap_username, password, initial_folder=None)


def poll_mailbox(mailbox: Mailbox) -> int:
    """Store the messages that arrived in `mailbox`'s IMAP folder since the last poll; the number
    of new rows (a message already stored under its Message-ID counts 0). Raises on connection
    and protocol errors, with everything stored so far committed."""
    with open_mailbox(mailbox) as client:
        return store_new(client, mailbox)


def store_new(client: BaseMailBox, mailbox: Mailbox) -> int:
    """On an open connection (a poll's, or the IDLE watcher's between two IDLEs): open the folder
    read-only and store every message after the checkpoint, each committed with its UID; the
    number of new rows. Clears the checkpoint's last error when it gets through."""
    checkpoint, _ = ImapCheckpoint.objects.get_or_create(mailbox=mailbox, folder=mailbox.imap_folder)
    stored = 0
    client.folder.set(mailbox.imap_folder, readonly=True)
    # From here on an EXISTS means a message came while we read, perhaps after the search: the
    # IDLE watcher looks again before it idles (imap_idle.arrived_while_reading).
    client.client.untagged_responses.pop("EXISTS", None)
    uidvalidity = _uidvalidity(client)
    last_uid = _start(checkpoint, uidvalidity)
    uids = sorted(u for u in map(int, client.uids(f"UID {last_uid + 1}:*")) if u > last_uid)
    for uid in uids:
        raw = fetch_raw(client, uid)
        if raw is None:  # expunged since the search: nothing left to store
            continue
        with transaction.atomic():
            moved = ImapCheckpoint.objects.filter(
                pk=checkpoint.pk, uidvalidity=uidvalidity, last_uid=last_uid
            ).update(last_uid=uid, polled_at=clock.now(), last_error="")
            if moved != 1:
                raise ConcurrentPoll(f"{mailbox.address}: another poll moved the checkpoint")
            _, created = accept_inbound(mailbox, raw, source=InboundSource.IMAP, imap_uid=uid)
        last_uid = uid
        stored += created
    ImapCheckpoint.objects.filter(pk=checkpoint.pk).update(polled_at=clock.now(), last_error="")
    return stored


def _uidvalidity(client: BaseMailBox) -> int:
    _, data = client.client.response("UIDVALIDITY")
    if not data or data[-1] is None:
        raise ImapPollError("the server sent no UIDVALIDITY for the folder")
    return int(data[-1])


def _start(checkpoint: ImapCheckpoint, uidvalidity: int) -> int:
    """The last stored UID under `uidvalidity`: the checkpoint's, or 0 after a UIDVALIDITY change
    (saved at once: a crash then re-reads the folder, which dedupe makes harmless)."""
    if checkpoint.uidvalidity == uidvalidity:
        return checkpoint.last_uid
    if checkpoint.uidvalidity is not None:
        logger.warning(
            "imap: %s %s changed UIDVALIDITY %s -> %s, reading the folder again",
            checkpoint.mailbox_id,
            checkpoint.folder,
            checkpoint.uidvalidity,
            uidvalidity,
        )
    moved = ImapCheckpoint.objects.filter(
        pk=checkpoint.pk, uidvalidity=checkpoint.uidvalidity, last_uid=checkpoint.last_uid
    ).update(uidvalidity=uidvalidity, last_uid=0)
    if moved != 1:
        raise ConcurrentPoll("another poll moved the checkpoint")
    return 0


def fetch_raw(client: BaseMailBox, uid: int) -> bytes | None:
    """The message's exact bytes as the server holds them (BODY.PEEK[]: the \\Seen flag stays as it
    is), not a re-serialisation of a parsed message; None when no message has that UID."""
    typ, data = client.client.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
    if typ != "OK":
        raise ImapPollError(f"FETCH {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and (match := _FETCH_UID.search(item[0])) and int(match.group(1)) == uid:
            return bytes(item[1])
    return None


def polled_mailboxes() -> QuerySet[Mailbox]:
    """The active IMAP mailboxes the periodic poll reads: all but those an IDLE watcher
    (channels.imap_idle) holds, by a lease on the checkpoint of their folder that it renews while
    it runs. A watcher that dies stops renewing, and the poll takes the mailbox back."""
    watched = ImapCheckpoint.objects.filter(
        mailbox=OuterRef("pk"), folder=OuterRef("imap_folder"), watched_until__gt=clock.now()
    )
    return Mailbox.objects.filter(is_active=True, inbound_mode=InboundMode.IMAP).exclude(Exists(watched))


def record_error(mailbox: Mailbox, error: Exception) -> str:
    """Log a failed poll and put its error on the mailbox's checkpoint (shown in the admin); the
    message recorded."""
    logger.error("imap: reading %s failed", mailbox.address, exc_info=error)
    message = f"{type(error).__name__}: {error}"[:2000]
    # A mailbox that never got through (a wrong password) has no checkpoint yet.
    ImapCheckpoint.objects.update_or_create(
        mailbox=mailbox,
        folder=mailbox.imap_folder,
        defaults={"polled_at": clock.now(), "last_error": message},
    )
    return message


def poll_all() -> list[PollResult]:
    """Poll every active IMAP mailbox that no IDLE watcher holds; one that fails (server down,
    wrong password) is recorded on its checkpoint and logged, and the others are still polled."""
    results = []
    for mailbox in polled_mailboxes():
        try:
            results.append(PollResult(mailbox.address, poll_mailbox(mailbox)))
        except Exception as error:
            results.append(PollResult(mailbox.address, 0, record_error(mailbox, error)))
    return results
