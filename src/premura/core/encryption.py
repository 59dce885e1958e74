"""Secrets at rest (decision 0012): encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag,
from the `cryptography` package) under a key derived from the installation's SECRET_KEY, so a copy
of the database (a backup, a dump sent for support) gives none of them away.

The key is never stored: HKDF-SHA256 turns SECRET_KEY into it with a purpose string per kind of
secret (mailbox passwords, tracking webhook secrets), so each key serves one purpose and nothing
else's signatures reveal it. Keys in Django's SECRET_KEY_FALLBACKS still decrypt, so a rotated key
keeps the secrets readable while the old one is listed there.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class CannotDecrypt(Exception):
    """No configured key (SECRET_KEY or a fallback) opens the token."""


def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(purpose: bytes) -> MultiFernet:
    return MultiFernet(
        [_fernet(key, purpose) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    )


def encrypt(plaintext: str, *, purpose: bytes) -> str:
    """The token to store for `plaintext`; "" for "". Each call gives a different token."""
    if not plaintext:
        return ""
    return _keys(purpose).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, *, purpose: bytes) -> str:
    """The text in `token` ("" for ""). Raises CannotDecrypt when no configured key opens it."""
    if not token:
        return ""
    try:
        return _keys(purpose).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise CannotDecrypt from None
