"""A bounce lands on the case of the message it returns and marks the address that message went to
as failing; the customer writing from it again clears the mark; meanwhile the outbox and the
acknowledgement write to another address of theirs, when they have one."""

import datetime

import pytest

from premura.channels import ingest
from premura.channels.acknowledgements import acknowledge
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, Mailbox
from premura.core import clock
from premura.core.audit import events_for
from premura.customers.models import CustomerIdentity, IdentityKind
from premura.customers.services import mark_identity_failing
from tests.channels.email_fixtures import raw as corpus
from tests.channels.test_ingest import mail, queue_reply
from tests.factories.conversations import make_case
from tests.factories.customers import EmailIdentityFactory

AT = datetime.datetime(2025, 3, 5, 16, 0, tzinfo=datetime.UTC)
ANNA = "anna.colombo@example.it"


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


@pytest.fixture
def case(customer, mailbox):
    return make_case(customer, channel="email", external_id="first@anna.example")


def arrive(mailbox, raw: bytes, envelope_sender: str = "") -> InboundEmail:
    with clock.frozen_at(AT):
        row, _ = accept_inbound(mailbox, raw, source="lmtp", envelope_sender=envelope_sender)
        ingest.process_inbound(row.pk)
    row.refresh_from_db()
    return row


def dsn_for(sent, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        corpus("dsn_multipart_report.eml")
        .replace(b"<ack-1234.1@shop.example>", sent.message_id_header.encode())
        .replace(b"mario.rossi@example.it", ANNA.encode())
        .replace(b"Mario.Rossi@example.it", ANNA.encode())
        .replace(b"Action: failed", f"Action: {action}".encode())
        .replace(b"Status: 5.1.1", f"Status: {status}".encode())
    )


def anna_identity() -> CustomerIdentity:
    return CustomerIdentity.objects.get(value=ANNA)


def test_a_dsn_lands_on_the_case_and_marks_the_address_failing(mailbox, case, agent):
    sent = queue_reply(case, agent)
    row = arrive(mailbox, dsn_for(sent))
    assert (row.classification, row.case, row.case_message) == ("bounce", case, None)
    assert events_for(case).get(action="email.bounced").data["failed_recipient"] == ANNA
    identity = anna_identity()
    assert identity.failing_since == AT
    assert identity.failing_reason == (f"5.1.1 550 5.1.1 <{ANNA}>: Recipient address rejected: User unknown")
    event = events_for(case.customer).get(action="customer.identity_failing")
    assert event.data == {"identity": f"email:{ANNA}", "reason": identity.failing_reason}


def test_a_qmail_text_bounce_lands_on_the_case_and_marks_the_address_failing(mailbox, case, agent):
    sent = queue_reply(case, agent)
    bounce = (
        corpus("qmail_failure_notice.eml")
        .replace(b"<reply-1240.3@shop.example>", sent.message_id_header.encode())
        .replace(b"lucia.marino@provider.example", ANNA.encode())
    )
    row = arrive(mailbox, bounce)
    assert (row.classification, row.case) == ("bounce", case)
    assert anna_identity().failing_reason == "5.1.1 Remote host said: 550 5.1.1 Mailbox does not exist"


def test_a_delay_warning_marks_nothing(mailbox, case, agent):
    sent = queue_reply(case, agent)
    row = arrive(mailbox, dsn_for(sent, action="delayed", status="4.4.1"))
    assert row.case == case  # the agent still sees it
    assert anna_identity().failing_since is None


def test_a_bounce_of_a_message_we_never_sent_marks_nothing(mailbox, case, agent):
    # Anyone can write a bounce naming a customer's address; only our own Message-IDs count.
    queue_reply(case, agent)
    forged = corpus("dsn_multipart_report.eml").replace(b"mario.rossi@example.it", ANNA.encode())
    row = arrive(mailbox, forged)
    assert (row.classification, row.case) == ("bounce", None)
    assert anna_identity().failing_since is None


def test_the_customer_writing_again_from_the_address_clears_it(mailbox, case, agent):
    sent = queue_reply(case, agent)
    arrive(mailbox, dsn_for(sent))
    assert anna_identity().failing_since == AT
    arrive(mailbox, mail(message_id="<m2@anna.example>", in_reply_to=sent.message_id_header), ANNA)
    identity = anna_identity()
    assert (identity.failing_since, identity.failing_reason) == (None, "")
    assert events_for(case.customer).filter(action="customer.identity_recovered").count() == 1


def test_a_bounce_and_the_customer_writing_again_in_one_batch_leave_the_address_working(mailbox, case, agent):
    """The batch read the address as working before the bounce marked it: the genuine mail after
    the bounce still clears it (decision 0025)."""
    sent = queue_reply(case, agent)
    with clock.frozen_at(AT):
        bounce, _ = accept_inbound(mailbox, dsn_for(sent), source="lmtp", envelope_sender="")
        accept_inbound(
            mailbox,
            mail(message_id="<m2@anna.example>", in_reply_to=sent.message_id_header),
            source="lmtp",
            envelope_sender=ANNA,
        )
        assert ingest.process_arrived(bounce.pk) == 2
    assert anna_identity().failing_since is None
    assert [e.action for e in events_for(case.customer).order_by("pk")] == [
        "customer.identity_failing",
        "customer.identity_recovered",
    ]


def test_replies_go_to_a_working_address_while_the_primary_fails(mailbox, case, agent):
    EmailIdentityFactory(customer=case.customer, value="anna.ufficio@lavoro.example", is_primary=False)
    mark_identity_failing(IdentityKind.EMAIL, ANNA, reason="5.1.1")
    assert queue_reply(case, agent).to_address == "anna.ufficio@lavoro.example"


def test_replies_still_go_to_a_failing_address_when_it_is_the_only_one(mailbox, case, agent):
    mark_identity_failing(IdentityKind.EMAIL, ANNA, reason="5.1.1")
    assert queue_reply(case, agent).to_address == ANNA


def test_the_acknowledgement_avoids_a_failing_reply_to_of_the_customer(mailbox, case):
    EmailIdentityFactory(customer=case.customer, value="anna.ufficio@lavoro.example", is_primary=False)
    mark_identity_failing(IdentityKind.EMAIL, "anna.ufficio@lavoro.example", reason="5.2.1")
    assert acknowledge(case, to_address="Anna.Ufficio@lavoro.example").to_address == ANNA
