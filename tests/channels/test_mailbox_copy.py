"""The mailboxes every inbound message reads come from a per-process copy (channels.mailboxes),
checked against MailboxesVersion.token: a change is seen by the next message, whoever made it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from premura.channels import ingest, mailboxes
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, Mailbox, MailboxesVersion
from tests.channels.test_ingest import mail

ORDERS = "ordini@bottega.example"


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


def deliver(mailbox: Mailbox, n: int, sender: str = ORDERS) -> InboundEmail:
    row, _ = accept_inbound(mailbox, mail(sender=sender, message_id=f"<m{n}@x.example>"), source="imap")
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    return row


def mailbox_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "channels_mailbox"' in q["sql"]]


def test_a_message_reads_no_mailbox_while_the_copy_is_current(mailbox):
    deliver(mailbox, 1)  # loads the copy
    with CaptureQueriesContext(connection) as queries:
        assert deliver(mailbox, 2).classification == "genuine"
    assert mailbox_reads(queries) == []


def test_a_mailbox_saved_in_this_process_is_seen_by_the_next_message(mailbox):
    assert deliver(mailbox, 1).classification == "genuine"
    mailbox.own_addresses = ORDERS
    mailbox.save()
    row = deliver(mailbox, 2)
    assert (row.classification, row.classification_reason) == ("automatic", "from the shop's own address")


def test_a_new_and_a_deleted_mailbox_are_seen(mailbox):
    assert deliver(mailbox, 1).classification == "genuine"
    other = Mailbox.objects.create(address=ORDERS, is_active=False)
    assert deliver(mailbox, 2).classification == "automatic"
    other.delete()
    assert deliver(mailbox, 3).classification == "genuine"


def test_a_change_made_by_another_process_is_seen_by_the_next_message(mailbox):
    assert deliver(mailbox, 1).classification == "genuine"
    # Another process saves the mailbox: its signal writes a new token; ours never ran here.
    Mailbox.objects.filter(pk=mailbox.pk).update(own_addresses="@bottega.example")
    MailboxesVersion.objects.filter(pk=mailboxes.VERSION_ID).update(token=12345)
    assert deliver(mailbox, 2).classification == "automatic"


def test_a_rolled_back_change_is_never_taken_for_the_current_list(mailbox):
    assert mailboxes.all_mailboxes() == (mailbox,)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        Mailbox.objects.create(address=ORDERS)
        assert [m.address for m in mailboxes.all_mailboxes()] == [mailbox.address, ORDERS]
        raise Undo
    assert mailboxes.all_mailboxes() == (mailbox,)
    assert deliver(mailbox, 1).classification == "genuine"
