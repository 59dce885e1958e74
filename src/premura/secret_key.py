"""The secret key: from SECRET_KEY or SECRET_KEY_FILE, else made at first start and kept under var/.

Everything a customer can open without a password (the portal's signed links) and every session
rests on this key, so it must never be a constant in the code, nor a word someone can guess: with
`SECRET_KEY=changeme` anyone could sign a portal link offline. A key under 50 characters or made of
fewer than 5 distinct characters (Django's own `security.W009` rule) stops the start.

A single-machine shop gets a random key on first start, kept in `var/secret_key` (mode 600) and
reused by every process and restart; several machines must share one through SECRET_KEY or
SECRET_KEY_FILE.
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_NAME = "secret_key"
MIN_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 5
HOW_TO_MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


class WeakSecretKey(ImproperlyConfigured):
    """The configured secret key is too short, too uniform, or Django's insecure placeholder."""


def check_secret_key(key: str, *, source: str) -> str:
    """`key` if it is strong enough; else WeakSecretKey, whose message says how to make one.

    The message names where the key came from (`source`), never the key itself.
    """
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS or key.startswith("django-insecure-"):
        raise WeakSecretKey(
            f"{source} holds a weak secret key: it needs at least {MIN_LENGTH} characters, "
            f"{MIN_DISTINCT_CHARACTERS} of them different, and no 'django-insecure-' prefix. "
            f"Make one with: {HOW_TO_MAKE_ONE}"
        )
    return key


def configured_secret_key(environ: Mapping[str, str], var_dir: Path) -> str:
    """The key of this installation: SECRET_KEY_FILE's content, else SECRET_KEY, else var/secret_key.

    A file named by SECRET_KEY_FILE must hold a strong key, even when empty: an operator who
    set one expects it to be used, not silently replaced by a key of this machine's own. An empty
    SECRET_KEY counts as unset. Raises WeakSecretKey.
    """
    file_name = environ.get("SECRET_KEY_FILE")
    if file_name:
        return check_secret_key(Path(file_name).read_text().strip(), source=f"SECRET_KEY_FILE ({file_name})")
    if environ.get("SECRET_KEY"):
        return check_secret_key(environ["SECRET_KEY"], source="SECRET_KEY")
    return installation_secret_key(var_dir)


def installation_secret_key(var_dir: Path) -> str:
    path = var_dir / FILE_NAME
    if path.exists():
        return _read(path)
    draft = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(50))
    try:
        # A hard link either creates the file whole or fails: two processes starting together
        # both end up with the key of whichever linked first.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    try:
        return check_secret_key(key, source=str(path))
    except WeakSecretKey as error:
        raise WeakSecretKey(
            f"{path} holds no usable secret key; remove it to have a new one made. {error}"
        ) from None
