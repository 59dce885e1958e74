import datetime
import zoneinfo
from decimal import Decimal

import pytest

from premura.care.models import Compensation, CompensationRule
from premura.channels.models import Mailbox
from premura.core.clock import frozen_at
from premura.shipping.models import Shipment
from premura.shipping.signals import risk_changed
from tests.channels.conftest import peer, smtp_mailbox  # noqa: F401  (the real SMTP peer)
from tests.factories.commerce import OrderFactory, OrderLineFactory
from tests.factories.shipping import ShipmentFactory

ROME = zoneinfo.ZoneInfo("Europe/Rome")
# Tuesday 1 December 2026, 10:00 in Milan; the parcel was promised for Thursday 3 December.
MORNING = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=ROME)
PROMISED = datetime.date(2026, 12, 3)


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(
        address="assistenza@bottega.example", display_name="Bottega Premura", default_team=team
    )


@pytest.fixture
def shipment(customer):
    order = OrderFactory(customer=customer, number="PRM-300001", total=Decimal("89.00"))
    OrderLineFactory(order=order, name="Moka", category="Caffè", total=Decimal("39.00"))
    OrderLineFactory(order=order, name="Macinacaffè", category="Cucina", total=Decimal("50.00"))
    return ShipmentFactory(order=order, promised_delivery_date=PROMISED)


@pytest.fixture
def coupon_rule(db):
    return CompensationRule.objects.create(
        position=1,
        name="Late: 10% on the category",
        compensation=Compensation.COUPON_PERCENT,
        value=Decimal("10"),
        same_category=True,
        valid_days=60,
    )


@pytest.fixture
def morning():
    with frozen_at(MORNING):
        yield MORNING


def signal(shipment: Shipment, risk_signal: str, expected_date: datetime.date | None, **fields) -> None:
    """What the detector does: set the shipment's fields, save, send risk_changed."""
    for name, value in fields.items():
        setattr(shipment, name, value)
    shipment.save()
    risk_changed.send(
        sender=Shipment, shipment=shipment, risk_signal=risk_signal, expected_date=expected_date, level="high"
    )
