"""IMAP polling against a real Dovecot: every message stored once, across polls, crashes and a
rebuilt folder, and the server's mail left as it was."""

import imaplib

import pytest
from django.core.management import call_command
from django.db import transaction

from premura.channels import imap
from premura.channels.inbound import accept_inbound
from premura.channels.models import ImapCheckpoint, InboundEmail
from premura.channels.tasks import poll_imap_task
from tests.channels.mail import message


@pytest.fixture
def mailbox(db, dovecot):
    return dovecot.mailbox()


def stored() -> list[tuple[int, str]]:
    return list(InboundEmail.objects.order_by("imap_uid").values_list("imap_uid", "message_id"))


def checkpoint(mailbox) -> tuple[int, int]:
    row = ImapCheckpoint.objects.get(mailbox=mailbox, folder="INBOX")
    return row.uidvalidity, row.last_uid


def server_uidvalidity(dovecot) -> int:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(dovecot.user, dovecot.password)
    client.select("INBOX", readonly=True)
    value = int(client.response("UIDVALIDITY")[1][-1])
    client.logout()
    return value


def test_a_poll_stores_the_exact_bytes_and_the_next_only_what_is_new(dovecot, mailbox):
    first = message("<uno@anna.example>", body="Primo messaggio, con un euro: €")
    dovecot.append(first)
    dovecot.append(message("<due@anna.example>"))

    assert imap.poll_mailbox(mailbox) == 2
    assert stored() == [(1, "uno@anna.example"), (2, "due@anna.example")]
    row = InboundEmail.objects.get(imap_uid=1)
    assert (row.source, row.state, bytes(row.raw)) == ("imap", "received", first)
    assert checkpoint(mailbox) == (server_uidvalidity(dovecot), 2)

    assert imap.poll_mailbox(mailbox) == 0
    dovecot.append(message("<tre@anna.example>"))
    dovecot.append(message(None, subject="senza Message-ID"))
    assert imap.poll_mailbox(mailbox) == 2
    assert stored() == [(1, "uno@anna.example"), (2, "due@anna.example"), (3, "tre@anna.example"), (4, "")]
    assert checkpoint(mailbox)[1] == 4


def test_the_server_s_mail_is_left_unread_and_in_place(dovecot, mailbox):
    dovecot.append(message())
    imap.poll_mailbox(mailbox)
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(dovecot.user, dovecot.password)
    _, exists = client.select("INBOX", readonly=True)
    typ, data = client.uid("FETCH", "1", "(FLAGS)")
    client.logout()
    assert exists == [b"1"]
    assert typ == "OK"
    flags = data[0].partition(b"FLAGS (")[2].rstrip(b")").split()
    assert [flag for flag in flags if flag != b"\\Recent"] == []  # not \Seen, not \Deleted


def test_a_crash_between_fetch_and_commit_stores_the_message_once_on_the_next_poll(
    dovecot, mailbox, monkeypatch
):
    dovecot.append(message("<uno@anna.example>"))
    dovecot.append(message(None, subject="il secondo, senza Message-ID"))
    dovecot.append(message("<tre@anna.example>"))
    calls = []

    def crash_on_the_second(*args, **kwargs):
        calls.append(kwargs["imap_uid"])
        row = accept_inbound(*args, **kwargs)  # written, but the commit never comes
        if len(calls) == 2:
            raise SystemExit("worker killed before the commit")
        return row

    monkeypatch.setattr(imap, "accept_inbound", crash_on_the_second)
    with pytest.raises(SystemExit):
        imap.poll_mailbox(mailbox)
    assert calls == [1, 2]
    assert stored() == [(1, "uno@anna.example")]
    assert checkpoint(mailbox)[1] == 1

    monkeypatch.undo()
    assert imap.poll_mailbox(mailbox) == 2
    # The message without Message-ID too: the checkpoint, not dedupe, kept it to one copy.
    assert stored() == [(1, "uno@anna.example"), (2, ""), (3, "tre@anna.example")]
    assert imap.poll_mailbox(mailbox) == 0
    assert InboundEmail.objects.count() == 3


def test_a_changed_uidvalidity_reads_the_folder_again_and_keeps_each_message_once(dovecot, mailbox):
    dovecot.append(message("<uno@anna.example>"))
    imap.poll_mailbox(mailbox)
    # The server rebuilt the folder: our checkpoint's UIDVALIDITY is no longer the server's.
    ImapCheckpoint.objects.filter(mailbox=mailbox).update(uidvalidity=1, last_uid=99)
    dovecot.append(message("<due@anna.example>"))

    assert imap.poll_mailbox(mailbox) == 1
    assert stored() == [(1, "uno@anna.example"), (2, "due@anna.example")]
    assert checkpoint(mailbox) == (server_uidvalidity(dovecot), 2)


def test_a_second_poller_at_the_same_time_stops_instead_of_storing_twice(dovecot, mailbox, monkeypatch):
    dovecot.append(message(None, subject="uno"))
    dovecot.append(message(None, subject="due"))
    real_fetch = imap.fetch_raw

    def other_poller_stores_first(client, uid):
        raw = real_fetch(client, uid)
        if uid == 1:  # the other poller committed uid 1 while this one was fetching it
            with transaction.atomic():
                accept_inbound(mailbox, raw, source="imap", imap_uid=1)
                ImapCheckpoint.objects.filter(mailbox=mailbox).update(last_uid=1)
        return raw

    monkeypatch.setattr(imap, "fetch_raw", other_poller_stores_first)
    with pytest.raises(imap.ConcurrentPoll):
        imap.poll_mailbox(mailbox)
    assert stored() == [(1, "")]

    monkeypatch.undo()
    assert imap.poll_mailbox(mailbox) == 1
    assert stored() == [(1, ""), (2, "")]


def test_a_failing_mailbox_is_recorded_and_the_others_still_polled(dovecot, mailbox):
    broken = dovecot.mailbox("resi@bottega.example", imap_password="sbagliata")
    dovecot.append(message())

    results = imap.poll_all()

    assert [(r.address, r.stored) for r in results] == [
        ("assistenza@bottega.example", 1),
        ("resi@bottega.example", 0),
    ]
    assert results[0].error == ""
    assert results[1].error.startswith("MailboxLoginError")
    assert ImapCheckpoint.objects.get(mailbox=broken).last_error == results[1].error
    assert ImapCheckpoint.objects.get(mailbox=mailbox).last_error == ""
    assert InboundEmail.objects.get().mailbox == mailbox


def test_lmtp_and_inactive_mailboxes_are_not_polled(dovecot, mailbox):
    dovecot.mailbox("vecchia@bottega.example", is_active=False)
    dovecot.mailbox("lmtp@bottega.example", inbound_mode="lmtp")
    dovecot.append(message())
    assert [r.address for r in imap.poll_all()] == ["assistenza@bottega.example"]


def test_the_worker_task_and_the_command_poll(dovecot, mailbox, capsys):
    dovecot.append(message("<uno@anna.example>"))
    assert poll_imap_task.call_local() == 1
    dovecot.append(message("<due@anna.example>"))
    call_command("poll_imap", "--once")
    assert capsys.readouterr().out == "assistenza@bottega.example: 1 new\n"
    assert stored() == [(1, "uno@anna.example"), (2, "due@anna.example")]
