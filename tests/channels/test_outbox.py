"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): a reply goes out once, threaded,
through outages, refusals, crashes and races. Huey runs immediately; the sweeper is called
directly and time moves with clock.frozen_at, never by sleeping."""

import datetime
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse

from premura.channels import outbox
from premura.channels.email import smtp
from premura.channels.models import (
    AttemptResult,
    EmailDeliveryAttempt,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
)
from premura.conversations import services
from premura.conversations.models import Case, Message
from premura.core import clock
from premura.core.models import Channel
from premura.shop.queries import shop_settings
from tests.factories.conversations import make_case


@pytest.fixture
def case(customer):
    return make_case(
        customer,
        subject="Dov'è il mio pacco?",
        external_id="<CAF=first@mail.gmail.com>",
    )


def _reply(case, agent, body="Il pacco arriverà domani."):
    """An agent's reply as the console sends it: reply and outbox row in one transaction."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        message = services.reply(locked, agent, body)
        row = outbox.reply_by_email(locked, message)
    return message, row


def _later(row, **delta):
    return clock.frozen_at(row.next_attempt_at + datetime.timedelta(seconds=1, **delta))


@pytest.mark.django_db(transaction=True)
def test_a_console_reply_goes_out_once_threaded_and_signed(client, agent, customer, case, smtp_mailbox, peer):
    shop = shop_settings()
    shop.legal_footer = "Bottega Premura srl, via Roma 1, Milano"
    shop.save()
    in_atomic_during_smtp = []
    real_send = smtp.send

    def watching_send(*args, **kwargs):
        in_atomic_during_smtp.append(transaction.get_connection().in_atomic_block)
        return real_send(*args, **kwargs)

    client.force_login(agent.user)
    with mock.patch.object(smtp, "send", watching_send):
        response = client.post(
            reverse("console:case_reply", args=[case.pk]), {"body": "Il pacco arriverà domani."}
        )
    assert response.status_code == 302
    # Delivered by the doorbell after the commit, with no transaction open around SMTP.
    assert in_atomic_during_smtp == [False]
    assert len(peer.received) == 1
    received = peer.received[0]
    row = OutboundEmail.objects.get()
    assert received.mail_from == "assistenza@bottega.example"
    assert received.rcpt_tos == ["anna.colombo@example.it"]
    mail = received.message
    assert mail["From"] == "Marco Rossi <assistenza@bottega.example>"
    assert mail["To"] == "anna.colombo@example.it"
    assert mail["Reply-To"] == f"assistenza+{outbox.plus_token(case.pk)}@bottega.example"
    assert mail["Subject"] == f"Re: Dov'è il mio pacco? [#{case.pk}]"
    assert mail["Message-ID"] == row.message_id_header
    assert row.message_id_header.endswith("@bottega.example>")
    assert mail["In-Reply-To"] == "<CAF=first@mail.gmail.com>"
    assert mail["References"] == "<CAF=first@mail.gmail.com>"
    assert mail["Date"] is not None
    assert mail["Auto-Submitted"] is None
    assert received.text == (
        "Il pacco arriverà domani.\n\nMarco Rossi\nServizio clienti Bottega Premura\n\n"
        "-- \nBottega Premura srl, via Roma 1, Milano\n"
    )
    row.refresh_from_db()
    assert (row.status, row.attempts, row.reclaimed_count) == (OutboundStatus.SENT, 1, 0)
    assert row.smtp_response == "250 2.0.0 Ok: queued as PEER1"
    assert row.message == Message.objects.get(case=case, direction="outbound")
    [attempt] = EmailDeliveryAttempt.objects.all()
    assert (attempt.number, attempt.result, attempt.server_answer) == (
        1,
        AttemptResult.SENT,
        row.smtp_response,
    )
    assert attempt.finished_at is not None
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'data-delivery="sent"' in html
    assert "Inviata per e-mail a anna.colombo@example.it" in html

    # The sweeper never sends a sent row again.
    with _later(row, hours=1):
        assert outbox.deliver_due() == 0
    assert outbox.deliver(row.pk) == OutboundStatus.SENT
    assert len(peer.received) == 1

    # The second reply threads under the customer's mail and our first reply; one token only.
    Case.objects.filter(pk=case.pk).update(subject=f"Re: Re: Dov'è il mio pacco? [#{case.pk}]")
    case.refresh_from_db()
    with mock.patch.object(smtp, "send", watching_send):
        client.post(reverse("console:case_reply", args=[case.pk]), {"body": "Ecco il tracking."})
    assert len(peer.received) == 2
    second = peer.received[1].message
    assert second["Subject"] == f"Re: Re: Dov'è il mio pacco? [#{case.pk}]"
    assert second["In-Reply-To"] == row.message_id_header
    # (Folded over two lines on the wire, as RFC 5322 allows for a long header.)
    assert second["References"].split() == ["<CAF=first@mail.gmail.com>", row.message_id_header]
    assert second["Message-ID"] != row.message_id_header


