"""Availability changes only through agents.services.set_availability, which the Django admin
uses too: its form shows the flag read-only, its actions hand an absent agent's urgent cases on."""

from django.urls import reverse

from premura.conversations.models import Priority
from premura.core.audit import events_for
from tests.factories.conversations import make_case


def test_an_administrator_sets_an_agent_away_from_the_admin(client, admin, agent, customer, team):
    urgent = make_case(customer, team=team, owner=agent, priority=Priority.URGENT)
    client.force_login(admin.user)
    changelist = reverse("admin:agents_agent_changelist")
    response = client.post(changelist, {"action": "set_away", "_selected_action": [agent.pk]})
    assert response.status_code == 302
    agent.refresh_from_db()
    urgent.refresh_from_db()
    # Giulia is the one other available agent of the team.
    assert (agent.is_available, urgent.owner) == (False, admin)
    handed = events_for(urgent).get(action="case.handed_back")
    assert (handed.actor, handed.data["away"]) == (admin.user, "Marco Rossi")
    form = client.get(reverse("admin:agents_agent_change", args=[agent.pk])).content.decode()
    assert 'name="is_available"' not in form
