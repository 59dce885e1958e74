"""The shop's support mailboxes: `add_mailbox`, the one place a Mailbox row is created, and
`all_mailboxes`, the read every message needs (docs/architecture.md, "E-mail in", "Mailboxes,
read from a copy").

Every inbound message asks whether its sender is one of the shop's addresses, and every mail we
queue which mailbox it goes from: a few rows read several times a message. Each process keeps one
copy of them, tagged with `MailboxesVersion.token`, which every save or delete of a Mailbox
replaces in its own transaction (the signals below). A reader compares the token it reads with
the copy's, so a change made in any process (the admin, `premura mailbox add`) is seen by every
other at its next read, never a stale list. The token is read before the rows: a change that
commits between the two reads leaves the copy under the older token, which the next read finds
outdated. Changes that bypass save() and delete() (a queryset `.update()`, SQL by hand) do not
replace the token: such a change must call `mailboxes_changed()`.
"""

import contextlib
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from premura.channels.exceptions import InvalidMailbox
from premura.channels.models import Mailbox, MailboxesVersion
from premura.core.audit import record_event

VERSION_ID = 1
# (token, mailboxes ordered by address) of this process; replaced whole, never changed in place,
# so threads (Huey's workers, the LMTP listener's) can share it.
_copy: tuple[int, tuple[Mailbox, ...]] | None = None
# The copy one unit of work (an inbound message) reads throughout: `pinned`.
_pinned: ContextVar[tuple[Mailbox, ...] | None] = ContextVar("premura_pinned_mailboxes", default=None)


@transaction.atomic
def add_mailbox(mailbox: Mailbox, *, actor=None) -> Mailbox:
    """Validate and save a new, unsaved mailbox (its address lower-cased) and audit it.

    Not idempotent: an address that is connected already raises InvalidMailbox, as does any field
    that does not validate; either way nothing is written.
    """
    mailbox.address = mailbox.address.strip().lower()
    try:
        mailbox.full_clean()
    except ValidationError as error:
        raise InvalidMailbox(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
        ) from None
    mailbox.save(force_insert=True)
    record_event(mailbox, "mailbox.added", actor=actor, address=mailbox.address, mode=mailbox.inbound_mode)
    return mailbox


@receiver(post_save, sender=Mailbox, dispatch_uid="premura.channels.mailboxes.saved")
@receiver(post_delete, sender=Mailbox, dispatch_uid="premura.channels.mailboxes.deleted")
def _mailbox_changed(**kwargs) -> None:
    mailboxes_changed()


def mailboxes_changed() -> None:
    """Tell every process that the mailboxes changed: a new random token, written in the caller's
    transaction (a rollback restores the old token along with the old rows)."""
    MailboxesVersion.objects.update_or_create(pk=VERSION_ID, defaults={"token": secrets.randbits(62)})


def _read_token() -> int | None:
    """The current token; None when its row is missing (then nothing is kept). A plain cursor: it
    runs for every message, and building the ORM query costs twenty times the read."""
    table = connection.ops.quote_name(MailboxesVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE id = %s", [VERSION_ID])
        row = cursor.fetchone()
    return row[0] if row else None


def _current(token: int | None) -> tuple[Mailbox, ...]:
    global _copy
    copy = _copy
    if token is not None and copy is not None and copy[0] == token:
        return copy[1]
    mailboxes = tuple(Mailbox.objects.order_by("address"))
    if token is not None:
        _copy = (token, mailboxes)
    return mailboxes


def all_mailboxes() -> tuple[Mailbox, ...]:
    """Every mailbox, active or not, ordered by address: the pinned copy inside `pinned`, else this
    process's copy if the token still matches (one small query), else read afresh. Treat them as
    read-only: they are shared."""
    pinned_copy = _pinned.get()
    if pinned_copy is not None:
        return pinned_copy
    return _current(_read_token())


@contextlib.contextmanager
def pinned() -> Iterator[tuple[Mailbox, ...]]:
    """Inside the block, `all_mailboxes()` is the copy current at its start: one unit of work (an
    inbound message) reads the token once, sees one list of mailboxes throughout, and reads the
    rows only when they changed."""
    reset = _pinned.set(_current(_read_token()))
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(reset)
