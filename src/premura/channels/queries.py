"""Read-only questions about the e-mail channel, for the API and the console."""

import datetime
from dataclasses import dataclass

from django.conf import settings

from premura.channels.email.parse import parse_message
from premura.channels.email.quotes import visible_text
from premura.channels.models import InboundEmail, InboundState, OutboundEmail, OutboundKind
from premura.conversations.models import Direction

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
        )
        for row in OutboundEmail.objects.filter(message_id_header__in=[f"<{bare}>", bare])
    ]
    return found
