"""Vacation replies with no automatic header (channels.vacation): recognised from the words, no
threading headers and our mail to the sender shortly before; filed as automatic on the case of that
mail, never acknowledged, never a case of their own. The other side: a customer we have just
written to who starts a new topic, mentioning their holidays, still gets a case and its
acknowledgement."""

import datetime

import pytest

from premura.channels import ingest
from premura.channels.email.classify import VACATION_WINDOW
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, Mailbox, OutboundEmail, OutboundKind
from premura.conversations.models import Case, CaseStatus
from premura.conversations.services import change_status
from premura.core import clock
from premura.core.audit import events_for
from tests.channels.email_fixtures import parsed as corpus_parsed
from tests.channels.email_fixtures import raw as corpus
from tests.channels.test_ingest import deliver, mail, queue_reply
from tests.factories.customers import CustomerFactory, EmailIdentityFactory

START = datetime.datetime(2025, 8, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(
        address="assistenza@bottega.example", plus_addressing=True, default_team=team
    )


def arrive(mailbox, raw: bytes, at: datetime.datetime) -> InboundEmail:
    """The message reaches the mailbox at `at` and is filed."""
    with clock.frozen_at(at):
        row, _ = accept_inbound(mailbox, raw, source="imap")
        ingest.process_inbound(row.pk)
    row.refresh_from_db()
    return row


def first_mail(mailbox, sender: str, at: datetime.datetime = START, n: int = 1) -> Case:
    """The customer writes; the new case is acknowledged at `at`: our mail to them."""
    row = arrive(
        mailbox, mail(sender=sender, subject=f"Domanda {n}", message_id=f"<first-{n}@c.example>"), at
    )
    assert OutboundEmail.objects.filter(case=row.case, kind=OutboundKind.ACKNOWLEDGEMENT).exists()
    return row.case


def acks() -> list[tuple[int, str]]:
    return list(
        OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
        .order_by("pk")
        .values_list("case_id", "to_address")
    )


VACATION_CORPUS = [
    "vacation_it_no_headers.eml",
    "vacation_en_no_headers.eml",
    "vacation_de_no_headers.eml",
    "vacation_fr_no_headers.eml",
    "vacation_es_no_headers.eml",
]


@pytest.mark.parametrize("name", VACATION_CORPUS)
def test_a_vacation_reply_to_our_acknowledgement_lands_on_its_case_as_automatic(mailbox, name):
    sender = corpus_parsed(name).from_address
    case = first_mail(mailbox, sender)
    row = arrive(mailbox, corpus(name), START + datetime.timedelta(minutes=2))
    assert (row.state, row.classification, row.case, row.case_message) == (
        "processed",
        "automatic",
        case,
        None,
    )
    assert row.classification_reason.startswith("vacation reply without automatic headers (")
    ours = OutboundEmail.objects.get(case=case).message_id_header
    assert row.classification_reason.endswith(f") to our mail {ours}")
    event = events_for(case).get(action="email.automatic")
    assert event.data["mail_subject"] == corpus_parsed(name).subject
    assert event.data["excerpt"]  # the agent reads what the responder said
    assert Case.objects.count() == 1
    assert case.messages.filter(direction="inbound").count() == 1
    assert acks() == [(case.pk, sender)]  # the first mail's only


def test_it_lands_on_the_case_we_wrote_to_last(mailbox, customer, agent):
    older = first_mail(mailbox, "anna.colombo@example.it", n=1)
    newer = first_mail(mailbox, "anna.colombo@example.it", START + datetime.timedelta(minutes=1), n=2)
    vacation = corpus("vacation_it_no_headers.eml")
    row = arrive(mailbox, vacation, START + datetime.timedelta(minutes=2))
    assert row.case == newer
    with clock.frozen_at(START + datetime.timedelta(minutes=3)):
        queue_reply(older, agent)
    again = vacation.replace(b"<vacation-it-1@mail.example.it>", b"<vacation-it-2@mail.example.it>")
    row = arrive(mailbox, again, START + datetime.timedelta(minutes=4))
    assert (row.classification, row.case) == ("automatic", older)


def test_it_never_reopens_a_solved_case(mailbox, customer, agent):
    case = first_mail(mailbox, "anna.colombo@example.it")
    with clock.frozen_at(START + datetime.timedelta(hours=1)):
        queue_reply(case, agent)
        change_status(case, CaseStatus.SOLVED)
    row = arrive(
        mailbox, corpus("vacation_it_no_headers.eml"), START + datetime.timedelta(hours=1, minutes=1)
    )
    case.refresh_from_db()
    assert (row.classification, row.case, case.status) == ("automatic", case, CaseStatus.SOLVED)
    assert len(acks()) == 1


def test_the_same_words_from_someone_we_did_not_write_to_open_a_case(mailbox):
    row = arrive(mailbox, corpus("vacation_it_no_headers.eml"), START)
    assert row.classification == "genuine"
    assert row.case.subject == "Sono in ferie fino al 10 agosto"
    assert acks() == [(row.case.pk, "anna.colombo@example.it")]


def test_the_same_words_long_after_our_mail_open_a_case(mailbox, customer):
    case = first_mail(mailbox, "anna.colombo@example.it")
    row = arrive(
        mailbox, corpus("vacation_it_no_headers.eml"), START + VACATION_WINDOW + datetime.timedelta(minutes=1)
    )
    assert row.classification == "genuine"
    assert row.case != case
    assert acks() == [(case.pk, "anna.colombo@example.it"), (row.case.pk, "anna.colombo@example.it")]


def test_a_reply_that_names_our_mail_is_the_customers_reply(mailbox, customer):
    # With In-Reply-To it threads: the customer answered us, in their own words.
    case = first_mail(mailbox, "anna.colombo@example.it")
    ours = OutboundEmail.objects.get(case=case).message_id_header
    raw = corpus("vacation_it_no_headers.eml").replace(
        b"Message-ID: <vacation-it-1@mail.example.it>",
        f"Message-ID: <vacation-it-1@mail.example.it>\r\nIn-Reply-To: {ours}".encode(),
    )
    row = arrive(mailbox, raw, START + datetime.timedelta(minutes=2))
    assert (row.classification, row.case) == ("genuine", case)
    assert row.case_message.body.startswith("Buongiorno,\nsono in ferie fino al 10 agosto")


@pytest.mark.parametrize("name", ["new_topic_it_away_question.eml", "new_topic_en_away_order.eml"])
def test_a_customer_we_just_wrote_to_starting_a_new_topic_gets_a_case_and_its_acknowledgement(mailbox, name):
    sender = corpus_parsed(name).from_address
    case = first_mail(mailbox, sender)
    row = arrive(mailbox, corpus(name), START + datetime.timedelta(minutes=5))
    assert row.classification == "genuine"
    assert row.case != case
    assert row.case.subject == corpus_parsed(name).subject
    assert acks() == [(case.pk, sender), (row.case.pk, sender)]


def test_the_sender_is_matched_in_any_spelling(mailbox, customer):
    case = first_mail(mailbox, "anna.colombo@example.it")
    raw = corpus("vacation_it_no_headers.eml").replace(
        b"From: Anna Colombo <anna.colombo@example.it>", b"From: Anna Colombo <Anna.Colombo@EXAMPLE.it>"
    )
    row = arrive(mailbox, raw, START + datetime.timedelta(minutes=2))
    assert (row.classification, row.case) == ("automatic", case)


# --- Through the real LMTP listener ---------------------------------------------------------------


@pytest.fixture
def lmtp_mailbox(transactional_db):
    return Mailbox.objects.create(address="assistenza@bottega.example", plus_addressing=True)


def test_lmtp_a_vacation_reply_after_our_acknowledgement_opens_nothing(start_lmtp, lmtp_mailbox):
    anna = CustomerFactory(full_name="Anna Colombo")
    EmailIdentityFactory(customer=anna, value="anna.colombo@example.it")
    controller = start_lmtp()
    assert deliver(controller, mail()) == 250
    case = Case.objects.get()
    # The responder answers our envelope sender, the mailbox address itself.
    assert deliver(controller, corpus("vacation_it_no_headers.eml")) == 250
    row = InboundEmail.objects.get(message_id="vacation-it-1@mail.example.it")
    assert (row.state, row.classification, row.case, row.case_message) == (
        "processed",
        "automatic",
        case,
        None,
    )
    assert Case.objects.count() == 1
    assert acks() == [(case.pk, "anna.colombo@example.it")]
