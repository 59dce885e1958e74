"""The API personas of tests/api, for the security tests that go through the API."""

import pytest
from django.core.cache import cache

from tests.api.conftest import _fast_password_hashing, admin_api, agent_api  # noqa: F401


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttles count in the cache: every test starts with no request counted."""
    cache.clear()
    yield
    cache.clear()
