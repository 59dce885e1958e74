"""Our own signed-webhook scheme, for shops' and carriers' systems that speak Premura's formats
(decision 0017): ``X-Premura-Timestamp`` (Unix seconds) and ``X-Premura-Signature``, the hex
HMAC-SHA256 under the source's secret of the timestamp, a dot and the raw body. The timestamp is
inside the signature, so a captured request cannot be replayed later with a fresh one; it must lie
within 5 minutes of our clock."""

import datetime
import hashlib
import hmac
from collections.abc import Mapping

from premura.core.text import is_ascii_number, storable

TIMESTAMP_HEADER = "X-Premura-Timestamp"
SIGNATURE_HEADER = "X-Premura-Signature"
SIGNATURE_HEADERS = {
    TIMESTAMP_HEADER: "Unix time in seconds of the request; refused when more than 5 minutes from ours.",
    SIGNATURE_HEADER: "Hex HMAC-SHA256(source secret, timestamp + '.' + raw body).",
}
REPLAY_WINDOW = datetime.timedelta(minutes=5)
# Headers a webhook's stored row never keeps: credentials of ours, not the sender's.
UNKEPT_HEADERS = frozenset({"authorization", "cookie"})


class SignatureInvalid(Exception):
    """A webhook is not signed by its sender's secret (missing, malformed, wrong, stale): what every
    provider's and platform's check raises, and what the API answers 401 to (premura.api.webhooks)."""


def sign(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def is_signed(body: bytes, *, signature: str, timestamp: str, secret: str, now: datetime.datetime) -> bool:
    """Whether `signature` is ours over `timestamp` and `body`, and `timestamp` is recent."""
    if not signature or not is_ascii_number(timestamp) or len(timestamp) > 12 or not secret:
        return False
    if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW.total_seconds():
        return False
    return hmac.compare_digest(signature.encode(), sign(body, secret, int(timestamp)).encode())


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers as a webhook's row keeps them beside its raw body: without ours
    (UNKEPT_HEADERS), and storable (a NUL, which no PostgreSQL text or jsonb holds, as \\x00)."""
    return {name: storable(value) for name, value in headers.items() if name.lower() not in UNKEPT_HEADERS}
