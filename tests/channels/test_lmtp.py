"""The LMTP listener, driven by smtplib.LMTP as Postfix would drive it."""

import smtplib

import pytest
from django.db import transaction

from premura.channels import lmtp
from premura.channels.inbound import accept_inbound
from premura.channels.management.commands.lmtp import parse_bind
from premura.channels.models import InboundEmail, Mailbox
from tests.channels.mail import message


@pytest.fixture
def mailbox(transactional_db):
    return Mailbox.objects.create(address="assistenza@bottega.example", plus_addressing=True)


def deliver(controller, raw: bytes, recipients: list[str], sender: str = "anna@example.it") -> list[int]:
    """One LMTP transaction; the codes of the RCPTs that were refused, then one DATA answer per
    accepted recipient (RFC 2033), in order."""
    client = smtplib.LMTP(controller.hostname, controller.port)
    try:
        assert client.ehlo()[0] == 250  # smtplib.LMTP sends LHLO for ehlo()
        assert client.mail(sender)[0] == 250
        accepted, codes = [], []
        for rcpt in recipients:
            code, _ = client.rcpt(rcpt)
            if code == 250:
                accepted.append(rcpt)
            else:
                codes.append(code)
        if accepted:
            codes.append(client.data(raw)[0])
            codes += [client.getreply()[0] for _ in accepted[1:]]
        client.quit()
        return codes
    finally:
        client.close()


def test_a_message_is_answered_250_once_committed(start_lmtp, mailbox):
    controller = start_lmtp()
    assert deliver(controller, message(), ["assistenza@bottega.example"]) == [250]
    row = InboundEmail.objects.get()
    assert (row.mailbox, row.source, row.message_id) == (mailbox, "lmtp", "ordine-1@anna.example")
    assert row.envelope_sender == "anna@example.it"
    assert row.envelope_recipients == ["assistenza@bottega.example"]
    # smtplib and aiosmtpd keep the bytes: CRLF lines, dot-stuffing undone.
    assert bytes(row.raw) == message()


def test_dot_stuffed_lines_are_stored_as_written(start_lmtp, mailbox):
    raw = message(body=".signature line\r\n..two dots\r\n.")
    deliver(start_lmtp(), raw, ["assistenza@bottega.example"])
    assert bytes(InboundEmail.objects.get().raw) == raw


def test_nothing_is_answered_250_that_was_not_committed(start_lmtp, mailbox, monkeypatch):
    """Storing fails at commit time: the server says 451 (try later), so the MTA keeps the mail."""

    def stored_then_rolled_back(*args, **kwargs):
        with transaction.atomic():
            accept_inbound(*args, **kwargs)
            raise RuntimeError("disk full at commit")

    monkeypatch.setattr(lmtp, "accept_inbound", stored_then_rolled_back)
    assert deliver(start_lmtp(), message(), ["assistenza@bottega.example"]) == [451]
    assert InboundEmail.objects.count() == 0


def test_unknown_and_inactive_recipients_are_refused_at_rcpt(start_lmtp, mailbox):
    Mailbox.objects.create(address="chiusa@bottega.example", is_active=False)
    controller = start_lmtp()
    client = smtplib.LMTP(controller.hostname, controller.port)
    client.ehlo()
    client.mail("anna@example.it")
    assert client.rcpt("nessuno@bottega.example")[0] == 550
    assert client.rcpt("chiusa@bottega.example")[0] == 550
    assert client.rcpt("not-an-address")[0] in (550, 553)
    with pytest.raises(smtplib.SMTPDataError) as refused:  # no valid recipient: no DATA
        client.data(message())
    assert refused.value.smtp_code == 503
    client.quit()
    assert InboundEmail.objects.count() == 0


def test_plus_addressing_reaches_the_mailbox_only_when_it_allows_it(start_lmtp, mailbox):
    Mailbox.objects.create(address="resi@bottega.example", plus_addressing=False)
    controller = start_lmtp()
    codes = deliver(
        controller, message(), ["resi+abc123@bottega.example", "Assistenza+abc123@Bottega.example"]
    )
    assert codes == [550, 250]
    row = InboundEmail.objects.get()
    assert row.mailbox == mailbox
    assert row.envelope_recipients == ["Assistenza+abc123@Bottega.example"]


def test_lmtp_answers_once_per_recipient_and_stores_once_per_mailbox(start_lmtp, mailbox):
    other = Mailbox.objects.create(address="resi@bottega.example")
    codes = deliver(
        start_lmtp(),
        message(None),  # no Message-ID: only grouping by mailbox keeps it to one row per mailbox
        ["assistenza@bottega.example", "resi@bottega.example", "assistenza+c42@bottega.example"],
    )
    assert codes == [250, 250, 250]
    rows = {row.mailbox: row.envelope_recipients for row in InboundEmail.objects.all()}
    assert rows == {
        mailbox: ["assistenza@bottega.example", "assistenza+c42@bottega.example"],
        other: ["resi@bottega.example"],
    }


def test_the_same_message_id_delivered_twice_is_stored_once(start_lmtp, mailbox):
    controller = start_lmtp()
    assert deliver(controller, message(), ["assistenza@bottega.example"]) == [250]
    # The MTA lost our 250 and delivers again: 250 again, nothing new stored.
    assert deliver(controller, message(), ["assistenza@bottega.example"]) == [250]
    assert InboundEmail.objects.count() == 1


def test_a_message_over_the_size_limit_is_refused_552(start_lmtp, mailbox, settings):
    settings.EMAIL_MAX_MESSAGE_BYTES = 2000
    controller = start_lmtp()
    client = smtplib.LMTP(controller.hostname, controller.port)
    client.ehlo()
    assert client.has_extn("size") and client.esmtp_features["size"] == "2000"
    # Declared in MAIL FROM (Postfix does): refused before the data.
    assert client.mail("anna@example.it", ["SIZE=5000"])[0] == 552
    client.rset()
    # Not declared: the data is read, thrown away, refused.
    client.mail("anna@example.it")
    client.rcpt("assistenza@bottega.example")
    assert client.data(message(body=("x" * 70 + "\r\n") * 50))[0] == 552
    client.quit()
    assert InboundEmail.objects.count() == 0


def test_a_listener_restart_mid_message_loses_nothing_and_stores_once(start_lmtp, mailbox):
    first = start_lmtp()
    client = smtplib.LMTP(first.hostname, first.port)
    client.ehlo()
    client.mail("anna@example.it")
    client.rcpt("assistenza@bottega.example")
    client.putcmd("data")
    assert client.getreply()[0] == 354
    client.send(message()[:60])
    first.stop()  # the listener goes down with half a message: no 250, so the MTA keeps it
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.send(message()[60:] + b"\r\n.\r\n")
        client.getreply()
    client.close()
    assert InboundEmail.objects.count() == 0

    second = start_lmtp()  # back up; the MTA retries the whole message
    assert deliver(second, message(), ["assistenza@bottega.example"]) == [250]
    second.stop()
    third = start_lmtp()  # a retry of an already answered message after another restart
    assert deliver(third, message(), ["assistenza@bottega.example"]) == [250]
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == message()


@pytest.mark.parametrize(
    ("bind", "expected"),
    [("127.0.0.1:8024", ("127.0.0.1", 8024)), ("[::1]:24", ("::1", 24)), ("0.0.0.0:2525", ("0.0.0.0", 2525))],
)
def test_bind_is_host_and_port(bind, expected):
    assert parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["8024", "127.0.0.1:", ":8024", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_bind_is_refused(bind):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        parse_bind(bind)
