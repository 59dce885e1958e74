"""Carriers are configured by a service: created once, updated only when something changed."""

import pytest
from django.utils import translation

from premura.core.audit import events_for
from premura.shipping.models import Carrier
from premura.shipping.services import ShipmentError, configure_carrier

BRT_PAGE = "https://vas.brt.it/vas/sped_det_show.hsm?Nspediz={tracking_number}"


def test_configuring_twice_with_the_same_values_writes_once(db):
    carrier = configure_carrier(code=" BRT ", name="BRT", tracking_url_template=BRT_PAGE)
    assert configure_carrier(code="brt", name="BRT", tracking_url_template=BRT_PAGE) == carrier
    assert (carrier.code, carrier.name, carrier.tracking_url_template) == ("brt", "BRT", BRT_PAGE)
    assert [e.action for e in events_for(carrier)] == ["carrier.created"]


def test_a_change_is_saved_and_recorded(db):
    carrier = configure_carrier(code="brt", name="BRT", tracking_url_template=BRT_PAGE)
    configure_carrier(code="brt", name="BRT Bartolini", tracking_url_template=BRT_PAGE)
    carrier.refresh_from_db()
    assert carrier.name == "BRT Bartolini"
    assert events_for(carrier).last().data == {"changes": {"name": ["BRT", "BRT Bartolini"]}}


def test_a_tracking_page_without_the_number_is_refused(db):
    with translation.override("en"), pytest.raises(ShipmentError, match="must contain"):
        configure_carrier(code="gls", name="GLS", tracking_url_template="https://gls-group.com/track")
    assert not Carrier.objects.exists()
