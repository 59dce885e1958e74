"""Who may use the agents' pages: the console and the channel pages mounted under it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from premura.agents.models import MANAGE_DESK_PERMISSION, Agent


def agent_required(view):
    """Only people with an agent profile work in the console; the agent is passed to the view.

    Anonymous users are sent to the login page; a logged-in user without an agent profile gets 403.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        agent = Agent.objects.filter(user=request.user).select_related("team").first()
        if agent is None:
            raise PermissionDenied
        return view(request, agent, *args, **kwargs)

    return wrapper


def is_manager(agent: Agent) -> bool:
    """Administrators and team leads: they see the desk's and the carriers' figures."""
    return agent.user.has_perm(MANAGE_DESK_PERMISSION) or agent.led_teams.exists()


def manager_required(view):
    """Like agent_required, and only for managers (is_manager); another agent gets 403."""

    @agent_required
    @wraps(view)
    def wrapper(request: HttpRequest, agent: Agent, *args, **kwargs):
        if not is_manager(agent):
            raise PermissionDenied
        return view(request, agent, *args, **kwargs)

    return wrapper
