"""Inbound e-mail, raw first: every message that reaches a mailbox is stored as bytes before
anything parses it, once per Message-ID.

The listeners (channels/lmtp.py, channels/imap.py) call `accept_inbound` and nothing else; the
processing of a stored row (parse, thread into a case, acknowledge) reads it afterwards and may
fail without losing the message.
"""

import hashlib
import re
from collections.abc import Sequence

from django.db import IntegrityError, transaction

from premura.channels.models import InboundEmail, InboundSource, Mailbox
from premura.core import clock

MESSAGE_ID_MAX_LENGTH = InboundEmail._meta.get_field("message_id").max_length
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")  # RFC 5322 ftext, obsolete WSP before the colon


def extract_message_id(raw: bytes) -> str:
    """The first Message-ID header of `raw`'s header block, unfolded, without <>; "" if none.

    No MIME parse: it reads only the lines before the first empty line, so it never fails on a
    broken body and costs the same on a 50 MB message. A continuation line (starting with a space
    or tab) belongs to the header above it. Lines that are no header (an mbox "From " line) are
    skipped. The value is the text inside the first <...> (whitespace removed: some mailers fold
    inside long ids), else the first word; UTF-8 (RFC 6532), or Latin-1 when it is not valid UTF-8,
    so the same bytes always give the same id.
    """
    headers: list[bytes] = []
    for line in re.split(rb"\r?\n", raw):
        if not line.strip(b"\r"):
            break
        if line[:1] in (b" ", b"\t"):
            if headers:
                headers[-1] += b" " + line.strip()
            continue
        headers.append(line.rstrip(b"\r"))
    for header in headers:
        match = _HEADER_NAME.match(header)
        if match is None or match.group(1).lower() != b"message-id":
            continue
        value = _decode(header[match.end() :]).strip()
        start = value.find("<")
        end = value.find(">", start + 1)
        if start != -1 and end != -1:
            value = "".join(value[start + 1 : end].split())
        else:
            words = value.split()
            value = words[0].strip("<>") if words else ""
        return value[:MESSAGE_ID_MAX_LENGTH]
    return ""


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def accept_inbound(
    mailbox: Mailbox,
    raw: bytes,
    *,
    source: str,
    envelope_sender: str = "",
    recipients: Sequence[str] = (),
    imap_uid: int | None = None,
) -> tuple[InboundEmail, bool]:
    """Store one inbound message as it came: `(row, True)`, or `(the stored row, False)` when the
    mailbox already holds a message with the same Message-ID.

    Contract:
    - raw first: the exact bytes and their SHA-256 are written before (and without) any parsing;
      a message that later fails to parse is still here;
    - idempotent on Message-ID: the same Message-ID delivered twice (an MTA retrying after a lost
      250, an IMAP folder read again after a UIDVALIDITY change) is stored once. The insert runs in
      a savepoint and an IntegrityError on (mailbox, message_id) returns the stored row, so two
      concurrent deliveries cannot both insert. A message without Message-ID is stored once per
      exact bytes (SHA-256): a retry resends the same bytes, a new sending never does;
    - committed on return when called outside a transaction (the LMTP listener answers 250 only
      after this returns); inside one (the IMAP poller, with its checkpoint) it commits with it.

    The row starts in state `received`; processing it (channels.ingest) is a separate step, rung
    on commit (tasks.process_inbound_task) and swept every minute.
    """
    if source not in InboundSource.values:
        raise ValueError(f"unknown inbound source {source!r}")
    raw = bytes(raw)
    message_id = extract_message_id(raw)
    sha256 = hashlib.sha256(raw).hexdigest()
    if not message_id:
        # A retry after a lost 250 comes after the first delivery's commit, never beside it.
        stored = InboundEmail.objects.filter(mailbox=mailbox, message_id="", sha256=sha256).first()
        if stored is not None:
            return stored, False
    row = InboundEmail(
        mailbox=mailbox,
        raw=raw,
        sha256=sha256,
        message_id=message_id,
        envelope_sender=envelope_sender[:998],
        envelope_recipients=list(recipients),
        source=source,
        imap_uid=imap_uid,
        received_at=clock.now(),
    )
    # One atomic block: the transaction when called outside one, a savepoint inside one (IMAP), so
    # the IntegrityError of a duplicate leaves the caller's transaction usable either way.
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            transaction.on_commit(lambda: _ring(row.pk))
    except IntegrityError:
        if not message_id:
            raise
        return InboundEmail.objects.get(mailbox=mailbox, message_id=message_id), False
    return row, True


def _ring(inbound_id: int) -> None:
    """Process the stored row in the worker. Losing this loses nothing: ingest.process_waiting."""
    from premura.channels.tasks import process_inbound_task

    process_inbound_task(inbound_id)
