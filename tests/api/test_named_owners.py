"""The API opens cases by the assignment rules unless told an owner, and switches the token's
agent available or away (handing their urgent cases on)."""

import pytest

from premura.agents.models import Agent, Team
from premura.conversations.models import Case, Priority
from premura.core.audit import events_for
from tests.api.conftest import row_counts
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case

CASE = {"subject": "Reso", "body": "La cliente chiede un reso."}


@pytest.fixture
def sara(team):
    return make_agent("sara", "Sara Colombo", team=team)


def open_case(api, customer, **fields):
    response = api.post("/api/v1/cases", {"customer_id": customer.pk, **CASE, **fields})
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["id"])


def test_without_an_owner_the_rules_choose_the_customer_s_agent(agent_api, agent, sara, customer, team):
    make_case(customer, team=team, owner=sara)
    case = open_case(agent_api, customer)
    assert (case.owner, case.team) == (sara, team)
    assert events_for(case).get(action="case.assigned").data["rule"] == "returning_customer"


def test_an_owner_or_null_is_kept_and_a_team_may_be_named(agent_api, agent, sara, customer, team):
    returns = Team.objects.create(name="Resi", slug="resi")
    assert open_case(agent_api, customer, owner_id=sara.pk).owner == sara
    queued = open_case(agent_api, customer, owner_id=None, team_id=returns.pk)
    assert (queued.owner, queued.team) == (None, returns)


def test_an_unknown_owner_or_team_is_refused_and_nothing_written(agent_api, customer):
    before = row_counts()
    for field, value, error in [
        ("owner_id", 999, "There is no agent with id 999."),
        ("team_id", 999, "There is no team with id 999."),
        ("team_id", None, "Input should be a valid integer"),
    ]:
        response = agent_api.post("/api/v1/cases", {"customer_id": customer.pk, **CASE, field: value})
        assert response.status_code == 422
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [(f"body.{field}", error)]
    assert row_counts() == before


def test_going_away_through_the_api_hands_urgent_cases_on(agent_api, agent, sara, customer, team):
    urgent = make_case(customer, team=team, owner=agent, priority=Priority.URGENT)
    response = agent_api.put("/api/v1/agents/me/availability", {"is_available": False})
    assert response.status_code == 200, response.content
    assert (response.json()["username"], response.json()["is_available"]) == ("marco", False)
    urgent.refresh_from_db()
    assert urgent.owner == sara
    handed = events_for(urgent).get(action="case.handed_back")
    assert (handed.actor, handed.data["away"], handed.data["owner"]) == (
        agent.user,
        "Marco Rossi",
        "Sara Colombo",
    )
    # Away, Marco gets no new case of his team; back, he does again.
    assert open_case(agent_api, customer).owner == sara
    response = agent_api.put("/api/v1/agents/me/availability", {"is_available": True})
    assert response.json()["is_available"] is True
    assert Agent.objects.get(pk=agent.pk).is_available


@pytest.mark.parametrize(
    "body", [{}, {"is_available": "false"}, {"is_available": 0}, {"is_available": False, "x": 1}]
)
def test_availability_takes_only_a_json_boolean(agent_api, agent, body):
    before = row_counts()
    response = agent_api.put("/api/v1/agents/me/availability", body)
    assert response.status_code == 422
    assert row_counts() == before
    assert Agent.objects.get(pk=agent.pk).is_available
