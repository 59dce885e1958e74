"""Shop connectors (decision 0029): one module per platform behind the interface of base.py,
chosen per shop by its ShopConnection row, like Django's mail and session backends."""

from django.utils.module_loading import import_string

from premura.commerce.connectors.base import Connector
from premura.commerce.models import ShopConnection

CONNECTORS = {
    "shopify": "premura.commerce.connectors.shopify.ShopifyConnector",
    "woocommerce": "premura.commerce.connectors.woocommerce.WooCommerceConnector",
    "generic": "premura.commerce.connectors.generic.GenericConnector",
    "prestashop": "premura.commerce.connectors.prestashop.PrestaShopConnector",
}


def connector_class(platform: str) -> type[Connector]:
    """The connector class of a platform, imported on first use."""
    return import_string(CONNECTORS[platform])


def connector_for(connection: ShopConnection) -> Connector:
    """The connector of the connection's platform."""
    return connector_class(connection.platform)(connection)
