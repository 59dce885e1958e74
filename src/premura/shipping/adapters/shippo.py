"""Shippo ``track_updated`` webhooks. Shippo signs nothing by default: of the protections it
documents (an IP allowlist, a self-generated token in the webhook URL, HMAC arranged with its
account managers, whose format is not published) we use the token: the URL carries
``?token=<the source's secret>``, compared in constant time (decision 0017). A token does not
protect the body the way a signature does; HTTPS does that.

The body is ``{"event": "track_updated", "test", "data": {"carrier", "tracking_number",
"tracking_status", "tracking_history"}}``; each status has ``status``, ``substatus.code``,
``status_details``, ``status_date``, ``location`` and its ``object_id``."""

from premura.shipping.adapters.base import (
    ParsedEvent,
    PayloadInvalid,
    load_json,
    objects,
    parse_time,
    require_match,
    required_text,
    text,
)

TOKEN_PARAMETER = "token"
SIGNATURE_HEADERS = {
    f"?{TOKEN_PARAMETER}=": "Query parameter: the source's secret, as set in Shippo's webhook URL."
}


def verify(body: bytes, *, headers, query, secret: str, now) -> None:
    require_match((query.get(TOKEN_PARAMETER) or "").strip(), secret)


def event_id(body: bytes) -> str:
    try:
        return text(load_json(body)["data"]["tracking_status"]["object_id"], 100)
    except (PayloadInvalid, KeyError, TypeError):
        return ""


def _location(value) -> str:
    if not isinstance(value, dict):
        return ""
    return text(", ".join(str(value[key]) for key in ("city", "state", "country") if value.get(key)), 120)


def parse(body: bytes) -> list[ParsedEvent]:
    payload = load_json(body)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise PayloadInvalid("data: the track object is missing")
    if payload.get("event") not in ("track_updated", None):
        return []
    number = required_text(data, "tracking_number", 64, path="data")
    statuses = objects(data, "tracking_history", path="data")
    if not statuses and isinstance(data.get("tracking_status"), dict):
        statuses = [data["tracking_status"]]
    events = []
    for index, status in enumerate(statuses):
        coarse = text(status.get("status"), 32)
        substatus = status.get("substatus") if isinstance(status.get("substatus"), dict) else {}
        code = text(substatus.get("code"), 64) or coarse
        object_id = text(status.get("object_id"), 90)
        if not object_id:
            raise PayloadInvalid(f"data.tracking_history.{index}.object_id is missing")
        events.append(
            ParsedEvent(
                tracking_number=number,
                carrier=text(data.get("carrier"), 32),
                occurred_at=parse_time(
                    status.get("status_date"), field=f"data.tracking_history.{index}.status_date"
                ),
                scheme="shippo",
                code=code,
                coarse=coarse,
                raw_code=code,
                description=text(status.get("status_details"), 300),
                location=_location(status.get("location")),
                external_id=f"shippo:{object_id}",
            )
        )
    return events
