"""The shop's own system (and `premura import_tracking`): signed JSON in our format.

Headers: ``X-Premura-Timestamp`` and ``X-Premura-Signature``, our signing scheme
(premura.core.signing, decision 0017).

Body: ``{"event_id": "...", "events": [EventRow, ...]}``, at most 1,000 events.
"""

import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from premura.core import signing
from premura.core.signing import SIGNATURE_HEADER, SIGNATURE_HEADERS, TIMESTAMP_HEADER, sign
from premura.core.text import describe_invalid, is_single_line
from premura.shipping.adapters.base import (
    ParsedEvent,
    PayloadInvalid,
    SignatureInvalid,
    derived_id,
    header,
    load_json,
    text,
    top_level_text,
)
from premura.shipping.models import TrackingStatus

__all__ = ["SIGNATURE_HEADER", "SIGNATURE_HEADERS", "TIMESTAMP_HEADER", "sign"]
MAX_EVENTS = 1000


class EventRow(BaseModel):
    """One carrier event as the shop's system or an import file gives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tracking_number: str = Field(min_length=1, max_length=64)
    carrier: str = Field("", max_length=32, description="Our carrier code, when tracking numbers repeat.")
    occurred_at: AwareDatetime
    code: str = Field(min_length=1, max_length=64, description="The carrier's own status code.")
    status: TrackingStatus | None = Field(
        None, description="The normalised status, when the sender knows it."
    )
    description: str = Field("", max_length=300)
    location: str = Field("", max_length=120)
    id: str = Field("", max_length=90, description="The event's id in the sender's system.")

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value == "" else value

    @field_validator("tracking_number", "carrier", "code", "id")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _single_line(value)

    def to_parsed(self) -> ParsedEvent:
        return ParsedEvent(
            tracking_number=self.tracking_number,
            carrier=self.carrier.lower(),
            occurred_at=self.occurred_at,
            scheme="",
            code=self.code,
            hint_status=self.status.value if self.status else "",
            raw_code=self.code,
            description=text(self.description, 300),
            location=text(self.location, 120),
            external_id=f"generic:{self.id}"
            if self.id
            else derived_id(
                "generic", self.tracking_number, self.occurred_at.isoformat(), self.code, self.description
            ),
        )


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=100)
    events: list[EventRow] = Field(min_length=1, max_length=MAX_EVENTS)

    @field_validator("event_id")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _single_line(value)


def _single_line(value: str) -> str:
    """Identifiers are matched and stored as sent: a line break or a control character (a NUL,
    which PostgreSQL cannot store) in one is an error, not something to clean."""
    if not is_single_line(value):
        raise ValueError("must be one line, without control characters")
    return value


def verify(body: bytes, *, headers, query, secret: str, now: datetime.datetime) -> None:
    signature, timestamp = header(headers, SIGNATURE_HEADER), header(headers, TIMESTAMP_HEADER)
    if not signing.is_signed(body, signature=signature, timestamp=timestamp, secret=secret, now=now):
        raise SignatureInvalid


def event_id(body: bytes) -> str:
    return top_level_text(body, "event_id")


def parse(body: bytes) -> list[ParsedEvent]:
    try:
        delivery = Delivery.model_validate(load_json(body))
    except ValidationError as error:
        raise PayloadInvalid(describe_invalid(error)) from None
    return [row.to_parsed() for row in delivery.events]
