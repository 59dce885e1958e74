"""The shapes of agents and teams in the REST API."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, Schema
from pydantic import field_validator

from premura.agents.models import Agent, Role
from premura.api.schemas import Flag, Id, InputSchema, Text, domain_rule


class TeamOut(Schema):
    id: int
    name: str
    slug: str


class AgentOut(Schema):
    id: int
    username: str = Field(..., alias="user.username")
    email: str = Field(..., alias="user.email")
    display_name: str
    team_id: int | None
    role: str
    is_available: bool
    is_active: bool = Field(..., alias="user.is_active")

    @staticmethod
    def resolve_role(agent: Agent) -> str:
        # Lists annotate is_admin in their one query (agents.api); a single agent asks its user.
        is_admin = getattr(agent, "is_admin", None)
        if is_admin is None:
            return agent.role
        return Role.ADMIN if is_admin else Role.AGENT


class AgentIn(InputSchema):
    username: str = Text(150, min_length=1, pattern=r"^[\w.@+-]+$")
    password: str = Text(128, min_length=1, description="Checked by the desk's password rules.")
    display_name: str = Text(100, min_length=1)
    email: str = Field("", max_length=254)
    team_id: Id | None = None
    role: Role = Role.AGENT
    signature: str = Field("", max_length=2000)

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise domain_rule(" ".join(exc.messages)) from None
        return value


class AvailabilityIn(InputSchema):
    is_available: Flag = Field(
        ...,
        description=(
            "false: away. The assignment rules give the agent no new case, and their urgent cases "
            "waiting for an answer go to the next available agent of their team, else to its queue."
        ),
    )
