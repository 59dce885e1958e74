"""The edge every signed webhook endpoint shares (shops' platforms, tracking providers): the size
checked before the body is read, and the answers a sender's retry logic understands (decision
0017). What the body means is the receiving app's."""

import contextlib
import logging
from collections.abc import Iterator

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from premura.core.encryption import CannotDecrypt
from premura.core.signing import SignatureInvalid
from premura.core.text import is_ascii_number

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def signed_webhook(
    request: HttpRequest, *, max_bytes: int, not_signed: str, unreadable_secret: str, sender: str
) -> Iterator[None]:
    """Around the receiving service's call: 413 for a body over `max_bytes` by its Content-Length
    (before the body is read); 401 with `not_signed` when the service raises SignatureInvalid
    (nothing is stored then); 503 with `unreadable_secret` when the sender's secret cannot be
    decrypted under SECRET_KEY (logged as an error naming `sender`): the sender keeps the event
    and retries it once an administrator has typed the secret again, so nothing is lost."""
    length = request.headers.get("Content-Length", "")
    if is_ascii_number(length) and int(length) > max_bytes:
        raise HttpError(413, _("The request is too large."))
    try:
        yield
    except SignatureInvalid:
        raise HttpError(401, not_signed) from None
    except CannotDecrypt:
        logger.error("%s: its secret cannot be decrypted under SECRET_KEY", sender)
        raise HttpError(503, unreadable_secret) from None
