"""What the settings make of DATABASE_URL and REDIS_URL, and the full-text index on the database in use.

The settings are read from the environment once, at start-up; these tests run the settings module
afresh (runpy, not imported: the running site's settings stay as they are) in an environment set
with monkeypatch, so nothing leaks into other tests.
"""

import runpy
import secrets
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

import premura.settings
from tests.factories.conversations import make_case

SETTINGS_FILE = Path(premura.settings.__file__)


def settings_with(monkeypatch, tmp_path, **environ: str) -> dict:
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(50))
    monkeypatch.setenv("PREMURA_VAR_DIR", str(tmp_path))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_without_urls_the_shop_runs_on_sqlite_and_huey_on_sqlite_under_var(monkeypatch, tmp_path):
    values = settings_with(monkeypatch, tmp_path)
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "premura.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert values["HUEY"]["huey_class"] == "premura.core.queue.WalSqliteHuey"
    assert values["HUEY"]["filename"] == str(tmp_path / "huey.sqlite3")
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_the_urls_move_the_database_the_cache_and_the_queue(monkeypatch, tmp_path):
    values = settings_with(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://shop@db.internal:5432/premura",
        REDIS_URL="redis://cache.internal:6379/3",
    )
    database = values["DATABASES"]["default"]
    assert (database["ENGINE"], database["HOST"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        "premura",
    )
    assert "OPTIONS" not in database or "transaction_mode" not in database["OPTIONS"]
    assert values["HUEY"] == {
        "huey_class": "huey.RedisHuey",
        "name": "premura",
        "url": "redis://cache.internal:6379/3",
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/3",
    }


@pytest.mark.parametrize(
    ("module", "environ", "advice"),
    [
        ("redis", {"REDIS_URL": "redis://cache.internal:6379/0"}, "pip install 'premura[redis]'"),
        (
            "psycopg",
            {"DATABASE_URL": "postgres://shop@db.internal/premura"},
            "pip install 'premura[postgres]'",
        ),
    ],
)
def test_a_url_without_its_client_says_which_extra_to_install(monkeypatch, tmp_path, module, environ, advice):
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    with pytest.raises(ImproperlyConfigured, match=advice.replace("[", r"\[").replace("]", r"\]")):
        settings_with(monkeypatch, tmp_path, **environ)


def test_full_text_search_index_exists_and_is_used(customer):
    case = make_case(customer, body="La centrifuga è arrivata senza coperchio")
    from premura.conversations.search import case_ids_matching_text

    assert case_ids_matching_text("centrifughe") == [case.pk]
    assert case_ids_matching_text("coperchi arrivato") == [case.pk]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'conversations_message_fts'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'message_body_search_idx'")
        assert cursor.fetchone() is not None


def test_the_sqlite_queue_commits_like_the_database_without_an_fsync_each_time(tmp_path):
    """WAL with synchronous=NORMAL (1), as decision 0002 runs the main database; Huey's own
    default (FULL, 2) cost an fsync per enqueue: every stored e-mail and outgoing message."""
    from premura.core.queue import WalSqliteHuey

    queue = WalSqliteHuey("probe", filename=str(tmp_path / "huey.sqlite3"))
    queue.storage.enqueue(b"task")
    connection = queue.storage.conn
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert queue.storage.dequeue() == b"task"


@pytest.mark.django_db
def test_an_sqlite_connection_checkpoints_its_wal_every_40_mb_and_keeps_it_under_64_mb():
    """Decision 0002: at SQLite's default (1,000 pages) a busy stream spent a fifth of its time in
    the checkpoints its commits ran."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 10_000
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone()[0] == 64 * 1024 * 1024
