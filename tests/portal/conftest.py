import datetime

import pytest
from django.core import signing

from premura.portal.links import order_path


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_link(client, link: str) -> str:
    """Open a signed link as a customer does: the path of the order page it redirects to."""
    response = client.get(link)
    assert response.status_code == 302, response.status_code
    return response["Location"]


@pytest.fixture
def anna_link(anna_order):
    """The signed link of Anna's order, as e-mails carry it."""
    return order_path(anna_order)


@pytest.fixture
def anna_path(client, anna_link):
    """The page of Anna's order, reached in `client` through her link (the session holds it)."""
    return open_link(client, anna_link)


@pytest.fixture
def made_days_ago(monkeypatch):
    """Make tokens as if signed `days` ago: TimestampSigner stamps them with an earlier time."""

    def make(days: float, order) -> str:
        earlier = int(datetime.datetime.now().timestamp() - days * 86400)
        with monkeypatch.context() as patch:
            patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(earlier))
            return order_path(order)

    return make
