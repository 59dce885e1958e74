"""The shapes of agents and teams in the REST API."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, Schema
from pydantic import field_validator

from premura.agents.models import Role


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


class AgentIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(..., min_length=1, max_length=128)
    display_name: str = Field(..., min_length=1, max_length=100)
    email: str = Field("", max_length=254)
    team_id: int | None = None
    role: Role = Role.AGENT
    signature: str = ""

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        return value
