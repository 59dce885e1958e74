import datetime

import factory
from django.utils import timezone

from premura.shipping.models import Carrier, Shipment, TrackingEvent, TrackingStatus
from tests.factories.commerce import OrderFactory


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = "brt"
    name = "BRT"
    tracking_url_template = (
        "https://vas.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&Nspediz={tracking_number}"
    )


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    carrier = factory.SubFactory(CarrierFactory)
    tracking_number = factory.Sequence(lambda n: f"0840{n:08d}")
    status = TrackingStatus.IN_TRANSIT
    promised_delivery_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=2))
    shipped_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    shipment = factory.SubFactory(ShipmentFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    status = TrackingStatus.IN_TRANSIT
    raw_code = "IN TRANSITO"
    raw_description = "Spedizione in transito"
    location = "Hub BRT Bologna"
