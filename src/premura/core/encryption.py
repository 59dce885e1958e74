"""Secrets at rest (decision 0012): encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag,
from the `cryptography` package) under a key derived from the installation's SECRET_KEY, so a copy
of the database (a backup, a dump sent for support) gives none of them away.

The key is never stored: HKDF-SHA256 turns SECRET_KEY into it with a purpose string per kind of
secret (mailbox passwords, tracking webhook secrets), so each key serves one purpose and nothing
else's signatures reveal it. Keys in Django's SECRET_KEY_FALLBACKS still decrypt, so a rotated key
keeps the secrets readable while the old one is listed there.
"""

import base64
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


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


def encrypted_text(column: str, *, purpose: bytes) -> property:
    """A model attribute read and written in clear and stored encrypted in the text field
    `column` under `purpose`; reading raises CannotDecrypt when no configured key opens it. A
    property, so the model's constructor takes it as a keyword like a field."""

    def read(instance: models.Model) -> str:
        return decrypt(getattr(instance, column), purpose=purpose)

    def write(instance: models.Model, value: str) -> None:
        setattr(instance, column, encrypt(value, purpose=purpose))

    return property(read, write)


def rotate(token: str, *, purpose: bytes) -> str:
    """`token` encrypted again under the current SECRET_KEY ("" for ""), so the key it was stored
    under can leave SECRET_KEY_FALLBACKS. Raises CannotDecrypt when no configured key opens it."""
    if not token:
        return ""
    try:
        return _keys(purpose).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise CannotDecrypt from None


@dataclass
class Rotation:
    """What `rotate_column` did: how many secrets it stored again, and the rows (by str()) whose
    secret no configured key opens (left as they were)."""

    rotated: int = 0
    unreadable: list[str] = field(default_factory=list)


def rotate_column(queryset: models.QuerySet, column: str, *, purpose: bytes) -> Rotation:
    """Encrypt every non-empty `column` of `queryset` again under the current SECRET_KEY. Each row
    is written only if its token is still the one read (a secret typed again meanwhile stays)."""
    result = Rotation()
    for row in queryset.exclude(**{column: ""}).order_by("pk"):
        token = getattr(row, column)
        try:
            fresh = rotate(token, purpose=purpose)
        except CannotDecrypt:
            result.unreadable.append(str(row))
            continue
        result.rotated += queryset.model._default_manager.filter(pk=row.pk, **{column: token}).update(
            **{column: fresh}
        )
    return result
