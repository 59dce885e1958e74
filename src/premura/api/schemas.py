"""The building blocks of every input schema of the REST API: strict at the edge.

Every body a client sends is an ``InputSchema``: an unknown field is refused (422), never silently
ignored. Types are strict where pydantic's lax mode would guess: an id is a JSON integer (not
``true``, not ``"7"``), a flag a JSON boolean (not ``1``), an amount a decimal string (not a float).
Every string has a length cap, every integer and every date a range, so bad input is a 422 naming
the field and never reaches the database as a value it cannot store (an OverflowError, a year-1
date that cannot be moved to UTC).

Query parameters arrive as text, so their integers are lax (``?customer=7``) but bounded all the same.
"""

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Strict,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from premura.core import clock

DOMAIN_RULE_TYPE = "domain_rule"


def domain_rule(message: str) -> PydanticCustomError:
    """The error a validator raises for a rule the OpenAPI document cannot state (a password's
    strength, a time zone's name, a date not in the future): its type is 'domain_rule', so clients
    (and the schemathesis run in tests/api/test_openapi_conformance.py) tell it from a value the
    schema itself refuses. Raise it with a translated message.
    """
    return PydanticCustomError(DOMAIN_RULE_TYPE, message)


# The largest primary key the database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class QuerySchema(Schema):
    """The base of the filters of a list: text without NUL characters (no database stores them)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(_("the text contains a NUL character"))
        return value


class InputSchema(QuerySchema):
    """The base of every request body: fields not in the schema are an error."""

    model_config = ConfigDict(extra="forbid")


def optional_not_null(description: str | None = None, **constraints: Any) -> Any:
    """A field of a PATCH body that may be left out but, when sent, may not be null.

    The default (None, meaning "not sent") stays out of the OpenAPI document, so clients and
    schemathesis never read null as an accepted value.
    """

    def drop_default(schema: dict[str, Any]) -> None:
        schema.pop("default", None)

    return Field(None, description=description, json_schema_extra=drop_default, **constraints)


def _integral(value: Any) -> Any:
    """JSON Schema counts 7.0 as an integer, so the API does too; 7.5, "7" and true stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def StrictInt(ge: int, le: int) -> Any:  # noqa: N802 (reads as a type)
    """A JSON integer (7 or 7.0; not "7", not true) from `ge` to `le`."""
    # The bounds sit on the integer and the validator outside them, so the OpenAPI document
    # says minimum/maximum.
    return Annotated[int, Strict(), Field(ge=ge, le=le), BeforeValidator(_integral)]


# An object named in a body by its id: a JSON integer, 1 .. MAX_ID.
Id = StrictInt(1, MAX_ID)
# The same in a query string (text, so not strict).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
# true or false, nothing else.
Flag = Annotated[bool, Strict()]


def Text(max_length: int, *, min_length: int = 0, **kwargs: Any) -> Any:  # noqa: N802 (reads as a type)
    """A string field with its caps: ``subject: str = Text(200, min_length=1)``."""
    return Field(..., min_length=min_length, max_length=max_length, **kwargs)


# Amounts are decimal strings with at most two decimals ("19.90"): a float cannot say 0.1 exactly.
MONEY_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"


def _money(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(MONEY_PATTERN, value):
        raise ValueError(_("an amount is a string such as '19.90', not negative, with at most two decimals"))
    return Decimal(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["19.90"]}),
]

# A time of day on a clock of the customer's time zone, "22:00" or "22:00:00": no offset.
LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
LOCAL_TIME_SCHEMA = {"type": "string", "pattern": LOCAL_TIME_PATTERN, "examples": ["22:00"]}


def _local_time(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(LOCAL_TIME_PATTERN, value):
        raise ValueError(_("a time of day is written HH:MM or HH:MM:SS, without a time zone"))
    return datetime.time.fromisoformat(value)


LocalTime = Annotated[datetime.time, BeforeValidator(_local_time), WithJsonSchema(LOCAL_TIME_SCHEMA)]
# The same on the way out: "22:00:00" (JSON Schema's format "time" would demand an offset).
LocalTimeOut = Annotated[datetime.time, WithJsonSchema(LOCAL_TIME_SCHEMA)]

# Dates before this are typing mistakes (and year 1 cannot always be moved to UTC).
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
# An event "in the future" is a carrier's or a shop's clock a little ahead, at most this much.
CLOCK_SKEW = datetime.timedelta(days=1)
# How far ahead a promised or estimated delivery date may be.
PLANNING_HORIZON = datetime.timedelta(days=366)


def _text_only(value: Any) -> Any:
    """Dates come as ISO 8601 text; pydantic would also read a number as a Unix time."""
    if not isinstance(value, str):
        raise ValueError(_("a date is written as ISO 8601 text"))
    return value


def _past_moment(value: datetime.datetime) -> datetime.datetime:
    # Comparing aware datetimes never overflows, even at year 1 with +14:00.
    if value < EARLIEST:
        raise domain_rule(_("the date is before 2000"))
    if value > clock.now() + CLOCK_SKEW:
        raise domain_rule(_("the date is in the future"))
    return value


def _planned_date(value: datetime.date) -> datetime.date:
    today = clock.now().date()
    if value < EARLIEST.date():
        raise domain_rule(_("the date is before 2000"))
    if value > today + PLANNING_HORIZON:
        raise domain_rule(_("the date is more than a year ahead"))
    return value


# Something that has happened: an ISO 8601 date and time with its offset, from 2000 to now (+1 day).
PastMoment = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_past_moment)]
# A delivery date someone plans: from 2000 to a year ahead.
PlannedDate = Annotated[datetime.date, BeforeValidator(_text_only), AfterValidator(_planned_date)]
