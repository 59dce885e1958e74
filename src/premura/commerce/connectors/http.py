"""JSON over HTTP for the connectors (the standard library's urllib: no dependency), with the
platforms' answers sorted into transient and permanent errors (decision 0029)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from premura.commerce.connectors.base import PermanentError, TransientError

TIMEOUT_SECONDS = 15
# Client errors that a later try may not get: a lock held on the platform, too many requests.
RETRIED_STATUSES = frozenset({408, 409, 423, 425, 429})


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None


def _data(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _message(status: int, body: bytes) -> str:
    """The platform's own words: Shopify's {"errors": ...} (text, list or {field: [text]}), or
    {"error": text}, or WordPress's {"code": ..., "message": text} (WooCommerce); else the HTTP
    status."""
    data = _data(body)
    errors = data.get("errors", data.get("error", data.get("message"))) if isinstance(data, dict) else None
    if isinstance(errors, dict):
        parts = []
        for name, value in errors.items():
            texts = value if isinstance(value, list) else [value]
            words = "; ".join(str(text) for text in texts)
            parts.append(words if name == "base" else f"{name}: {words}")
        return "; ".join(parts)[:1000]
    if isinstance(errors, list):
        return "; ".join(str(text) for text in errors)[:1000]
    if errors:
        return str(errors)[:1000]
    return f"HTTP {status}"


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    payload: Any = None,
    refusals: frozenset[str] = frozenset(),
) -> Any:
    """Send `payload` as JSON and return the JSON answer ({} for an empty one). Raises
    TransientError for no answer, 5xx and the statuses worth retrying (429 with its Retry-After),
    PermanentError for any other refusal (its message from the body), and for an answer whose
    {"code": ...} is one of `refusals` whatever its status (WooCommerce says a gateway refused a
    refund with a 500)."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Accept": "application/json", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
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
    if not body:
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise TransientError("The platform answered something that is not JSON") from None
