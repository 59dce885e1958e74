"""The portal's session: the signed links this browser opened, by order (decision 0006).

The link's token is kept as it is, so every page checks it again exactly as the link was checked
(signature, PORTAL_LINK_MAX_AGE_DAYS, the order still the customer's): the session never grants
more, nor for longer, than the link. It only takes the token out of the URL.
"""

from django.http import HttpRequest

from premura.commerce.models import Order

SESSION_KEY = "portal_links"
# A browser that opens many links keeps the most recent ones.
MAX_LINKS = 20


def remember_link(request: HttpRequest, order: Order, token: str) -> None:
    """Keep the token of a link that was just checked, for its order, in a fresh session key.

    The key is cycled (as at login) so a session id planted in the browser beforehand is not the
    one that gains the order.
    """
    links = dict(request.session.get(SESSION_KEY, {}))
    links.pop(str(order.pk), None)
    links[str(order.pk)] = token
    request.session[SESSION_KEY] = dict(list(links.items())[-MAX_LINKS:])
    request.session.cycle_key()


def remembered_token(request: HttpRequest, order_id: int) -> str | None:
    """The token of the link this session opened for the order, if any."""
    links = request.session.get(SESSION_KEY, {})
    token = links.get(str(order_id)) if isinstance(links, dict) else None
    return token if isinstance(token, str) else None
