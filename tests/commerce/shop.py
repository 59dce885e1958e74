"""Fixtures of a shop on Shopify for any test (a pytest plugin of tests/conftest.py): a fake Shopify
shop on 127.0.0.1 (fake_shopify), its connection, and orders from it; the same for a PrestaShop
shop (fake_prestashop)."""

from decimal import Decimal

import pytest

from premura.commerce.models import OrderStatus, PaymentState, ShopConnection
from tests.commerce import fake_prestashop
from tests.commerce.fake_shopify import FakeShopify, start
from tests.factories.commerce import OrderFactory, OrderLineFactory, PaymentFactory

SHOPIFY_SECRET = "shpss_client_secret"


@pytest.fixture
def shopify():
    shop = FakeShopify()
    server = start(shop)
    yield shop
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop_connection(db, shopify) -> ShopConnection:
    connection = ShopConnection(
        platform="shopify", name="Bottega on Shopify", slug="bottega", api_url=shopify.url
    )
    connection.access_token = shopify.token
    connection.webhook_secret = SHOPIFY_SECRET
    connection.save()
    return connection


def shop_order(
    shopify: FakeShopify,
    customer,
    *,
    external_id: str = "450789469",
    state: str = PaymentState.CAPTURED,
    status: str = OrderStatus.PAID,
):
    """An order of 54.90 € from the Shopify shop, paid by card (authorised or captured), known to
    both sides."""
    order = OrderFactory(customer=customer, source="bottega", external_id=external_id, status=status)
    line = OrderLineFactory(order=order)
    PaymentFactory(order=order, state=state, amount=Decimal("54.90"))
    shopify.add_order(
        external_id, amount="54.90", captured=state != PaymentState.AUTHORIZED, skus=(line.sku,)
    )
    return order


@pytest.fixture
def prestashop():
    shop = fake_prestashop.FakePrestaShop()
    server = fake_prestashop.start(shop)
    yield shop
    server.shutdown()
    server.server_close()


@pytest.fixture
def prestashop_connection(db, prestashop) -> ShopConnection:
    connection = ShopConnection(
        platform="prestashop", name="Emporio on PrestaShop", slug="emporio", api_url=prestashop.url
    )
    connection.access_token = prestashop.key
    connection.save()
    return connection
