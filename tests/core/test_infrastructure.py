"""The real components the product runs on: the configured database and, at scale, Redis."""

import os
import uuid

import pytest
from django.db import connection
from huey import RedisHuey

from tests.conftest import IN_CI
from tests.factories.conversations import make_case


def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or ("redis://127.0.0.1:6379/0" if IN_CI else "")
    if not url:
        pytest.skip("no REDIS_URL")
    return url


def test_huey_on_redis_queues_and_runs_a_task():
    huey = RedisHuey(f"premura-test-{uuid.uuid4().hex}", url=redis_url())

    @huey.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    assert result.get() == 5
    huey.storage.flush_all()


def test_cache_uses_redis_when_configured(settings):
    from django.core.cache import cache

    if not os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
        return
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"premura-test-{uuid.uuid4().hex}"
    cache.set(key, "ok", 5)
    assert cache.get(key) == "ok"


def test_the_configured_database_is_the_one_in_use(db):
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


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
