"""Agents (administrators only) and teams through the API."""

import pytest
from django.contrib.auth import get_user_model

from premura.agents.models import MANAGE_DESK_PERMISSION, Agent, Role
from tests.api.conftest import row_counts


def test_an_admin_creates_an_agent_with_a_role(admin_api, team):
    response = admin_api.post(
        "/api/v1/agents",
        {
            "username": "sara",
            "password": "una-password-lunga-2026",
            "display_name": "Sara Verdi",
            "email": "sara@bottega.example",
            "team_id": team.pk,
            "role": "admin",
        },
    )
    assert response.status_code == 201, response.content
    sara = Agent.objects.get(user__username="sara")
    assert response.json() == {
        "id": sara.pk,
        "username": "sara",
        "email": "sara@bottega.example",
        "display_name": "Sara Verdi",
        "team_id": team.pk,
        "role": "admin",
        "is_available": True,
        "is_active": True,
    }
    assert sara.user.has_perm(MANAGE_DESK_PERMISSION)
    assert sara.user.check_password("una-password-lunga-2026")


def test_an_admin_lists_the_agents(admin_api, admin, agent):
    response = admin_api.get("/api/v1/agents")
    assert response.status_code == 200
    assert [(a["username"], a["display_name"], a["role"]) for a in response.json()["items"]] == [
        ("giulia", "Giulia Bianchi", "admin"),
        ("marco", "Marco Rossi", "agent"),
    ]


def test_a_taken_username_is_a_conflict(admin_api, agent):
    before = row_counts()
    response = admin_api.post(
        "/api/v1/agents",
        {"username": "marco", "password": "una-password-lunga-2026", "display_name": "Marco Bis"},
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "This username is taken."}
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"password": "corta"}, "body.password: This password is too short."),
        ({"role": "boss"}, "body.role: Input should be 'admin' or 'agent'"),
        ({"username": "con spazi"}, "body.username: String should match pattern"),
        ({"team_id": 555}, "body.team_id: There is no team with id 555."),
    ],
)
def test_invalid_agent_input_names_the_field(admin_api, body, detail):
    payload = {
        "username": "sara",
        "password": "una-password-lunga-2026",
        "display_name": "Sara Verdi",
        **body,
    }
    response = admin_api.post("/api/v1/agents", payload)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail), response.json()
    assert not get_user_model().objects.filter(username="sara").exists()


def test_any_agent_lists_the_teams(agent_api, team):
    response = agent_api.get("/api/v1/teams")
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"id": team.pk, "name": "Ordini e spedizioni", "slug": "ordini"}],
        "count": 1,
        "count_is_capped": False,
        "limit": 25,
        "offset": 0,
    }


def test_listing_agents_is_one_query_whatever_their_number(
    admin_api, admin, agent, team, django_assert_num_queries
):
    from django.contrib.auth.models import Permission

    from tests.factories.agents import make_agent

    direct = make_agent("luca", "Luca Neri", team=team)
    direct.user.user_permissions.add(Permission.objects.get(codename="manage_desk"))
    for n in range(5):
        make_agent(f"agente{n}", f"Agente {n}", team=team)
    inactive_admin = make_agent("ex", "Ex Admin", role=Role.ADMIN, team=team)
    get_user_model().objects.filter(pk=inactive_admin.user_id).update(is_active=False)
    # Authentication costs its own five (token, agent, last use, the admin check's two); the page
    # costs a bounded count and one query for the agents with their users and roles, not 2 per agent.
    with django_assert_num_queries(5 + 2):
        response = admin_api.get("/api/v1/agents", {"limit": 100})
    assert response.status_code == 200
    roles = {item["username"]: item["role"] for item in response.json()["items"]}
    assert roles == {
        "giulia": "admin",
        "marco": "agent",
        "luca": "admin",
        "ex": "agent",
        **{f"agente{n}": "agent" for n in range(5)},
    }
    # The same answer as has_perm, agent by agent.
    for agent_row in Agent.objects.select_related("user"):
        assert roles[agent_row.user.username] == agent_row.role
