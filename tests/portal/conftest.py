import datetime

import pytest
from django.core import signing

from premura.portal.links import order_path


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def anna_path(anna_order):
    return order_path(anna_order)


@pytest.fixture
def made_days_ago(monkeypatch):
    """Make tokens as if signed `days` ago: TimestampSigner stamps them with an earlier time."""

    def make(days: float, order) -> str:
        earlier = int(datetime.datetime.now().timestamp() - days * 86400)
        with monkeypatch.context() as patch:
            patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(earlier))
            return order_path(order)

    return make
