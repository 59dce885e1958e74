"""The secret key of an installation that sets none: made at first start, kept under var/.

Everything a customer can open without a password (the portal's signed links) and every session
rests on this key, so it must never be a constant in the code. A single-machine shop gets a
random key on first start, kept in `var/secret_key` (mode 600) and reused by every process and
restart; several machines must share one through SECRET_KEY or SECRET_KEY_FILE.
"""

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


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
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; remove it to have a new one made")
    return key
