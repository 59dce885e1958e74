"""The shapes of customers in the REST API."""

import datetime
import zoneinfo

from ninja import Field, Schema
from pydantic import field_validator

from premura.core.models import Channel
from premura.customers.models import IdentityKind, Language, Tier


def _known_time_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class IdentityIn(Schema):
    kind: IdentityKind
    value: str = Field(..., min_length=1, max_length=254)
    is_primary: bool = False


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    is_primary: bool


class CustomerIn(Schema):
    full_name: str = Field(..., min_length=1, max_length=200)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    language: Language = Language.ITALIAN
    preferred_channel: Channel = Channel.EMAIL
    time_zone: str = "Europe/Rome"
    quiet_hours_start: datetime.time | None = None
    quiet_hours_end: datetime.time | None = None
    marketing_consent: bool = False
    tier: Tier = Tier.STANDARD
    notes: str = ""

    _time_zone = field_validator("time_zone")(_known_time_zone)


class CustomerPatch(Schema):
    """Only the fields sent are changed; quiet hours are cleared by sending both as null."""

    language: Language | None = None
    preferred_channel: Channel | None = None
    time_zone: str | None = None
    quiet_hours_start: datetime.time | None = None
    quiet_hours_end: datetime.time | None = None
    marketing_consent: bool | None = None

    _time_zone = field_validator("time_zone")(_known_time_zone)


class CustomerOut(Schema):
    id: int
    full_name: str
    language: str
    preferred_channel: str
    time_zone: str
    quiet_hours_start: datetime.time | None
    quiet_hours_end: datetime.time | None
    marketing_consent: bool
    marketing_consent_at: datetime.datetime | None
    tier: str
    notes: str
    created_at: datetime.datetime
    identities: list[IdentityOut]


class CustomerFilters(Schema):
    email: str | None = Field(None, description="An e-mail address, matched exactly (case-insensitive).")
    q: str | None = Field(None, description="The start of the customer's name.")
