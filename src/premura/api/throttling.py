"""The API's rate limit: THROTTLE_API_TOKEN requests per token, then 429 with Retry-After.

django-ninja runs throttles after authentication, so the token is known; it is counted in
premura.core.throttle, like the portal's limits. The 429 has the body of every other API error.
"""

import threading

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from premura.core.throttle import hit, parse_rate


class TokenRateThrottle(BaseThrottle):
    """THROTTLE_API_TOKEN (read on every request) per API token."""

    def __init__(self) -> None:
        # ninja asks wait() after allow_request(); requests on other threads must not mix them.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token_id = getattr(request, "api_token_id", None)
        wait = (
            None
            if token_id is None
            else hit("api-token", str(token_id), parse_rate(settings.THROTTLE_API_TOKEN))
        )
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def register_throttle_handler(api: NinjaAPI) -> None:
    """429 as ``{"detail": ...}`` with Retry-After, instead of ninja's bare HttpError answer."""

    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        seconds = max(1, round(exc.wait or 1))
        detail = _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": seconds}
        response = api.create_response(request, {"detail": detail}, status=429)
        response["Retry-After"] = str(seconds)
        return response

    api.add_exception_handler(Throttled, throttled)
