import hashlib

import pytest
from django.db import transaction

from premura.channels.inbound import accept_inbound, extract_message_id
from premura.channels.models import InboundEmail, InboundState, Mailbox
from premura.core import clock
from tests.channels.mail import message


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(address="assistenza@bottega.example")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Subject: x\r\nMessage-ID: <a1@anna.example>\r\n\r\nbody", "a1@anna.example"),
        (b"message-id: <a1@anna.example>\n\nbody", "a1@anna.example"),
        (b"MESSAGE-ID:<a1@anna.example>\r\n\r\n", "a1@anna.example"),
        # Folded onto the next line (Outlook, long ids), and folded inside the id.
        (b"Message-ID:\r\n <a1@anna.example>\r\nSubject: x\r\n\r\n", "a1@anna.example"),
        (b"Message-ID: <a1-very-long\r\n\t-id@anna.example>\r\n\r\n", "a1-very-long-id@anna.example"),
        # Obsolete syntax: whitespace before the colon; no angle brackets; a comment after.
        (b"Message-ID : <a1@anna.example>\r\n\r\n", "a1@anna.example"),
        (b"Message-ID: a1@anna.example\r\n\r\n", "a1@anna.example"),
        (b"Message-ID: <a1@anna.example> (sent by a webmail)\r\n\r\n", "a1@anna.example"),
        # The first of two wins; Resent-Message-ID and X- headers are other headers.
        (b"Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n", "first@x"),
        (b"Resent-Message-ID: <resent@x>\r\nX-Message-ID: <x@x>\r\n\r\n", ""),
        # Only the header block counts: an id in the body (a forwarded message) is not ours.
        (b"Subject: fwd\r\n\r\nMessage-ID: <in-body@x>\r\n", ""),
        (b"\r\nMessage-ID: <in-body@x>\r\n", ""),
        # An mbox From line and a garbage line before it do not stop the search.
        (b"From anna@example.it Mon Dec  1 10:00:00 2026\r\nMessage-ID: <a1@x>\r\n\r\n", "a1@x"),
        (b"Message-ID:\r\n\r\n", ""),
        (b"Message-ID: <>\r\n\r\n", ""),
        (b"", ""),
        (b"\xff\xfe\x00garbage without headers", ""),
        # RFC 6532 UTF-8 ids; invalid UTF-8 is read as Latin-1, the same way every time.
        ("Message-ID: <città@anna.example>\r\n\r\n".encode(), "città@anna.example"),
        (b"Message-ID: <caf\xe9@x>\r\n\r\n", "café@x"),
    ],
)
def test_extract_message_id(raw, expected):
    assert extract_message_id(raw) == expected


def test_extract_message_id_truncates_to_the_column():
    assert extract_message_id(b"Message-ID: <" + b"a" * 2000 + b">\r\n\r\n") == "a" * 998


def test_accept_inbound_stores_the_exact_bytes_first(mailbox, frozen_now):
    raw = message(body="Il pacco non è arrivato.\r\n\r\n-- \r\nAnna")
    row, created = accept_inbound(
        mailbox,
        raw,
        source="lmtp",
        envelope_sender="anna@example.it",
        recipients=["assistenza@bottega.example"],
    )
    assert created is True
    stored = InboundEmail.objects.get()
    assert stored.pk == row.pk
    assert bytes(stored.raw) == raw
    assert stored.sha256 == hashlib.sha256(raw).hexdigest()
    assert stored.message_id == "ordine-1@anna.example"
    assert stored.envelope_sender == "anna@example.it"
    assert stored.envelope_recipients == ["assistenza@bottega.example"]
    assert stored.source == "lmtp"
    assert stored.imap_uid is None
    assert stored.received_at == frozen_now
    assert stored.state == InboundState.RECEIVED
    assert stored.processed_at is None
    assert stored.error == ""


@pytest.fixture
def frozen_now():
    import datetime

    moment = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    with clock.frozen_at(moment):
        yield moment


def test_the_same_message_id_is_stored_once(mailbox):
    first, created = accept_inbound(mailbox, message(), source="lmtp")
    # Another copy with the same Message-ID (an MTA retrying, a different Received: trace).
    again, created_again = accept_inbound(
        mailbox, b"Received: by mx2\r\n" + message(), source="imap", imap_uid=7
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert InboundEmail.objects.count() == 1
    assert bytes(InboundEmail.objects.get().raw) == message()


def test_a_duplicate_inside_a_transaction_leaves_the_transaction_usable(mailbox):
    """The insert runs in a savepoint: on PostgreSQL a failed insert outside one would abort the
    whole transaction (the IMAP poller stores inside its checkpoint's transaction)."""
    with transaction.atomic():
        accept_inbound(mailbox, message(), source="imap")
        _, created = accept_inbound(mailbox, message(), source="imap")
        second, created_second = accept_inbound(mailbox, message("<ordine-2@anna.example>"), source="imap")
    assert (created, created_second) == (False, True)
    assert list(InboundEmail.objects.values_list("message_id", flat=True)) == [
        "ordine-1@anna.example",
        "ordine-2@anna.example",
    ]


def test_without_message_id_the_same_bytes_are_one_delivery_and_other_bytes_another(mailbox):
    """An MTA retrying after a lost 250 resends its queued file byte for byte; a second sending
    of the same text differs at least in its Received trace, and is kept."""
    first, created = accept_inbound(mailbox, message(None), source="lmtp")
    again, created_again = accept_inbound(mailbox, message(None), source="lmtp")
    other, created_other = accept_inbound(mailbox, b"Received: by mx2\r\n" + message(None), source="lmtp")
    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk != other.pk
    assert list(InboundEmail.objects.values_list("message_id", flat=True)) == ["", ""]
    # The same bytes in another mailbox are that mailbox's delivery.
    elsewhere = Mailbox.objects.create(address="resi@bottega.example")
    assert accept_inbound(elsewhere, message(None), source="lmtp")[1] is True


def test_the_same_message_id_in_two_mailboxes_is_stored_in_each(mailbox):
    other = Mailbox.objects.create(address="resi@bottega.example")
    accept_inbound(mailbox, message(), source="lmtp")
    _, created = accept_inbound(other, message(), source="lmtp")
    assert created is True
    assert InboundEmail.objects.filter(message_id="ordine-1@anna.example").count() == 2


def test_an_unknown_source_is_refused_and_nothing_stored(mailbox):
    with pytest.raises(ValueError, match="unknown inbound source"):
        accept_inbound(mailbox, message(), source="pigeon")
    assert InboundEmail.objects.count() == 0
