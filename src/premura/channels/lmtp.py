"""The LMTP listener (aiosmtpd): the mail server (Postfix, Dovecot's LDA, ...) delivers each message
here and gets 250 only once the raw bytes are committed (channels.inbound.accept_inbound).

A thin adapter, like healthchecks' smtpd.py: it checks recipients and hands the bytes over; the
database work runs in a worker thread (asgiref's sync_to_async) so the event loop keeps serving
other connections. LMTP (RFC 2033) answers DATA once per accepted recipient, in RCPT order: the
handler returns those lines joined, which aiosmtpd sends as they are.

Replies: 550 at RCPT for an address that is no active mailbox; 552 for a message over
EMAIL_MAX_MESSAGE_BYTES (advertised as SIZE in the LHLO answer, so a server that honours it, as
Postfix does, never sends one; a client that ignores it gets one 552 after DATA, aiosmtpd's reply);
451 (try again later) when storing fails, so nothing is acknowledged that was not committed.
"""

import logging
from collections import defaultdict
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundSource, Mailbox

logger = logging.getLogger(__name__)


def mailbox_for_recipient(address: str) -> Mailbox | None:
    """The active mailbox that `address` reaches: its own address (any case), or
    local+anything@domain when that mailbox accepts plus addressing; None otherwise."""
    address = address.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return None
    mailboxes = Mailbox.objects.filter(is_active=True)
    mailbox = mailboxes.filter(address__iexact=address).first()
    if mailbox is None and "+" in local:
        base = f"{local.split('+', 1)[0]}@{domain}"
        mailbox = mailboxes.filter(address__iexact=base, plus_addressing=True).first()
    return mailbox


def _resolve(address: str) -> int | None:
    close_old_connections()
    try:
        mailbox = mailbox_for_recipient(address)
        return mailbox.pk if mailbox else None
    finally:
        close_old_connections()


def _store(mailbox_id: int, raw: bytes, sender: str, recipients: list[str]) -> bool:
    close_old_connections()
    try:
        mailbox = Mailbox.objects.get(pk=mailbox_id)
        row, created = accept_inbound(
            mailbox, raw, source=InboundSource.LMTP, envelope_sender=sender, recipients=recipients
        )
        logger.info(
            "lmtp: %s message %s for %s (%s)",
            "stored" if created else "already had",
            row.pk,
            mailbox.address,
            row.message_id or "no Message-ID",
        )
        return created
    finally:
        close_old_connections()


class InboundHandler:
    """aiosmtpd handler: RCPT looks the mailbox up, DATA stores the message once per mailbox."""

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        mailbox_id = await sync_to_async(_resolve, thread_sensitive=False)(address)
        if mailbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        # aiosmtpd's Envelope is a plain object: the mailbox of each recipient travels with it.
        if not hasattr(envelope, "premura_mailboxes"):
            envelope.premura_mailboxes = {}
        envelope.premura_mailboxes[address] = mailbox_id
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = bytes(envelope.original_content or envelope.content or b"")
        sender = envelope.mail_from or ""
        by_mailbox: dict[int, list[str]] = defaultdict(list)
        for address in envelope.rcpt_tos:
            by_mailbox[envelope.premura_mailboxes[address]].append(address)
        # Two recipients of one mailbox (support@ and support+token@) store one row.
        answers: dict[int, str] = {}
        for mailbox_id, recipients in by_mailbox.items():
            try:
                await sync_to_async(_store, thread_sensitive=False)(mailbox_id, raw, sender, recipients)
            except Exception:
                logger.exception("lmtp: could not store a message for mailbox %s", mailbox_id)
                answers[mailbox_id] = "451 4.3.0 Could not store the message, try again later"
            else:
                answers[mailbox_id] = "250 2.0.0 Stored"
        return "\r\n".join(answers[envelope.premura_mailboxes[a]] for a in envelope.rcpt_tos)


class LMTPController(Controller):
    """aiosmtpd's threaded controller speaking LMTP, with the size limit of the settings."""

    def __init__(self, hostname: str, port: int, **kwargs: Any) -> None:
        super().__init__(
            InboundHandler(),
            hostname=hostname,
            port=port,
            data_size_limit=settings.EMAIL_MAX_MESSAGE_BYTES,
            decode_data=False,
            enable_SMTPUTF8=True,
            **kwargs,
        )

    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)