def test_a_reply_through_the_api_goes_out_by_e_mail(
    agent, case, smtp_mailbox, peer, django_capture_on_commit_callbacks
):
    from tests.api.conftest import client_for

    api = client_for(agent.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Risposta via API."})
    assert response.status_code == 201
    row = OutboundEmail.objects.get()
    assert (row.kind, row.status, row.message_id) == (
        OutboundKind.REPLY,
        OutboundStatus.SENT,
        response.json()["id"],
    )
    assert len(peer.received) == 1
    assert peer.received[0].text.startswith("Risposta via API.\n\nMarco Rossi")


def test_an_internal_note_chat_case_or_customer_without_address_sends_no_mail(
    agent, customer, other_customer, smtp_mailbox, peer
):
    case = make_case(customer)
    with transaction.atomic():
        services.add_note(case, agent, "Solo per noi.")
    chat = make_case(customer, channel=Channel.CHAT)
    assert _reply(chat, agent)[1] is None
    other_customer.identities.all().delete()
    silent = make_case(other_customer)
    assert _reply(silent, agent)[1] is None
    assert OutboundEmail.objects.count() == 0
    assert outbox.deliver_due() == 0
    assert peer.received == []


def test_a_web_form_case_is_answered_by_e_mail(agent, customer, smtp_mailbox, peer):
    case = make_case(customer, channel=Channel.WEB_FORM)
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == OutboundStatus.SENT
    assert peer.received[0].rcpt_tos == ["anna.colombo@example.it"]
    assert row.in_reply_to == ""  # a web form has no Message-ID to answer
    assert "In-Reply-To" not in peer.received[0].message


def test_the_same_notice_is_queued_once(agent, case, smtp_mailbox):
    message, row = _reply(case, agent)
    assert outbox.reply_by_email(case, message) == row
    again = outbox.send(case, OutboundKind.REPLY, message=message, subject="x", body="y")
    assert again.pk == row.pk
    assert OutboundEmail.objects.count() == 1
    assert again.subject == f"Re: Dov'è il mio pacco? [#{case.pk}]"


def test_without_an_smtp_server_the_reply_stays_queued_and_shows_not_sent(client, agent, customer, settings):
    settings.EMAIL_HOST = ""
    case = make_case(customer)
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == "no_server"
    with _later(row, hours=2):
        assert outbox.deliver_due() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.QUEUED, 0)
    assert row.from_address == "assistenza@localhost"  # DEFAULT_FROM_EMAIL, no mailbox
    assert EmailDeliveryAttempt.objects.count() == 0
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'data-delivery="queued"' in html
    assert "In coda per anna.colombo@example.it, non ancora inviata" in html


def test_the_installation_s_email_host_is_used_when_the_mailbox_names_none(agent, customer, peer, settings):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = peer.port
    settings.EMAIL_USE_TLS = False
    case = make_case(customer)
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == OutboundStatus.SENT
    assert peer.received[0].message["From"] == "Marco Rossi <assistenza@localhost>"


