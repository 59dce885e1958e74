"""The e-mail channel's shapes in the REST API, shared by its router and the cases' messages."""

import datetime

from ninja import Field, Schema

from premura.channels.models import OutboundEmail, OutboundStatus


class DeliveryOut(Schema):
    """Where an e-mail to the customer stands in the outbox: the case page's "Sent by e-mail to…"."""

    status: OutboundStatus = Field(
        ...,
        description=(
            "queued (no attempt yet, or no SMTP server configured), sending, retry_wait (a "
            "temporary failure; tried again at retry_at), sent (accepted by the server, final) or "
            "failed (refused or given up, final; see reason)."
        ),
    )
    to: str = Field(..., description="The address it is (or was) sent to.")
    reason: str = Field(
        ..., description="Why it failed or waits to be retried: the server's answer. Empty otherwise."
    )
    attempts: int = Field(..., description="Attempts to hand it to the SMTP server so far.")
    sent_at: datetime.datetime | None = Field(..., description="When the server accepted it.")
    retry_at: datetime.datetime | None = Field(..., description="The next attempt, while retry_wait.")

    @staticmethod
    def resolve_to(row: OutboundEmail) -> str:
        return row.to_address

    @staticmethod
    def resolve_reason(row: OutboundEmail) -> str:
        return row.last_error if row.status in (OutboundStatus.FAILED, OutboundStatus.RETRY_WAIT) else ""

    @staticmethod
    def resolve_retry_at(row: OutboundEmail) -> datetime.datetime | None:
        return row.next_attempt_at if row.status == OutboundStatus.RETRY_WAIT else None
