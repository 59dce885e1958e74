"""Token authentication of the REST API: ``Authorization: Bearer <token>``.

A token is an ApiToken (stored as its SHA-256). It authenticates its user, who must be an active
agent of the desk; handlers read the agent from ``request.auth`` and the user from ``request.user``.
"""

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

from premura.agents.models import MANAGE_DESK_PERMISSION, Agent
from premura.api.models import ApiToken, hash_token

# last_used_at is written at most this often per token: one UPDATE a minute, not one a request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuth(HttpBearer):
    """Bearer-token authentication; returns the token's Agent, which becomes ``request.auth``.

    Raises AuthenticationError (401) for a missing, unknown or revoked token or an inactive user,
    AuthorizationError (403) for a valid token whose user is not an agent.
    """

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not raw.strip():
            raise AuthenticationError(message=_("Missing API token: send 'Authorization: Bearer <token>'."))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Agent:
        try:
            api_token = ApiToken.objects.select_related("user").get(key_hash=hash_token(token))
        except ApiToken.DoesNotExist:
            raise AuthenticationError(message=_("Invalid API token.")) from None
        if api_token.revoked_at is not None:
            raise AuthenticationError(message=_("This API token has been revoked."))
        user = api_token.user
        if not user.is_active:
            raise AuthenticationError(message=_("The user of this API token is inactive."))
        agent = Agent.objects.filter(user=user).select_related("team").first()
        if agent is None:
            raise AuthorizationError(message=_("Only agents of the desk may use the API."))
        _touch(api_token)
        agent.user = user
        request.user = user
        request.api_token_id = api_token.pk  # what the rate limit counts (api/throttling.py)
        return agent


def _touch(api_token: ApiToken) -> None:
    """Record that the token was used, at most once a LAST_USED_RESOLUTION (a conditional UPDATE)."""
    now = timezone.now()
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=api_token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


class AdminTokenAuth(ApiTokenAuth):
    """ApiTokenAuth, then 403 unless the agent is a desk administrator.

    Checked while authenticating, before the body is read: an agent without the role learns
    nothing from validation errors about an endpoint they may not use.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Agent:
        agent = super().authenticate(request, token)
        if not agent.user.has_perm(MANAGE_DESK_PERMISSION):
            raise AuthorizationError(message=_("This needs the administrator role."))
        return agent


def current_agent(request: HttpRequest) -> Agent:
    """The agent the request's token belongs to."""
    return request.auth  # type: ignore[attr-defined]
