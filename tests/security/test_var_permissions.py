"""var/ holds the database, the Huey queue, uploads and the secret key: no other user reads them."""

import os
import stat
import subprocess
import sys
import textwrap

# Starts Premura on an empty var/ and makes it write what it writes there in use: the secret key,
# the SQLite database, Huey's queue and an upload under media/.
SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE probe (id integer)")
        cursor.execute("INSERT INTO probe VALUES (1)")
    HUEY.storage.enqueue(b"probe")
    default_storage.save("attachments/2026/12/foto.png", ContentFile(b"png"))
    """
)


def test_premura_keeps_var_private(tmp_path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PREMURA_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "premura.settings",
        "HUEY_IMMEDIATE": "false",
    }
    for name in ("SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, timeout=120)

    written = {path.relative_to(var).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in var.rglob("*")}
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for name in (
        "secret_key",
        "premura.sqlite3",
        "huey.sqlite3",
        "media/attachments/2026/12/foto.png",
    ):
        assert written[name] == 0o600, name
    assert written["media"] == written["media/attachments/2026/12"] == written["static"] == 0o700
    # Nothing under var/ is open to the group or to others.
    assert {path: mode for path, mode in written.items() if mode & 0o077} == {}


def test_an_existing_var_directory_is_closed_at_start(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    env = {**os.environ, "PREMURA_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "premura.settings"}
    env.pop("SECRET_KEY_FILE", None)
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, check=True, timeout=60)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
