"""Connecting the shop's support mailboxes: the one place a Mailbox row is created."""

from django.core.exceptions import ValidationError
from django.db import transaction

from premura.channels.exceptions import InvalidMailbox
from premura.channels.models import Mailbox
from premura.core.audit import record_event


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
