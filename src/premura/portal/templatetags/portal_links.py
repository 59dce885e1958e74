"""The portal's signed link of an order, for the e-mails of the apps below the portal, which may
not import it (the layers of docs/architecture.md): `{% load portal_links %}{{ order|portal_link }}`."""

from django import template

from premura.commerce.models import Order
from premura.portal.links import order_link

register = template.Library()


@register.filter
def portal_link(order: Order) -> str:
    """The absolute, signed link that opens `order` in the portal (portal.links.order_link)."""
    return order_link(order)