def test_the_server_down_then_back_delivers_once(agent, case, smtp_mailbox, peer):
    peer.stop()
    _message, row = _reply(case, agent)
    start = clock.now()
    with mock.patch("premura.channels.outbox.random.uniform", return_value=1.0):
        assert outbox.deliver(row.pk) == OutboundStatus.RETRY_WAIT
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError")
    assert (
        start + datetime.timedelta(seconds=59)
        < row.next_attempt_at
        < clock.now() + datetime.timedelta(seconds=61)
    )
    [attempt] = EmailDeliveryAttempt.objects.all()
    assert attempt.result == AttemptResult.TRANSIENT
    # Not due yet: the sweeper leaves it.
    assert outbox.deliver_due() == 0
    assert EmailDeliveryAttempt.objects.count() == 1

    peer.start()
    with _later(row):
        assert outbox.deliver_due() == 1
        assert outbox.deliver_due() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 2, "")
    assert len(peer.received) == 1
    assert peer.received[0].message["Message-ID"] == row.message_id_header


def test_a_server_that_goes_down_and_comes_back_twice_gets_every_row_exactly_once(
    agent, customer, smtp_mailbox, peer
):
    peer.stop()
    rows = [_reply(make_case(customer, subject=f"Ordine {n}"), agent)[1] for n in range(5)]
    for row in rows:  # the doorbells ring while the server is down
        assert outbox.deliver(row.pk) == OutboundStatus.RETRY_WAIT
    start = clock.now()

    peer.start()
    with clock.frozen_at(start + datetime.timedelta(minutes=3)):
        assert outbox.deliver_due(batch=2) == 2  # the sweep is cut short: the server goes again
    peer.stop()
    with clock.frozen_at(start + datetime.timedelta(minutes=4)):
        assert outbox.deliver_due() == 0
    assert OutboundEmail.objects.filter(status=OutboundStatus.RETRY_WAIT, attempts=2).count() == 3

    peer.start()
    with clock.frozen_at(start + datetime.timedelta(minutes=30)):
        assert outbox.deliver_due() == 3
    with clock.frozen_at(start + datetime.timedelta(days=1)):
        assert outbox.deliver_due() == 0
    received = sorted(mail.message["Message-ID"] for mail in peer.received)
    assert received == sorted(row.message_id_header for row in rows)
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundStatus.SENT}


def test_a_dropped_connection_after_the_data_is_retried(agent, case, smtp_mailbox, peer):
    peer.recorder.drop_after_data = True
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == OutboundStatus.RETRY_WAIT
    row.refresh_from_db()
    assert row.last_error.startswith("SMTPServerDisconnected")
    peer.recorder.drop_after_data = False
    with _later(row):
        assert outbox.deliver_due() == 1
    assert len(peer.received) == 1


