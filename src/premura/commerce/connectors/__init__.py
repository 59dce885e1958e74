"""Shop connectors (decision 0029): one module per platform behind the interface of base.py,
chosen per shop by its ShopConnection row, like Django's mail and session backends."""

from django.utils.module_loading import import_string

from premura.commerce.connectors.base import Connector
from premura.commerce.models import ShopConnection

CONNECTORS = {
    "shopify": "premura.commerce.connectors.shopify.ShopifyConnector",
    "woocommerce": "premura.commerce.connectors.woocommerce.WooCommerceConnector",
    "generic": "premura.commerce.connectors.generic.GenericConnector",
}


def connector_for(connection: ShopConnection) -> Connector:
    """The connector of the connection's platform, imported on first use."""
    return import_string(CONNECTORS[connection.platform])(connection)
