"""The shapes of customers in the REST API."""

import datetime
import zoneinfo

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator

from premura.api.schemas import (
    Flag,
    InputSchema,
    LocalTime,
    LocalTimeOut,
    QuerySchema,
    Text,
    domain_rule,
    optional_not_null,
)
from premura.core.models import Channel
from premura.customers.models import IdentityKind, Language, Tier


def _known_time_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise domain_rule(_("unknown time zone %(zone)r") % {"zone": value}) from None
    return value


class IdentityIn(InputSchema):
    kind: IdentityKind
    value: str = Text(254, min_length=1)
    is_primary: Flag = False


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    is_primary: bool
    failing_since: datetime.datetime | None = Field(
        description="Since when our messages to this address come back (a bounce); null while it works."
    )
    failing_reason: str = Field(description="The receiving server's answer when it last bounced; '' if none.")


TIME_ZONE_DESCRIPTION = "An IANA time zone, e.g. 'Europe/Rome'."


class CustomerIn(InputSchema):
    full_name: str = Text(200, min_length=1)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    language: Language = Language.ITALIAN
    preferred_channel: Channel = Channel.EMAIL
    time_zone: str = Field("Europe/Rome", min_length=1, max_length=64, description=TIME_ZONE_DESCRIPTION)
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None
    marketing_consent: Flag = False
    tier: Tier = Tier.STANDARD
    notes: str = Field("", max_length=10_000)

    _time_zone = field_validator("time_zone")(_known_time_zone)


class CustomerPatch(InputSchema):
    """Only the fields sent are changed; quiet hours are cleared by sending both as null."""

    language: Language = optional_not_null()
    preferred_channel: Channel = optional_not_null()
    time_zone: str = optional_not_null(TIME_ZONE_DESCRIPTION, min_length=1, max_length=64)
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None
    marketing_consent: Flag = optional_not_null()

    _time_zone = field_validator("time_zone")(_known_time_zone)


class CustomerOut(Schema):
    id: int
    full_name: str
    language: str
    preferred_channel: str
    time_zone: str
    quiet_hours_start: LocalTimeOut | None
    quiet_hours_end: LocalTimeOut | None
    marketing_consent: bool
    marketing_consent_at: datetime.datetime | None
    tier: str
    notes: str
    created_at: datetime.datetime
    identities: list[IdentityOut]


class CustomerFilters(QuerySchema):
    email: str | None = Field(
        None, max_length=254, description="An e-mail address, matched exactly (case-insensitive)."
    )
    q: str | None = Field(None, max_length=200, description="The start of the customer's name.")