def test_retries_back_off_exponentially_and_are_bounded(agent, case, smtp_mailbox, peer):
    peer.recorder.data_answer = "451 4.3.0 Try again later"
    _message, row = _reply(case, agent)
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        row.refresh_from_db()
        with _later(row):
            before = clock.now()
            with mock.patch("premura.channels.outbox.random.uniform", return_value=1.0):
                outbox.deliver(row.pk)
        row.refresh_from_db()
        waits.append(row.next_attempt_at - before)
    assert waits[:4] == [datetime.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[8] == datetime.timedelta(hours=4)  # capped
    assert (row.status, row.attempts) == (OutboundStatus.FAILED, outbox.MAX_ATTEMPTS)
    assert row.last_error == "No delivery after 10 attempts; last answer: 451 4.3.0 Try again later"
    with _later(row, days=1):
        assert outbox.deliver_due() == 0
    assert EmailDeliveryAttempt.objects.filter(result=AttemptResult.TRANSIENT).count() == 10
    assert peer.received == []


def test_the_jitter_stays_within_a_quarter(monkeypatch):
    assert outbox.retry_delay(3) >= datetime.timedelta(minutes=3)
    assert outbox.retry_delay(3) <= datetime.timedelta(minutes=5)


def test_a_permanent_refusal_fails_with_the_reason_on_the_case_page(client, agent, case, smtp_mailbox, peer):
    peer.recorder.rcpt_answer = "550 5.1.1 <anna.colombo@example.it>: mailbox unavailable"
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == OutboundStatus.FAILED
    row.refresh_from_db()
    assert row.last_error == "550 5.1.1 <anna.colombo@example.it>: mailbox unavailable"
    assert EmailDeliveryAttempt.objects.get().result == AttemptResult.PERMANENT
    with _later(row, days=1):
        assert outbox.deliver_due() == 0
    assert outbox.deliver(row.pk) == OutboundStatus.FAILED
    assert EmailDeliveryAttempt.objects.count() == 1
    assert peer.received == []
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'data-delivery="failed"' in html
    reason = "550 5.1.1 &lt;anna.colombo@example.it&gt;: mailbox unavailable"
    assert f"Non consegnata a anna.colombo@example.it: {reason}" in html


def test_a_crash_after_the_server_took_the_mail_resends_it_with_the_same_message_id(
    agent, case, smtp_mailbox, peer
):
    _message, row = _reply(case, agent)
    crash = mock.patch.object(outbox, "_record_sent", side_effect=RuntimeError("worker killed"))
    with crash, pytest.raises(RuntimeError):
        outbox.deliver(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENDING, 1)
    assert len(peer.received) == 1
    # While the claim holds, nobody else sends it (the worker may just be slow).
    with clock.frozen_at(row.next_attempt_at - datetime.timedelta(seconds=1)):
        assert outbox.deliver_due() == 0
    assert len(peer.received) == 1

    with _later(row):
        assert outbox.deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.reclaimed_count) == (OutboundStatus.SENT, 2, 1)
    assert len(peer.received) == 2
    first, second = (received.message for received in peer.received)
    assert first["Message-ID"] == second["Message-ID"] == row.message_id_header
    assert peer.received[0].raw == peer.received[1].raw  # the very same mail, Date included
    assert list(EmailDeliveryAttempt.objects.values_list("number", "result")) == [
        (1, AttemptResult.ABANDONED),
        (2, AttemptResult.SENT),
    ]


def test_two_workers_delivering_the_same_row_send_it_once(agent, case, smtp_mailbox, peer):
    _message, row = _reply(case, agent)
    real_server_for = outbox.smtp_server_for
    second_worker = []
    calls = []

    def interleaved(mailbox):
        # Worker A has read the row as queued; worker B runs its whole delivery now.
        calls.append(mailbox)
        if len(calls) == 1:
            second_worker.append(outbox.deliver(row.pk))
        return real_server_for(mailbox)

    with mock.patch.object(outbox, "smtp_server_for", interleaved):
        first_worker = outbox.deliver(row.pk)
    assert second_worker == [OutboundStatus.SENT]
    assert first_worker == "taken"
    assert len(peer.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 1)
    assert EmailDeliveryAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "hostile",
    [
        "Pacco\r\nBcc: evil@attacker.example",
        "=?utf-8?q?Pacco=0D=0ABcc:_evil@attacker.example?=",
        "=?utf-8?b?UGFjY28NCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?=",
        # An encoded word that decodes to another encoded word that decodes to CR/LF.
        "=?utf-8?q?=3D=3Futf-8=3Fq=3FPacco=3D0D=3D0ABcc:_evil@attacker.example=3F=3D?=",
    ],
)
def test_a_subject_or_name_cannot_inject_a_header(agent, customer, smtp_mailbox, peer, hostile):
    case = make_case(customer)
    Case.objects.filter(pk=case.pk).update(subject=hostile)
    case.refresh_from_db()
    agent.display_name = hostile
    agent.save(update_fields=["display_name"])
    _message, row = _reply(case, agent)
    assert outbox.deliver(row.pk) == OutboundStatus.SENT
    [received] = peer.received
    assert received.rcpt_tos == ["anna.colombo@example.it"]
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
    assert sorted(names) == sorted(
        [
            b"From",
            b"To",
            b"Reply-To",
            b"Subject",
            b"Date",
            b"Message-ID",
            b"Content-Type",
            b"Content-Transfer-Encoding",
            b"MIME-Version",
        ]
    )
    assert b"\nBcc" not in received.raw
    mail = received.message
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert "Pacco" in mail["Subject"] and f"[#{case.pk}]" in mail["Subject"]
    assert mail["From"].addresses[0].addr_spec == "assistenza@bottega.example"
