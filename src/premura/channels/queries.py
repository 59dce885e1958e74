"""Read-only questions about the e-mail channel, for the API and the console."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.http import Http404

from premura.agents.models import Agent
from premura.channels.email.parse import parse_message
from premura.channels.email.quotes import visible_text
from premura.channels.models import InboundEmail, InboundState, OutboundEmail, OutboundKind
from premura.conversations.models import Direction
from premura.conversations.queries import access_case

# One Message-ID names one message; more rows than this for one id is a misuse of the query.
MAX_FOUND = 50


@dataclass(frozen=True)
class EmailMessage:
    message_id: str
    direction: str
    case_id: int | None
    message: int | None  # the case message it is (or delivers), if any
    state: str
    classification: str
    is_automatic: bool
    visible_text: str
    at: datetime.datetime
    delivery: OutboundEmail | None = None  # ours: the outbox row itself


def _inbound_text(row: InboundEmail) -> str:
    """What the console shows: the case message's body (quotes stripped when it was filed), else
    the visible text of the parsed mail (automatic mail, bounces), "" for an unreadable one."""
    if row.case_message is not None:
        return row.case_message.body
    if row.state == InboundState.UNREADABLE:
        return ""
    parsed = parse_message(bytes(row.raw), attachment_max_bytes=settings.ATTACHMENT_MAX_BYTES)
    return visible_text(parsed.text).strip() if parsed.is_readable and parsed.text else ""


def messages_by_message_id(message_id: str) -> list[EmailMessage]:
    """The stored e-mails with this Message-ID (with or without <>): every inbound row (one per
    mailbox it reached) and our outbound one, in the order we received or queued them."""
    bare = message_id.strip().strip("<>").strip()
    if not bare:
        return []
    found = [
        EmailMessage(
            message_id=row.message_id,
            direction=Direction.INBOUND,
            case_id=row.case_id,
            message=row.case_message_id,
            state=row.state,
            classification=row.classification,
            is_automatic=row.classification in {"automatic", "bounce"},
            visible_text=_inbound_text(row),
            at=row.received_at,
        )
        for row in InboundEmail.objects.filter(message_id=bare)
        .select_related("case_message")
        .order_by("received_at", "pk")[:MAX_FOUND]
    ]
    found += [
        EmailMessage(
            message_id=bare,
            direction=Direction.OUTBOUND,
            case_id=row.case_id,
            message=row.message_id,
            state=row.status,
            classification="automatic" if row.kind == OutboundKind.ACKNOWLEDGEMENT else "genuine",
            is_automatic=row.kind == OutboundKind.ACKNOWLEDGEMENT,
            visible_text=row.body_text,
            at=row.created_at,
            delivery=row,
        )
        for row in OutboundEmail.objects.filter(message_id_header__in=[f"<{bare}>", bare])
    ]
    return found


def access_inbound_email(agent: Agent | None, inbound_id: int) -> InboundEmail:
    """A stored inbound message with its raw bytes, for an agent (every agent of the desk sees
    every mail, as every case); anyone else, or an unknown id, gets a 404."""
    if agent is None:
        raise Http404
    row = InboundEmail.objects.filter(pk=inbound_id).only("raw").first()
    if row is None:
        raise Http404
    return row


def access_case_email(agent: Agent | None, inbound_id: int) -> InboundEmail:
    """A stored inbound message filed in a case, with its raw bytes, reached through that case:
    `conversations.queries.access_case` decides, so whoever may not see the case gets a 404, as
    for a message it was never filed in or an unknown id."""
    row = (
        InboundEmail.objects.filter(pk=inbound_id, case__isnull=False)
        .only("raw", "case_id", "case_message_id")
        .first()
    )
    if row is None:
        raise Http404
    access_case(agent, row.case_id)
    return row


def unreadable_emails() -> QuerySet[InboundEmail]:
    """The messages processing could not read, newest first (the console's "could not read" list,
    over the partial index `inbound_email_unreadable`). The raw bytes are deferred: the list shows
    their size, taken from the row's `size` annotation, never the bytes themselves."""
    return (
        InboundEmail.objects.filter(state=InboundState.UNREADABLE)
        .select_related("mailbox")
        .defer("raw")
        .annotate(size=Length("raw"))
        .order_by("-received_at", "-id")
    )


def unreadable_count(cap: int) -> int:
    """How many messages could not be read, counting no further than `cap` + 1 (a bounded scan of
    the partial index: the caller shows "cap+" above `cap`)."""
    return InboundEmail.objects.filter(state=InboundState.UNREADABLE).order_by()[: cap + 1].count()


def raw_email_ids(case_id: int) -> dict[int, int]:
    """{case message id: inbound e-mail id} for the case's messages that came by e-mail: the case
    page links each to its original (the raw download). The first stored row wins when one message
    reached two of our mailboxes."""
    found: dict[int, int] = {}
    rows = (
        InboundEmail.objects.filter(case_id=case_id, case_message__isnull=False)
        .order_by("-received_at", "-id")
        .values_list("case_message_id", "pk")
    )
    for message_id, inbound_id in rows:
        found[message_id] = inbound_id
    return found
