"""Personas shared by the whole suite (hc's Alice/Bob/Charlie, zulip's example users):

- `admin`: Giulia, an administrator of the desk;
- `agent`: Marco, an agent of the shipping team, without admin rights;
- `customer`: Anna, with order `anna_order` (shipped with BRT, tracking history);
- `other_customer`: Bruno, with order `bruno_order`, who must never see Anna's data.
"""

import datetime
import os

import pytest
from django.utils import timezone

from premura.agents.models import Role, Team
from tests.factories.agents import make_agent
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory
from tests.factories.customers import CustomerFactory, EmailIdentityFactory
from tests.factories.shipping import ShipmentFactory, TrackingEventFactory

# The fake Shopify shop and its connection (tests/commerce/shop.py), for commerce, care and console.
pytest_plugins = ["tests.commerce.shop"]

# In CI a test that needs a real component (PostgreSQL, Redis, Chromium) must run, not skip.
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests make agents and demo shops; the production hasher would spend most of the suite's
    time hashing their passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_shop_settings():
    """The shop settings are cached outside transactions (a live-server test fills the cache), and
    the database is emptied after each test: no test may see another's cached row."""
    from django.core.cache import cache

    from premura.shop.models import CACHE_KEY

    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits count in the cache (premura.core.throttle): each test starts with none counted,
    whatever ids and addresses earlier tests used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _huey_immediate(settings):
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture
def team(db):
    return Team.objects.create(name="Ordini e spedizioni", slug="ordini")


@pytest.fixture
def admin(db, team):
    return make_agent("giulia", "Giulia Bianchi", role=Role.ADMIN, team=team)


@pytest.fixture
def agent(db, team):
    return make_agent("marco", "Marco Rossi", team=team)


@pytest.fixture
def customer(db):
    anna = CustomerFactory(full_name="Anna Colombo", language="it")
    EmailIdentityFactory(customer=anna, value="anna.colombo@example.it")
    return anna


@pytest.fixture
def anna_order(customer):
    order = OrderFactory(customer=customer, number="PRM-100001", email="anna.colombo@example.it")
    OrderLineFactory(order=order)
    PaymentFactory(order=order)
    shipment = ShipmentFactory(order=order, tracking_number="084012345678")
    TrackingEventFactory(
        shipment=shipment,
        status="info_received",
        raw_code="DATI RICEVUTI",
        raw_description="Dati della spedizione ricevuti",
        occurred_at=timezone.now() - datetime.timedelta(days=1),
    )
    TrackingEventFactory(shipment=shipment, raw_description="Spedizione in transito verso Milano")
    return order


@pytest.fixture
def other_customer(db):
    bruno = CustomerFactory(full_name="Bruno Ferri", language="it")
    EmailIdentityFactory(customer=bruno, value="bruno.ferri@example.it")
    return bruno


@pytest.fixture
def bruno_order(other_customer):
    order = OrderFactory(customer=other_customer, number="PRM-100002", email="bruno.ferri@example.it")
    OrderLineFactory(order=order, name="Zaino da trekking 30L")
    shipment = ShipmentFactory(order=order, tracking_number="084099999999")
    TrackingEventFactory(shipment=shipment, raw_description="Consegna a Torino prevista domani")
    return order
