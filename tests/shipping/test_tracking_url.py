"""The carrier's tracking link: the tracking number is a value in the carrier's URL, never a part
of its syntax (a parameter, a fragment, a path or a host of its own)."""

import pytest

from tests.factories.shipping import CarrierFactory, ShipmentFactory

BRT = "https://vas.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&Nspediz="


def test_a_plain_number_is_spliced_as_it_is(db):
    assert ShipmentFactory(tracking_number="084012345678").tracking_url == BRT + "084012345678"


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        ("0840&referer=evil.example", "0840%26referer%3Devil.example"),
        ("0840#top", "0840%23top"),
        ("ZX 123/../../admin?x=1", "ZX%20123%2F..%2F..%2Fadmin%3Fx%3D1"),
        ('0840"><script>', "0840%22%3E%3Cscript%3E"),
    ],
)
def test_a_hostile_number_is_percent_encoded(db, number, encoded):
    assert ShipmentFactory(tracking_number=number).tracking_url == BRT + encoded


def test_a_number_in_the_path_cannot_change_the_host(db):
    carrier = CarrierFactory(
        code="gls", name="GLS", tracking_url_template="https://gls.example/{tracking_number}"
    )
    shipment = ShipmentFactory(carrier=carrier, tracking_number="@evil.example/x")
    assert shipment.tracking_url == "https://gls.example/%40evil.example%2Fx"


def test_a_carrier_without_a_template_has_no_link(db):
    carrier = CarrierFactory(code="posta", name="Poste", tracking_url_template="")
    assert ShipmentFactory(carrier=carrier).tracking_url == ""
