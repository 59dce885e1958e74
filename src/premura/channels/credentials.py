"""Mailbox passwords at rest (docs/architecture.md, "Mailbox passwords"): encrypted with Fernet
(AES-128-CBC with an HMAC-SHA256 tag, from the `cryptography` package) under a key derived from
the installation's SECRET_KEY, so that a copy of the database (a backup, a dump sent for support)
does not give away the shop's mail accounts.

The encryption itself is premura.core.encryption, under this module's purpose string. Keys in
Django's SECRET_KEY_FALLBACKS still decrypt, so a rotated key keeps the passwords readable while
the old one is listed there (a password typed again is stored under the new key). With SECRET_KEY lost
or replaced and not listed, the stored passwords cannot be read: the IMAP poll and the SMTP
delivery say so on the checkpoint and the outbox row, and an administrator types them again.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from premura.channels.exceptions import UnreadableCredential
from premura.core import encryption

PURPOSE = b"premura.channels.mailbox-credentials"
MAX_LENGTH = 255


def encrypt(password: str) -> str:
    """The token to store for `password`; "" for no password. Each call gives a different token."""
    return encryption.encrypt(password, purpose=PURPOSE)


def decrypt(token: str, *, what: str) -> str:
    """The password in `token` ("" for none). Raises UnreadableCredential, naming `what` ("the IMAP
    password of assistenza@shop.example"), when no configured key opens it."""
    try:
        return encryption.decrypt(token, purpose=PURPOSE)
    except encryption.CannotDecrypt:
        raise UnreadableCredential(
            f"{what} cannot be decrypted: SECRET_KEY is not the one it was stored with "
            "(list the old key in SECRET_KEY_FALLBACKS, or enter the password again)"
        ) from None


def validate_password(password: str) -> None:
    """A password we can send: at most MAX_LENGTH characters and no control characters (a CR/LF
    would end an IMAP LOGIN line and start a command of its own)."""
    if len(password) > MAX_LENGTH:
        raise ValidationError(_("At most %(max)d characters."), params={"max": MAX_LENGTH}, code="max_length")
    if any(unicodedata.category(character) == "Cc" for character in password):
        raise ValidationError(_("A password cannot contain control characters."), code="control_character")
