"""The console's side of the assignment rules: the new-case form's owner, and the availability
switch that hands an agent's urgent cases on."""

import pytest
from django.urls import reverse

from premura.conversations.models import Case, Priority
from premura.core.audit import events_for
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case

URL = "/console/cases/new/"
CASE = {"channel": "phone", "priority": "normal", "subject": "Telefonata", "body": "Chiede del pacco"}


@pytest.fixture
def sara(team):
    return make_agent("sara", "Sara Colombo", team=team)


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def test_the_form_offers_the_agent_themself_and_the_rules(marco_client, agent, sara):
    sara.is_available = False
    sara.save(update_fields=["is_available"])
    html = marco_client.get(URL).content.decode()
    assert f'<option value="{agent.pk}" selected>Marco Rossi</option>' in html
    assert f'<option value="{sara.pk}">Sara Colombo (assente)</option>' in html
    assert "Secondo le regole: l&#x27;operatore abituale del cliente" in html


def test_left_empty_the_rules_give_a_returning_caller_their_agent(marco_client, agent, sara, customer, team):
    make_case(customer, team=team, owner=sara)
    response = marco_client.post(URL, {"customer": customer.pk, "owner": "", **CASE})
    case = customer.cases.latest("pk")
    assert response["Location"] == reverse("console:case", args=[case.pk])
    assert (case.owner, case.team) == (sara, team)
    assert events_for(case).get(action="case.assigned").data["rule"] == "returning_customer"


def test_a_chosen_owner_is_kept(marco_client, sara, customer):
    marco_client.post(URL, {"customer": customer.pk, "owner": sara.pk, **CASE})
    assert customer.cases.get().owner == sara


@pytest.mark.parametrize("owner", ["999", "abc", "9" * 30])
def test_an_owner_that_is_no_agent_is_refused(marco_client, customer, owner):
    response = marco_client.post(URL, {"customer": customer.pk, "owner": owner, **CASE})
    assert response.status_code == 422
    assert not Case.objects.exists()


def test_the_away_switch_hands_urgent_cases_on_and_says_so(marco_client, agent, sara, customer, team):
    urgent = make_case(customer, team=team, owner=agent, priority=Priority.URGENT)
    response = marco_client.post(reverse("console:availability"), {"available": "0"}, follow=True)
    html = response.content.decode()
    assert "Sei assente: i nuovi casi vanno ai colleghi" in html
    urgent.refresh_from_db()
    agent.refresh_from_db()
    assert (agent.is_available, urgent.owner) == (False, sara)
    assert events_for(urgent).get(action="case.handed_back").actor == agent.user
    response = marco_client.post(reverse("console:availability"), {"available": "1"}, follow=True)
    assert "Sei disponibile" in response.content.decode()
