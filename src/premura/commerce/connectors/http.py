"""JSON over HTTP for the connectors (the standard library's urllib: no dependency), with the
platforms' answers sorted into transient and permanent errors (decision 0029)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any
from xml.etree import ElementTree

from premura.commerce.connectors.base import PermanentError, TransientError

TIMEOUT_SECONDS = 15
# Client errors that a later try may not get: a lock held on the platform, too many requests.
RETRIED_STATUSES = frozenset({408, 409, 423, 425, 429})
NO_REFUSALS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Response:
    body: bytes
    headers: Message


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None


def _data(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _xml_errors(body: bytes) -> list[str]:
    """PrestaShop's XML refusal: <prestashop><errors><error><message>...</message>..."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [" ".join(item.text.split()) for item in root.iter("message") if item.text and item.text.strip()]


def _message(status: int, body: bytes) -> str:
    """The platform's own words: Shopify's {"errors": ...} (text, list or {field: [text]}),
    PrestaShop's {"errors": [{"code", "message"}]} (or the same in XML), WordPress's {"code": ...,
    "message": text} (WooCommerce), or {"error": text}; else the HTTP status."""
    data = _data(body)
    if data is None and body.lstrip().startswith(b"<") and (found := _xml_errors(body)):
        return "; ".join(found)[:1000]
    errors = data.get("errors", data.get("error", data.get("message"))) if isinstance(data, dict) else None
    if isinstance(errors, dict):
        parts = []
        for name, value in errors.items():
            texts = value if isinstance(value, list) else [value]
            words = "; ".join(str(text) for text in texts)
            parts.append(words if name == "base" else f"{name}: {words}")
        return "; ".join(parts)[:1000]
    if isinstance(errors, list):
        texts = [item.get("message", item) if isinstance(item, dict) else item for item in errors]
        return "; ".join(str(text) for text in texts)[:1000]
    if errors:
        return str(errors)[:1000]
    return f"HTTP {status}"


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    data: bytes | None = None,
    refusals: frozenset[str] = NO_REFUSALS,
) -> Response:
    """Send `data` as it is and return the answer's body and headers, unread. Raises
    TransientError for no answer, 5xx and the statuses worth retrying (429 with its Retry-After),
    PermanentError for any other refusal (its message from the body), and for an answer whose
    {"code": ...} is one of `refusals` whatever its status (WooCommerce says a gateway refused a
    refund with a 500)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return Response(body=response.read(), headers=response.headers)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
        message = _message(status, body)
        answer = _data(body)
        code = answer.get("code") if isinstance(answer, dict) else None
        refused = isinstance(code, str) and code in refusals
        if (status >= 500 or status in RETRIED_STATUSES) and not refused:
            raise TransientError(
                message, retry_after=_retry_after(error.headers.get("Retry-After"))
            ) from None
        raise PermanentError(message) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TransientError(f"No answer from {urllib.parse.urlsplit(url).netloc}: {error}") from None


def parse_json(body: bytes) -> Any:
    """The JSON of an answer ({} for an empty one); TransientError when it is not JSON (a proxy's
    error page, a truncated answer)."""
    if not body:
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise TransientError("The platform answered something that is not JSON") from None


def call_with_headers(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    payload: Any = None,
    refusals: frozenset[str] = NO_REFUSALS,
) -> tuple[Any, Message]:
    """`call`, with the answer's headers too (a pagination cursor in Link)."""
    data = None if payload is None else json.dumps(payload).encode()
    response = send(
        method,
        url,
        data=data,
        headers={"Accept": "application/json", "Content-Type": "application/json", **headers},
        refusals=refusals,
    )
    return parse_json(response.body), response.headers


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    payload: Any = None,
    refusals: frozenset[str] = NO_REFUSALS,
) -> Any:
    """Send `payload` as JSON and return the JSON answer ({} for an empty one); errors as `send`."""
    return call_with_headers(method, url, headers=headers, payload=payload, refusals=refusals)[0]
