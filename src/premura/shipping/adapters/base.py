"""What every tracking adapter module provides (docs/architecture.md, "Tracking in").

Each module defines:

- ``SIGNATURE_HEADERS``: {header or query parameter: what it carries}, for the OpenAPI document.
- ``verify(body, *, headers, query, secret, now)``: checks the provider's signature over the raw
  body (compared with hmac.compare_digest); raises SignatureInvalid. Never parses the body first.
- ``event_id(body) -> str``: the provider's id of the webhook event, "" when there is none or the
  body is not readable; it never raises (the delivery is stored before anything else fails).
- ``parse(body) -> list[ParsedEvent]``: the events in the body; raises PayloadInvalid with a
  reason a person can act on.

Adapters translate formats only: they never touch the database or decide a status.
"""

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from premura.core.signing import SignatureInvalid
from premura.core.text import one_line


class PayloadInvalid(Exception):
    """A signed body that cannot be read as the provider's documented format."""


@dataclass(frozen=True)
class ParsedEvent:
    tracking_number: str
    # The carrier as the sender names it (AfterShip slug, Shippo token, EasyPost name, our code).
    carrier: str
    occurred_at: datetime.datetime
    # Normalisation: the scheme of `code` ("aftership", ..., or "" for the shipment's carrier), the
    # provider's coarse status, and a TrackingStatus the sender added itself.
    scheme: str
    code: str
    coarse: str = ""
    hint_status: str = ""
    # What the event keeps as it came: the carrier's own code when the provider passes it on.
    raw_code: str = ""
    description: str = ""
    location: str = ""
    external_id: str = ""


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadInvalid(f"The body is not JSON: {error}") from None
    except RecursionError:
        raise PayloadInvalid("The body is JSON nested too deeply to read") from None


def parse_time(value: Any, *, field: str) -> datetime.datetime:
    """An ISO 8601 instant; one without an offset is taken in the shop's time zone (AfterShip
    sends checkpoint times in the carrier's local time, without one)."""
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"{field}: a date and time is required")
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadInvalid(f"{field}: {value!r} is not an ISO 8601 date and time") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def text(value: Any, limit: int) -> str:
    """`value` as one line of at most `limit` characters: line breaks and other control characters
    (a NUL, which PostgreSQL cannot store) become spaces, runs of spaces one."""
    return one_line(str(value))[:limit] if value not in (None, "") else ""


def required_text(container: dict, key: str, limit: int, *, path: str) -> str:
    """`container[key]` as one line of at most `limit` characters; PayloadInvalid naming
    `path.key` when it is missing or empty."""
    value = text(container.get(key), limit)
    if not value:
        raise PayloadInvalid(f"{path}.{key} is missing")
    return value


def objects(container: dict, key: str, *, path: str) -> list[dict]:
    """The list of objects at `container[key]` (none when absent); PayloadInvalid naming the place
    of anything that is not a list of objects."""
    items = container.get(key) or []
    if not isinstance(items, list):
        raise PayloadInvalid(f"{path}.{key} is not a list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadInvalid(f"{path}.{key}.{index} is not an object")
    return items


def derived_id(prefix: str, *parts: Any) -> str:
    """An event id for providers whose events carry none: the same event sent again (AfterShip and
    EasyPost resend the whole history each time) gets the same id, so it is stored once."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]
    return f"{prefix}:{digest}"


def header(headers: Any, name: str) -> str:
    return (headers.get(name) or "").strip()


def require_match(given: str, expected: str) -> None:
    """Raise SignatureInvalid unless the request carried `given` and it equals `expected` (an
    empty `expected`, a source without a secret, matches nothing); compared in constant time."""
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureInvalid


def top_level_text(body: bytes, key: str) -> str:
    """The text at `key` of a JSON object body, "" when the body is not one (for event_id)."""
    try:
        return text(load_json(body).get(key), 100)
    except (PayloadInvalid, AttributeError):
        return ""
