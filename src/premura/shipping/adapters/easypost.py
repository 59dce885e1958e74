"""EasyPost webhooks: header ``X-Hmac-Signature: hmac-sha256-hex=<hex>``, the HMAC-SHA256 of the
raw body under the webhook secret after Unicode NFKD normalisation and UTF-8 encoding (as its
client libraries' ``validate_webhook`` computes it). The body is an Event
(``{"object": "Event", "id": "evt_...", "description": "tracker.updated", "result": Tracker}``);
the Tracker has ``tracking_code``, ``carrier`` and ``tracking_details`` (the whole history)."""

import hashlib
import hmac
import unicodedata

from premura.shipping.adapters.base import (
    ParsedEvent,
    PayloadInvalid,
    derived_id,
    header,
    load_json,
    objects,
    parse_time,
    require_match,
    required_text,
    text,
    top_level_text,
)

SIGNATURE_HEADER = "X-Hmac-Signature"
PREFIX = "hmac-sha256-hex="
SIGNATURE_HEADERS = {
    SIGNATURE_HEADER: "'hmac-sha256-hex=' + hex HMAC-SHA256(NFKD(webhook secret), raw body)."
}


def sign(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(body: bytes, *, headers, query, secret: str, now) -> None:
    require_match(header(headers, SIGNATURE_HEADER), sign(body, secret) if secret else "")


def event_id(body: bytes) -> str:
    return top_level_text(body, "id")


def _location(value) -> str:
    if not isinstance(value, dict):
        return ""
    return text(", ".join(str(value[key]) for key in ("city", "state", "country") if value.get(key)), 120)


def parse(body: bytes) -> list[ParsedEvent]:
    payload = load_json(body)
    if not isinstance(payload, dict) or payload.get("object") != "Event":
        raise PayloadInvalid("not an EasyPost Event object")
    if not str(payload.get("description", "")).startswith("tracker."):
        return []  # batch, refund, report events: nothing to track
    tracker = payload.get("result")
    if not isinstance(tracker, dict):
        raise PayloadInvalid("result: the Tracker is missing")
    number = required_text(tracker, "tracking_code", 64, path="result")
    events = []
    for index, detail in enumerate(objects(tracker, "tracking_details", path="result")):
        coarse = text(detail.get("status"), 32)
        code = text(detail.get("status_detail"), 64) or coarse
        occurred_at = parse_time(detail.get("datetime"), field=f"result.tracking_details.{index}.datetime")
        description = text(detail.get("message"), 300)
        events.append(
            ParsedEvent(
                tracking_number=number,
                carrier=text(tracker.get("carrier"), 32),
                occurred_at=occurred_at,
                scheme="easypost",
                code=code,
                coarse=coarse,
                raw_code=text(detail.get("carrier_code"), 64) or code,
                description=description,
                location=_location(detail.get("tracking_location")),
                external_id=derived_id(
                    "easypost", number, occurred_at.isoformat(), coarse, code, description
                ),
            )
        )
    return events
