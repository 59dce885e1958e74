"""Signed, expiring links that open one order of one customer in the portal, without a password.

E-mails embed the link::

    from premura.portal.links import order_link

    url = order_link(order)  # "https://shop.example/portal/o/<token>/"

`order_path(order)` gives the same link without the host, for pages of our own.

The token is `django.core.signing.dumps` of the order id and the customer id, under its own salt and
time-stamped. It is valid for PORTAL_LINK_MAX_AGE_DAYS days (read when the link is opened, so a
shorter setting also shortens links already sent). It grants exactly one order of one customer and
the cases on that order, nothing else. Rotating SECRET_KEY invalidates every link already sent.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from premura.commerce.models import Order

SALT = "premura.portal.order"


class InvalidLink(Exception):
    """A token that was tampered with, made for something else, or expired (`expired` tells)."""

    def __init__(self, *, expired: bool = False):
        super().__init__("expired portal link" if expired else "invalid portal link")
        self.expired = expired


@dataclass(frozen=True)
class OrderGrant:
    """What a valid token grants: this order, as long as it still belongs to this customer."""

    order_id: int
    customer_id: int


def make_token(order: Order) -> str:
    return signing.dumps({"o": order.pk, "c": order.customer_id}, salt=SALT)


def order_path(order: Order) -> str:
    """The portal page of the order, as a path ("/portal/o/<token>/")."""
    return reverse("portal:link", kwargs={"token": make_token(order)})


def order_link(order: Order) -> str:
    """The portal page of the order, as an absolute URL on SITE_URL: the one to put in e-mails."""
    return f"{settings.SITE_URL}{order_path(order)}"


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PORTAL_LINK_MAX_AGE_DAYS)


def read_token(token: str) -> OrderGrant:
    """The grant a token carries. Raises InvalidLink for a bad signature, a wrong payload, or age."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise InvalidLink(expired=True) from None
    except signing.BadSignature:
        raise InvalidLink from None
    if not isinstance(payload, dict):
        raise InvalidLink
    order_id, customer_id = payload.get("o"), payload.get("c")
    # bool is an int: refuse it too, a payload we did not make is not to be interpreted.
    if type(order_id) is not int or type(customer_id) is not int:
        raise InvalidLink
    return OrderGrant(order_id=order_id, customer_id=customer_id)
