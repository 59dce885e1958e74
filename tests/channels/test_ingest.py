"""Inbound mail into cases (channels.ingest): threading rules one by one, then end to end through
the real LMTP listener with the corpus."""

import datetime
import smtplib

import pytest

from premura.channels import ingest, outbox
from premura.channels.email.parse import parse_message
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, InboundState, Mailbox, OutboundEmail, OutboundKind
from premura.conversations.models import Case, CaseStatus, Message
from premura.conversations.services import change_status, reply
from premura.core import clock
from premura.core.audit import events_for
from premura.customers.models import Customer
from tests.channels.email_fixtures import raw as corpus
from tests.factories.conversations import make_case


def mail(
    *,
    sender: str = "Anna Colombo <anna.colombo@example.it>",
    to: str = "assistenza@bottega.example",
    subject: str = "Il mio ordine",
    message_id: str = "<m1@anna.example>",
    in_reply_to: str = "",
    references: str = "",
    body: str = "Buongiorno, dov'è il mio pacco?",
    extra: tuple[str, ...] = (),
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Message-ID: {message_id}"]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += list(extra)
    lines += ["Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode("utf-8")


def parsed(raw: bytes):
    return parse_message(raw, attachment_max_bytes=1024 * 1024)


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(
        address="assistenza@bottega.example", plus_addressing=True, default_team=team
    )


@pytest.fixture
def case(customer):
    return make_case(customer, external_id="first@anna.example")


def queue_reply(case: Case, agent) -> OutboundEmail:
    message = reply(case, agent, "Il pacco è in viaggio.")
    return outbox.reply_by_email(case, message)


# --- find_case, one test per rule -------------------------------------------------------------


def test_references_to_our_outbound_message_id_thread(mailbox, case, agent):
    sent = queue_reply(case, agent)
    other = make_case(case.customer, subject="Altro")
    found = ingest.find_case(
        parsed(mail(subject=f"Re: [#{other.pk}] Altro", in_reply_to=sent.message_id_header)), mailbox, []
    )
    assert found == ingest.Thread(case, "references")


def test_references_to_the_customers_own_earlier_message_thread(mailbox, case):
    # The newest reference that we know wins; unknown ids are skipped.
    found = ingest.find_case(
        parsed(mail(references="<unknown@x.example> <first@anna.example> <unknown2@x.example>")), mailbox, []
    )
    assert found == ingest.Thread(case, "references")


def test_plus_address_threads_with_a_valid_token_only(mailbox, case):
    token = outbox.plus_token(case.pk)
    found = ingest.find_case(parsed(mail()), mailbox, [f"assistenza+{token}@bottega.example"])
    assert found == ingest.Thread(case, "plus_address")
    # In To as well, any case.
    found = ingest.find_case(parsed(mail(to=f"ASSISTENZA+{token}@Bottega.example")), mailbox, [])
    assert found == ingest.Thread(case, "plus_address")
    # A guessed token, or a mailbox without plus addressing: no thread.
    assert (
        ingest.find_case(parsed(mail()), mailbox, [f"assistenza+{case.pk}-0000000000@bottega.example"]).how
        == "new"
    )
    mailbox.plus_addressing = False
    assert ingest.find_case(parsed(mail()), mailbox, [f"assistenza+{token}@bottega.example"]).how == "new"


def test_subject_token_threads_only_from_the_cases_customer(mailbox, case, other_customer):
    assert ingest.find_case(parsed(mail(subject=f"Re: Ordine [#{case.pk}]")), mailbox, []) == ingest.Thread(
        case, "subject_token"
    )
    stranger = ingest.find_case(
        parsed(mail(sender="bruno.ferri@example.it", subject=f"Re: Ordine [#{case.pk}]")), mailbox, []
    )
    assert stranger == ingest.Thread(None, "new", linked=case)
    unknown = ingest.find_case(parsed(mail(sender="x@nowhere.example", subject=f"[#{case.pk}]")), mailbox, [])
    assert unknown == ingest.Thread(None, "new", linked=case)


def test_a_bare_number_never_threads(mailbox, case):
    for subject in (f"Ordine #{case.pk}", f"n. {case.pk}", f"pratica {case.pk}"):
        found = ingest.find_case(
            parsed(mail(subject=subject, body=f"Vedi #{case.pk} [#{case.pk}]")), mailbox, []
        )
        assert found == ingest.Thread(None, "new")


def test_same_customer_new_subject_naming_their_order_joins_its_open_case(
    mailbox, customer, anna_order, bruno_order
):
    on_order = make_case(customer, order=anna_order)
    found = ingest.find_case(parsed(mail(subject="Ancora sull'ordine PRM-100001")), mailbox, [])
    assert found == ingest.Thread(on_order, "order")
    assert ingest.find_case(parsed(mail(subject="ordine 100001, novità?")), mailbox, []).case == on_order
    # Someone else's order, a longer number, or the case solved: a new case.
    assert ingest.find_case(parsed(mail(subject="Ordine PRM-100002")), mailbox, []).how == "new"
    assert ingest.find_case(parsed(mail(subject="Ordine 1000011")), mailbox, []).how == "new"
    change_status(on_order, CaseStatus.SOLVED)
    assert ingest.find_case(parsed(mail(subject="Ordine PRM-100001")), mailbox, []).how == "new"


def test_nothing_matches_a_new_case(mailbox, case):
    assert ingest.find_case(parsed(mail(subject="Una domanda")), mailbox, []) == ingest.Thread(None, "new")


# --- process_inbound ---------------------------------------------------------------------------


def store(mailbox, raw: bytes, **kwargs) -> InboundEmail:
    kwargs.setdefault("envelope_sender", "anna.colombo@example.it")
    row, _ = accept_inbound(mailbox, raw, source="lmtp", **kwargs)
    return row


def test_a_new_mail_opens_a_case_for_a_new_customer(mailbox, team):
    raw = mail(
        sender="=?utf-8?q?Lucia_Bianch=C3=AC?= <Lucia@Example.IT>",
        subject="Reso",
        body="Vorrei fare un reso.\n\nIl giorno ieri Bottega ha scritto:\n> citato",
    )
    row = store(mailbox, raw, envelope_sender="lucia@example.it")
    assert ingest.process_inbound(row.pk) == InboundState.PROCESSED
    row.refresh_from_db()
    case = row.case
    assert (case.subject, case.team, case.channel, case.customer.full_name) == (
        "Reso",
        team,
        "email",
        "Lucia Bianchì",
    )
    assert [i.value for i in case.customer.identities.all()] == ["lucia@example.it"]
    message = case.messages.get(direction="inbound")
    assert (message.body, message.external_id, row.case_message) == (
        "Vorrei fare un reso.",
        "m1@anna.example",
        message,
    )
    assert (row.classification, row.state, row.attempts) == ("genuine", "processed", 1)
    assert message.created_at == row.received_at
    # Processed rows are never processed again.
    assert ingest.process_inbound(row.pk) == ""
    assert Message.objects.filter(direction="inbound").count() == 1


def test_the_message_is_dated_when_we_received_it_not_when_processed(mailbox, customer):
    received = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with clock.frozen_at(received):
        row = store(mailbox, mail(extra=("Date: Mon, 1 Jan 2001 00:00:00 +0000",)))
    with clock.frozen_at(received + datetime.timedelta(hours=2)):
        ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.case_message.created_at == received
    assert row.case.created_at == received
    assert row.processed_at == received + datetime.timedelta(hours=2)


def test_a_reply_from_a_second_address_joins_and_the_agent_is_told(mailbox, case, agent):
    sent = queue_reply(case, agent)
    row = store(
        mailbox, mail(sender="Anna <anna.ufficio@lavoro.example>", in_reply_to=sent.message_id_header)
    )
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.case == case
    assert row.case_message.author_customer == case.customer
    event = events_for(case).get(action="email.unknown_sender")
    assert event.data == {
        "address": "anna.ufficio@lavoro.example",
        "known_customer_id": None,
        "threaded_by": "references",
    }
    assert not Customer.objects.filter(identities__value="anna.ufficio@lavoro.example").exists()


def test_a_stranger_with_the_case_token_opens_a_new_case_linked_to_it(mailbox, case, other_customer):
    row = store(mailbox, mail(sender="bruno.ferri@example.it", subject=f"Re: [#{case.pk}] Il mio ordine"))
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.case != case
    assert row.case.customer == other_customer
    assert events_for(row.case).get(action="case.linked").data["linked_case"] == case.pk
    assert events_for(case).get(action="case.linked").data["linked_case"] == row.case.pk
    assert case.messages.count() == 1


def test_attachments_are_stored_typed_by_their_bytes_and_big_ones_listed(mailbox, customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    row = store(mailbox, corpus("attachment_over_limit.eml"))
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    stored = [(a.filename, a.content_type, a.size) for a in row.case_message.attachments.order_by("pk")]
    assert stored == [
        ("ricevuta_n1.pdf", "application/pdf", 14),
        ("passwd", "application/octet-stream", 10),  # declared text/plain: served as a download
        ("Consegna_fallita.eml", "application/octet-stream", 143),
    ]
    event = events_for(row.case).get(action="email.attachments_not_extracted")
    assert event.data == {
        "message_id": row.case_message.pk,
        "files": [{"filename": "foto grande.jpg", "size": 5120}],
    }


def test_a_mail_without_a_sender_is_kept_as_unreadable(mailbox):
    row = store(
        mailbox, b"To: assistenza@bottega.example\r\nSubject: ?\r\nMessage-ID: <x@y>\r\n\r\ntesto\r\n"
    )
    assert ingest.process_inbound(row.pk) == InboundState.UNREADABLE
    row.refresh_from_db()
    assert (row.state, row.error, row.case) == ("unreadable", "The message has no sender address.", None)
    assert Case.objects.count() == 0


def test_the_same_message_id_in_two_mailboxes_is_one_message(mailbox, customer):
    other = Mailbox.objects.create(address="ordini@bottega.example")
    first, second = store(mailbox, mail()), store(other, mail())
    ingest.process_inbound(first.pk)
    ingest.process_inbound(second.pk)
    second.refresh_from_db()
    assert Message.objects.filter(direction="inbound").count() == 1
    assert (second.state, second.case_message) == ("processed", Message.objects.get(direction="inbound"))


def test_message_id_lookups_use_the_index_not_a_scan_of_every_message(mailbox, case):
    """Filing a reply looks its Message-IDs up among the desk's messages: on SQLite the partial
    unique index on (channel, external_id) serves only a query that repeats its condition, else
    every inbound e-mail scans the whole message table (benchmarks/email_ingest.py found it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    row = store(mailbox, mail(message_id="<m2@anna.example>", in_reply_to="<first@anna.example>"))
    with CaptureQueriesContext(connection) as captured:
        assert ingest.process_inbound(row.pk) == InboundState.PROCESSED
    lookups = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT")
        and 'FROM "conversations_message"' in q["sql"]
        and "external_id" in q["sql"]
    ]
    assert len(lookups) == 2  # the already-filed check and the references rule
    with connection.cursor() as cursor:
        for sql in lookups:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(r[-1]) for r in cursor.fetchall())
            assert "USING INDEX message_channel_external_id_unique" in plan, (sql, plan)


def test_a_row_that_keeps_failing_is_given_up_as_unreadable(mailbox, customer, monkeypatch):
    row = store(mailbox, mail())
    monkeypatch.setattr(ingest, "receive_message", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(ingest, "open_case", lambda *a, **k: 1 / 0)
    step = ingest.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
    start = clock.now()
    for attempt in range(ingest.MAX_ATTEMPTS):
        with clock.frozen_at(start + attempt * step), pytest.raises(ZeroDivisionError):
            ingest.process_inbound(row.pk)
    with clock.frozen_at(start + ingest.MAX_ATTEMPTS * step):
        assert ingest.process_inbound(row.pk) == InboundState.UNREADABLE
    row.refresh_from_db()
    assert (
        row.error
        == f"Gave up after {ingest.MAX_ATTEMPTS} failed attempts: ZeroDivisionError: division by zero"
    )
    assert bytes(row.raw) == mail()


# --- batches (decision 0025) -------------------------------------------------------------------


def test_a_batch_files_every_message_as_one_by_one_filing_would(mailbox, team):
    """One doorbell files whatever arrived: a new sender's two topics (one customer), a reply to
    a message of the same batch, the same Message-ID again from a second mailbox, and an
    out-of-office: each where filing them one at a time would put it."""
    other = Mailbox.objects.create(address="ordini@bottega.example")
    lucia = "Lucia Bianchi <lucia@example.it>"
    rows = [
        store(mailbox, mail(sender=lucia, subject="Reso", message_id="<a1@lucia.example>")),
        store(mailbox, mail(sender=lucia, subject="Fattura", message_id="<a2@lucia.example>")),
        store(
            mailbox,
            mail(
                sender=lucia,
                subject="Re: Reso",
                message_id="<a3@lucia.example>",
                in_reply_to="<a1@lucia.example>",
                body="Dimenticavo lo scontrino.",
            ),
        ),
        store(other, mail(sender=lucia, subject="Fattura", message_id="<a2@lucia.example>")),
        store(
            mailbox,
            mail(
                sender=lucia,
                subject="Risposta automatica: Reso",
                message_id="<a4@lucia.example>",
                in_reply_to="<a1@lucia.example>",
                extra=("Auto-Submitted: auto-replied",),
            ),
        ),
    ]
    assert ingest.process_arrived(rows[0].pk) == len(rows)
    for row in rows:
        row.refresh_from_db()
    assert [row.state for row in rows] == ["processed"] * len(rows)
    reso, fattura, reply_row, again, automatic = rows
    assert Customer.objects.filter(identities__value="lucia@example.it").count() == 1
    assert reso.case != fattura.case
    assert (reply_row.case, reply_row.case_message.body) == (reso.case, "Dimenticavo lo scontrino.")
    assert (again.case, again.case_message) == (fattura.case, fattura.case_message)
    assert (automatic.classification, automatic.case, automatic.case_message) == (
        "automatic",
        reso.case,
        None,
    )
    assert Message.objects.filter(direction="inbound").count() == 3
    acknowledged = OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert sorted(acknowledged.values_list("case_id", flat=True)) == sorted([reso.case_id, fattura.case_id])
    # Their doorbells find nothing left to do.
    assert [ingest.process_arrived(row.pk) for row in rows[1:]] == [0] * (len(rows) - 1)


def test_a_message_that_fails_in_a_batch_is_rolled_back_alone_and_retried_alone(mailbox, monkeypatch):
    real = ingest.open_case

    def fail_on_poison(*args, **kwargs):
        if kwargs["subject"] == "Veleno":
            raise RuntimeError("poison")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "open_case", fail_on_poison)
    first = store(mailbox, mail(sender="a@example.it", subject="Primo", message_id="<b1@x>"))
    poison = store(mailbox, mail(sender="new@example.it", subject="Veleno", message_id="<b2@x>"))
    no_sender = store(
        mailbox, b"To: assistenza@bottega.example\r\nSubject: ?\r\nMessage-ID: <b3@x>\r\n\r\nx\r\n"
    )
    last = store(mailbox, mail(sender="new@example.it", subject="Ultimo", message_id="<b4@x>"))
    assert ingest.process_arrived(first.pk) == 3
    for row in (first, poison, no_sender, last):
        row.refresh_from_db()
    assert [first.state, no_sender.state, last.state] == ["processed", "unreadable", "processed"]
    assert (poison.state, poison.error, poison.case) == ("processing", "RuntimeError: poison", None)
    # Nothing of the poisonous message stayed: not its case, not the customer it created.
    assert list(Case.objects.order_by("pk").values_list("subject", flat=True)) == ["Primo", "Ultimo"]
    assert last.case.customer.full_name == "new"
    monkeypatch.setattr(ingest, "open_case", real)
    with clock.frozen_at(clock.now() + ingest.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)):
        assert ingest.process_waiting() == 1
    poison.refresh_from_db()
    assert (poison.state, poison.attempts, poison.case.customer) == ("processed", 2, last.case.customer)


# --- End to end through the LMTP listener --------------------------------------------------------


@pytest.fixture
def lmtp_mailbox(transactional_db):
    from premura.agents.models import Team

    team = Team.objects.create(name="Assistenza", slug="assistenza")
    return Mailbox.objects.create(
        address="assistenza@bottega.example", plus_addressing=True, default_team=team
    )


def deliver(
    controller, raw: bytes, sender: str = "anna.colombo@example.it", rcpt: str = "assistenza@bottega.example"
) -> int:
    client = smtplib.LMTP(controller.hostname, controller.port)
    try:
        client.ehlo()
        client.mail(sender)
        assert client.rcpt(rcpt)[0] == 250
        code = client.data(raw)[0]
        client.quit()
        return code
    finally:
        client.close()


@pytest.fixture
def anna(transactional_db):
    from tests.factories.customers import CustomerFactory, EmailIdentityFactory

    anna = CustomerFactory(full_name="Anna Colombo", language="it")
    EmailIdentityFactory(customer=anna, value="anna.colombo@example.it")
    return anna


@pytest.fixture
def marco(transactional_db, lmtp_mailbox):
    from tests.factories.agents import make_agent

    return make_agent("marco", "Marco Rossi", team=lmtp_mailbox.default_team)


def acks() -> list[tuple[int, str]]:
    return list(
        OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
        .order_by("pk")
        .values_list("case_id", "to_address")
    )


def test_lmtp_new_mail_opens_a_case_with_the_visible_text(start_lmtp, lmtp_mailbox):
    assert deliver(start_lmtp(), corpus("gmail_it.eml"), sender="mario.rossi@gmail.com") == 250
    row = InboundEmail.objects.get()
    assert row.state == "processed"
    case = row.case
    assert case.customer.full_name == "Mario Rossi"
    assert case.subject == "Re: [#1234] Ordine 10482"
    assert (
        case.messages.get(direction="inbound").body
        == "Buongiorno,\nil pacco non è ancora arrivato, potete verificare?\n\nGrazie\nMario"
    )


def test_lmtp_reply_to_our_reply_joins_and_redelivery_is_one_message(start_lmtp, lmtp_mailbox, anna, marco):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    sent = queue_reply(case, marco)
    answer = mail(
        message_id="<m2@anna.example>",
        subject="Re: Il mio ordine",
        in_reply_to=sent.message_id_header,
        body="Grazie!",
    )
    assert deliver(controller, answer) == 250
    assert deliver(controller, answer) == 250  # the MTA lost our 250 and retries
    assert list(case.messages.filter(direction="inbound").values_list("body", flat=True)) == [
        "Buongiorno, dov'è il mio pacco?",
        "Grazie!",
    ]
    assert InboundEmail.objects.count() == 2
    assert Case.objects.count() == 1
    assert acks() == [(case.pk, "anna.colombo@example.it")]  # the new case's, none for the follow-up


def test_lmtp_a_solved_case_the_customer_reopens_is_acknowledged_again(start_lmtp, lmtp_mailbox, anna, marco):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    sent = queue_reply(case, marco)
    change_status(case, CaseStatus.SOLVED)
    deliver(
        controller, mail(message_id="<m2@anna.example>", in_reply_to=sent.message_id_header, body="Non va")
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert acks() == [(case.pk, "anna.colombo@example.it"), (case.pk, "anna.colombo@example.it")]


def test_lmtp_the_acknowledgement_goes_to_the_reply_to(start_lmtp, lmtp_mailbox):
    raw = mail(
        sender="Lucia <lucia@example.it>", extra=("Reply-To: Lucia Ufficio <lucia.ufficio@example.it>",)
    )
    deliver(start_lmtp(), raw, sender="lucia@example.it")
    assert acks() == [(Case.objects.get().pk, "lucia.ufficio@example.it")]


def test_lmtp_subject_token_from_the_customer_joins_from_a_stranger_opens_a_linked_case(
    start_lmtp, lmtp_mailbox, anna
):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    deliver(
        controller,
        mail(message_id="<m2@anna.example>", subject=f"Nuova domanda [#{case.pk}]", body="Ancora io"),
    )
    assert case.messages.filter(direction="inbound").count() == 2
    deliver(
        controller,
        mail(
            sender="Estraneo <x@altrove.example>", message_id="<m3@x>", subject=f"[#{case.pk}]", body="Ciao"
        ),
        sender="x@altrove.example",
    )
    assert case.messages.filter(direction="inbound").count() == 2
    linked = Case.objects.exclude(pk=case.pk).get()
    assert linked.customer.full_name == "Estraneo"
    assert events_for(linked).get(action="case.linked").data["linked_case"] == case.pk


def test_lmtp_plus_address_reply_joins(start_lmtp, lmtp_mailbox, anna):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    rcpt = f"assistenza+{outbox.plus_token(case.pk)}@bottega.example"
    deliver(
        controller,
        mail(message_id="<m2@anna.example>", subject="Altro oggetto", to=rcpt, body="Di nuovo"),
        rcpt=rcpt,
    )
    assert list(case.messages.filter(direction="inbound").values_list("body", flat=True)) == [
        "Buongiorno, dov'è il mio pacco?",
        "Di nuovo",
    ]


def test_lmtp_out_of_office_to_our_reply_does_not_reopen_a_solved_case(start_lmtp, lmtp_mailbox, anna, marco):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    sent = queue_reply(case, marco)
    change_status(case, CaseStatus.SOLVED)
    ooo = corpus("ooo_it.eml").replace(
        b"Message-ID: <ooo-0@cliente.example>",
        f"Message-ID: <ooo-0@cliente.example>\r\nIn-Reply-To: {sent.message_id_header}".encode(),
    )
    assert deliver(controller, ooo, sender="collega0@cliente.example") == 250
    case.refresh_from_db()
    assert case.status == CaseStatus.SOLVED
    assert case.messages.filter(direction="inbound").count() == 1
    row = InboundEmail.objects.get(message_id="ooo-0@cliente.example")
    assert (row.state, row.classification, row.case, row.case_message) == (
        "processed",
        "automatic",
        case,
        None,
    )
    event = events_for(case).get(action="email.automatic")
    assert event.data["excerpt"] == "Sono fuori sede fino al 10 marzo."
    # The first mail's acknowledgement only: none for the automatic reply.
    assert acks() == [(case.pk, "anna.colombo@example.it")]


def test_lmtp_dsn_bounce_lands_on_the_case_of_the_returned_message(start_lmtp, lmtp_mailbox, anna, marco):
    controller = start_lmtp()
    deliver(controller, mail())
    case = Case.objects.get()
    sent = queue_reply(case, marco)
    dsn = corpus("dsn_multipart_report.eml").replace(
        b"<ack-1234.1@shop.example>", sent.message_id_header.encode()
    )
    assert deliver(controller, dsn, sender="") == 250
    row = InboundEmail.objects.get(message_id="20250305150000.4F2A31C0@mx.shop.example")
    assert (row.classification, row.case) == ("bounce", case)
    event = events_for(case).get(action="email.bounced")
    assert event.data["failed_recipient"] == "mario.rossi@example.it"
    assert event.data["status"] == "5.1.1"
    assert case.messages.filter(direction="inbound").count() == 1


def test_lmtp_unreadable_message_stays_stored(start_lmtp, lmtp_mailbox):
    raw = b"questo non e' un messaggio\r\nsenza intestazioni\r\n"
    assert deliver(start_lmtp(), raw) == 250
    row = InboundEmail.objects.get()
    assert (row.state, bytes(row.raw), row.case) == ("unreadable", raw, None)
    assert row.error


def test_lmtp_crash_in_processing_is_redone_by_the_sweeper_once(start_lmtp, lmtp_mailbox, anna, monkeypatch):
    real = ingest.open_case

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(ingest, "open_case", crash)
    assert deliver(start_lmtp(), mail()) == 250  # stored: the 250 never waits for processing
    row = InboundEmail.objects.get()
    assert (row.state, row.error, Case.objects.count()) == ("processing", "RuntimeError: worker died", 0)
    monkeypatch.setattr(ingest, "open_case", real)
    assert ingest.process_waiting() == 0  # the claim has not expired: maybe still running
    later = clock.now() + ingest.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
    with clock.frozen_at(later):
        assert ingest.process_waiting() == 1
        assert ingest.process_waiting() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == ("processed", 2, "")
    assert Case.objects.get().messages.filter(direction="inbound").count() == 1


def test_lmtp_pec_files_the_inner_message_under_its_sender(start_lmtp, lmtp_mailbox):
    assert deliver(start_lmtp(), corpus("pec_postacert.eml"), sender="posta-certificata@pec.aruba.it") == 250
    row = InboundEmail.objects.get()
    case = row.case
    assert case.customer.full_name == "Avv. Carla Moretti"
    assert [i.value for i in case.customer.identities.all()] == ["carla.moretti@pec.avvocati.example"]
    assert case.subject == "Diffida ordine 10600"
    message = case.messages.get(direction="inbound")
    assert message.external_id == "inner-pec-1@pec.avvocati.example"
    assert message.body == "Con la presente si chiede la restituzione dell'importo di 120 €."


AUTOMATIC_IN_CORPUS = {
    "dsn_multipart_report.eml": "bounce",
    "exim_bounce_text.eml": "bounce",
    "qmail_failure_notice.eml": "bounce",
    "list_mail.eml": "automatic",
    "ooo_de.eml": "automatic",
    "ooo_en.eml": "automatic",
    "ooo_es.eml": "automatic",
    "ooo_fr.eml": "automatic",
    "ooo_it.eml": "automatic",
}


def test_lmtp_the_whole_corpus_lands_once_each_where_it_belongs(start_lmtp, lmtp_mailbox):
    """Every client and quirk of the corpus: genuine mail opens a case whose message is the visible
    text; automatic mail and bounces open nothing; nothing is unreadable."""
    from tests.channels.email_fixtures import FIXTURES

    controller = start_lmtp()
    names = sorted(path.name for path in FIXTURES.glob("*.eml"))
    for name in names:
        sender = "" if AUTOMATIC_IN_CORPUS.get(name) == "bounce" else "someone@example.it"
        assert deliver(controller, corpus(name), sender=sender) == 250, name
    rows = {row.sha256: row for row in InboundEmail.objects.select_related("case_message")}
    assert len(rows) == len(names)
    for name in names:
        raw = corpus(name)
        row = next(r for r in rows.values() if bytes(r.raw) == raw)
        expected = AUTOMATIC_IN_CORPUS.get(name, "genuine")
        assert (row.state, row.classification) == ("processed", expected), name
        if expected == "genuine":
            text = parsed(raw).text
            assert row.case_message.body == (ingest.visible_text(text).strip() or text.strip()), name
            assert row.case_message.case == row.case
        else:
            assert (row.case, row.case_message) == (None, None), name
    assert Case.objects.count() == len(names) - len(AUTOMATIC_IN_CORPUS)


def test_a_helpdesk_answering_our_acknowledgements_with_new_cases_stops_getting_them(mailbox):
    start = clock.now()
    for n in range(6):
        with clock.frozen_at(start + datetime.timedelta(minutes=n)):
            row = store(
                mailbox,
                mail(
                    sender="helpdesk@altro.example",
                    subject=f"Ticket {n} ricevuto",
                    message_id=f"<t{n}@altro.example>",
                ),
            )
            ingest.process_inbound(row.pk)
    cases = list(Case.objects.order_by("pk"))
    assert len(cases) == 6
    assert OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).count() == 4
    assert [events_for(c).filter(action="email.loop_suspected").count() for c in cases] == [0, 0, 0, 0, 1, 1]
    # Minutes later the pair is quiet again: acknowledged.
    with clock.frozen_at(start + datetime.timedelta(minutes=30)):
        row = store(
            mailbox, mail(sender="helpdesk@altro.example", subject="Nuovo", message_id="<t9@altro.example>")
        )
        ingest.process_inbound(row.pk)
    assert OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).count() == 5


def test_a_reply_on_a_closed_case_opens_its_follow_up_and_is_acknowledged(mailbox, case, agent):
    sent = queue_reply(case, agent)
    change_status(case, CaseStatus.CLOSED)
    row = store(
        mailbox, mail(message_id="<m9@anna.example>", in_reply_to=sent.message_id_header, body="Di nuovo io")
    )
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    follow_up = row.case
    assert (follow_up.follow_up_of, row.case_message.body) == (case, "Di nuovo io")
    assert list(
        OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).values_list("case_id", "to_address")
    ) == [(follow_up.pk, "anna.colombo@example.it")]


def test_the_mail_loop_check_reads_one_address_by_index_not_the_whole_outbox(mailbox):
    """Every new case's acknowledgement first counts the recent ones to that address: an index
    range, or the check would grow with the outbox (benchmarks/email_ingest.py found the scan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    row = store(mailbox, mail(message_id="<new-topic@anna.example>"))
    with CaptureQueriesContext(connection) as captured:
        assert ingest.process_inbound(row.pk) == InboundState.PROCESSED
    checks = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "channels_outboundemail"' in q["sql"]
        and "created_at >=" in q["sql"].replace('"', "").replace("channels_outboundemail.", "")
    ]
    assert len(checks) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {checks[0]}")
        plan = " ".join(str(r[-1]) for r in cursor.fetchall())
    assert "USING INDEX outbound_to_recent_idx (to_address=? AND created_at>?)" in plan, plan


def test_the_references_look_up_reads_both_tables_by_index(mailbox, case, agent):
    """A reply's Message-IDs are looked up in our outbox and in the customers' messages in one
    statement, each half an index search: a scan would grow with the desk's whole history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    sent = queue_reply(case, agent)
    row = store(mailbox, mail(message_id="<reply@anna.example>", in_reply_to=sent.message_id_header))
    with CaptureQueriesContext(connection) as captured:
        assert ingest.process_inbound(row.pk) == InboundState.PROCESSED
    lookups = [
        q["sql"]
        for q in captured.captured_queries
        if "UNION ALL" in q["sql"] and "message_id_header IN" in q["sql"].replace('"', "")
    ]
    assert len(lookups) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {lookups[0]}")
        plan = [str(r[-1]) for r in cursor.fetchall()]
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert len(searches) == 2 and all(step.startswith("SEARCH") for step in searches), plan
    assert Message.objects.get(external_id="reply@anna.example").case == case


def test_a_reply_naming_thousands_of_message_ids_still_threads_by_its_newest(mailbox, case, agent):
    """A References header of thousands of ids (a client that never trims, or a hostile sender)
    is looked up by its newest ids only: one statement within the database's parameter limit
    (PostgreSQL's is 65,535), and the thread found when our id is among them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sent = queue_reply(case, agent)
    old_ids = " ".join(f"<old-{n}@elsewhere.example>" for n in range(40_000))
    row = store(
        mailbox,
        mail(message_id="<long@anna.example>", references=f"{old_ids} {sent.message_id_header}"),
    )
    with CaptureQueriesContext(connection) as captured:
        assert ingest.process_inbound(row.pk) == InboundState.PROCESSED
    assert Message.objects.get(external_id="long@anna.example").case == case
    (lookup,) = [
        q["sql"] for q in captured.captured_queries if "message_id_header IN" in q["sql"].replace('"', "")
    ]
    assert lookup.count("@elsewhere.example") <= 3 * ingest.REFERENCES_LOOKED_UP
