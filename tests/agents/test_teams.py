"""Teams are created by a service that records who made them."""

import pytest
from django.db import IntegrityError

from premura.agents.exceptions import AgentError
from premura.agents.models import Team
from premura.agents.services import create_team, set_team_lead
from premura.core.audit import events_for


def test_a_team_gets_a_slug_from_its_name_and_an_audit_event(admin):
    team = create_team(name="  Resi e   rimborsi ", actor=admin.user)
    assert (team.name, team.slug) == ("Resi e rimborsi", "resi-e-rimborsi")
    (event,) = events_for(team)
    assert (event.action, event.actor, event.data) == (
        "team.created",
        admin.user,
        {"name": "Resi e rimborsi", "slug": "resi-e-rimborsi"},
    )


def test_a_taken_name_writes_nothing(team):
    with pytest.raises(IntegrityError):
        create_team(name=team.name, slug="altro")
    assert Team.objects.count() == 1


def test_a_team_s_lead_is_one_of_its_agents_and_the_change_is_recorded(admin, agent, team):
    assert set_team_lead(team, agent, actor=admin.user) is True
    assert set_team_lead(team, agent, actor=admin.user) is False  # idempotent: nothing more written
    team.refresh_from_db()
    assert team.lead == agent
    [event] = [e for e in events_for(team) if e.action == "team.lead_changed"]
    assert (event.actor, event.data) == (admin.user, {"lead_id": agent.pk, "lead_name": "Marco Rossi"})


def test_an_agent_of_another_team_cannot_lead_it(agent, team):
    other = create_team(name="Resi e rimborsi")
    with pytest.raises(AgentError):
        set_team_lead(other, agent)
    other.refresh_from_db()
    assert other.lead is None
    assert [e.action for e in events_for(other)] == ["team.created"]
