"""Agents and teams in the REST API: /api/v1/agents (administrators only), /api/v1/teams."""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.agents import services
from premura.agents.models import MANAGE_DESK_PERMISSION, Agent, Team
from premura.agents.schemas import AgentIn, AgentOut, AvailabilityIn, TeamOut
from premura.api.auth import AdminTokenAuth, current_agent
from premura.api.errors import errors, referenced
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset

router = Router(tags=["agents"])


def _agents_with_roles() -> QuerySet[Agent]:
    """Agents with their user and `is_admin`, in one query: `has_perm` per agent costs two.

    The same rule as ModelBackend.has_perm(MANAGE_DESK_PERMISSION): an active user who is a
    superuser or holds the permission directly or through a group.
    """
    app_label, codename = MANAGE_DESK_PERMISSION.split(".")
    manage_desk = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    held = Exists(manage_desk.filter(user=OuterRef("user"))) | Exists(
        manage_desk.filter(group__user=OuterRef("user"))
    )
    return Agent.objects.select_related("user").annotate(
        is_admin=Q(user__is_active=True) & (Q(user__is_superuser=True) | held)
    )


@router.get("/agents", response={200: list[AgentOut], **errors(401, 403, 422)}, auth=AdminTokenAuth())
@paginate(LimitOffset)
def list_agents(request: HttpRequest):
    """The desk's agents, by name. Administrators only."""
    return _agents_with_roles().order_by("display_name", "pk")


@router.post("/agents", response={201: AgentOut, **errors(401, 403, 409, 422)}, auth=AdminTokenAuth())
@idempotent
def create_agent(request: HttpRequest, payload: AgentIn):
    """Create a login and its agent profile, with the role `agent` or `admin`. Administrators only.
    A username already taken is a 409.
    """
    team = referenced(Team, payload.team_id, "body.team_id") if payload.team_id is not None else None
    agent = services.create_agent(
        username=payload.username,
        password=payload.password,
        display_name=payload.display_name,
        email=payload.email,
        team=team,
        role=payload.role,
        signature=payload.signature,
    )
    return Status(201, get_object_or_404(Agent.objects.select_related("user"), pk=agent.pk))


@router.put("/agents/me/availability", response={200: AgentOut, **errors(401, 403, 422)})
def set_my_availability(request: HttpRequest, payload: AvailabilityIn):
    """Set the token's agent available or away, as the console's switch does. Going away hands
    their urgent cases waiting for an answer on (an audit event on each case). Idempotent."""
    agent = current_agent(request)
    services.set_availability(agent, payload.is_available, actor=request.user)
    return get_object_or_404(Agent.objects.select_related("user"), pk=agent.pk)


@router.get("/teams", response={200: list[TeamOut], **errors(401, 403, 422)})
@paginate(LimitOffset)
def list_teams(request: HttpRequest):
    """The desk's teams, by name."""
    return Team.objects.order_by("name", "pk")
