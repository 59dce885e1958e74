"""E-mail messages in the REST API: /api/v1/messages?message_id=<Message-ID>."""

import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from premura.api.auth import current_agent
from premura.api.errors import errors
from premura.channels.queries import messages_by_message_id
from premura.channels.schemas import DeliveryOut

router = Router(tags=["messages"])


class EmailMessageOut(Schema):
    message_id: str = Field(..., description="The Message-ID header, without <>.")
    direction: str = Field(..., description="inbound (from a customer) or outbound (ours).")
    case_id: int | None = Field(..., description="The case it was filed in; null when it threads nowhere.")
    message: int | None = Field(..., description="The case message it became (or delivers), if any.")
    state: str = Field(
        ..., description="Inbound: received, processing, processed, unreadable. Outbound: the outbox status."
    )
    classification: str = Field(..., description="genuine, automatic or bounce; empty until processed.")
    is_automatic: bool = Field(..., description="Recognised as automatic mail or a bounce: never answered.")
    visible_text: str = Field(..., description="The text the console shows, quotes and signature stripped.")
    at: datetime.datetime = Field(..., description="When we received (or queued) it.")
    delivery: DeliveryOut | None = Field(
        ..., description="Ours: where it stands in the outbox (the reason when it failed). Null when inbound."
    )


class MessageFilters(Schema):
    message_id: str = Field(
        ..., min_length=1, max_length=998, description="The Message-ID, with or without <>."
    )


@router.get("/messages", response={200: list[EmailMessageOut], **errors(401, 403, 422)})
def find_messages(request: HttpRequest, filters: Query[MessageFilters]):
    """The stored e-mails with this Message-ID (with or without <>): one per mailbox it reached,
    and ours when it is one we sent. Every agent of the desk sees every case's mail."""
    current_agent(request)
    return messages_by_message_id(filters.message_id)
