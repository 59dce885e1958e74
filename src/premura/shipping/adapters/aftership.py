"""AfterShip Tracking webhooks: header ``aftership-hmac-sha256``, the base64 of the HMAC-SHA256
of the raw body under the webhook secret. The body is ``{"event", "event_id", "ts", "msg"}``,
``msg`` the tracking with its ``checkpoints`` (the whole history, each with tag and subtag)."""

import base64
import hashlib
import hmac

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

SIGNATURE_HEADER = "aftership-hmac-sha256"
SIGNATURE_HEADERS = {SIGNATURE_HEADER: "Base64 of HMAC-SHA256(webhook secret, raw body)."}


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, *, headers, query, secret: str, now) -> None:
    require_match(header(headers, SIGNATURE_HEADER), sign(body, secret) if secret else "")


def event_id(body: bytes) -> str:
    return top_level_text(body, "event_id")


def parse(body: bytes) -> list[ParsedEvent]:
    payload = load_json(body)
    msg = payload.get("msg") if isinstance(payload, dict) else None
    if not isinstance(msg, dict):
        raise PayloadInvalid("msg: the tracking object is missing")
    if payload.get("event") not in ("tracking_update", None):
        return []  # edd_revise, tracking_pending_time: no scan in them
    number = required_text(msg, "tracking_number", 64, path="msg")
    events = []
    for index, checkpoint in enumerate(objects(msg, "checkpoints", path="msg")):
        tag = text(checkpoint.get("tag"), 32)
        subtag = text(checkpoint.get("subtag"), 64) or tag
        occurred_at = parse_time(
            checkpoint.get("checkpoint_time"), field=f"msg.checkpoints.{index}.checkpoint_time"
        )
        description = text(checkpoint.get("message"), 300)
        location = text(checkpoint.get("location") or checkpoint.get("city"), 120)
        events.append(
            ParsedEvent(
                tracking_number=number,
                carrier=text(checkpoint.get("slug") or msg.get("slug"), 32),
                occurred_at=occurred_at,
                scheme="aftership",
                code=subtag,
                coarse=tag,
                raw_code=text(checkpoint.get("raw_tag"), 64) or subtag,
                description=description,
                location=location,
                external_id=derived_id(
                    "aftership", number, occurred_at.isoformat(), subtag, description, location
                ),
            )
        )
    return events
