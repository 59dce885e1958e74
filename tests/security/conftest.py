"""The API personas of tests/api, for the security tests that go through the API."""

import pytest

from premura.portal.links import order_path
from tests.api.conftest import admin_api, agent_api  # noqa: F401


@pytest.fixture
def anna_portal(client, anna_order, settings, tmp_path) -> str:
    """Anna opens the link of her order in `client`; the path of the portal page it leads to."""
    settings.MEDIA_ROOT = tmp_path / "media"
    response = client.get(order_path(anna_order))
    assert response.status_code == 302
    return response["Location"]
