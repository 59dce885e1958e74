"""The inbox's views and its status filter agree: "Mine" is every case of mine not yet done, and
a status the view never lists gives an empty list that says where those cases are."""

import pytest
from django.urls import reverse

from premura.conversations import services
from premura.conversations.models import CaseStatus
from tests.factories.conversations import make_case


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def rows(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def with_status(customer, owner, status):
    case = make_case(customer, owner=owner)
    services.change_status(case, status)
    return case


def test_mine_lists_my_open_and_waiting_cases(marco_client, agent, admin, customer):
    new = make_case(customer, owner=agent)
    on_carrier = with_status(customer, agent, CaseStatus.WAITING_ON_CARRIER)
    on_customer = with_status(customer, agent, CaseStatus.WAITING_ON_CUSTOMER)
    with_status(customer, agent, CaseStatus.SOLVED)
    with_status(customer, agent, CaseStatus.CLOSED)
    make_case(customer, owner=admin)
    response = marco_client.get(reverse("console:inbox"), {"view": "mine"})
    assert rows(response) == [on_customer.pk, on_carrier.pk, new.pk]
    assert dict((view.slug, count) for view, count in response.context["views"])["mine"] == "3"


def test_a_waiting_status_in_all_open_explains_the_empty_list(marco_client, customer, agent):
    with_status(customer, agent, CaseStatus.WAITING_ON_CARRIER)
    response = marco_client.get(
        reverse("console:inbox"),
        {"view": "open", "status": "waiting_on_carrier", "channel": "email"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert rows(response) == []
    html = response.content.decode()
    assert "“Waiting on carrier” cases are not in “All open”." in html
    assert (
        '<a href="?view=waiting_on_carrier&amp;status=waiting_on_carrier&amp;channel=email">'
        "See them in “Waiting on carrier”</a>"
    ) in html
    assert "No cases here." not in html


def test_a_solved_status_in_mine_points_to_my_solved_cases(marco_client, customer, agent):
    response = marco_client.get(
        reverse("console:inbox"),
        {"view": "mine", "status": "solved"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="case-list",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "“Solved” cases are not in “Mine”." in html
    assert f'<a href="?view=solved&amp;status=solved&amp;owner={agent.pk}">' in html


def test_a_status_the_view_lists_gives_no_hint(marco_client, customer, agent):
    waiting = with_status(customer, agent, CaseStatus.WAITING_ON_CARRIER)
    response = marco_client.get(reverse("console:inbox"), {"view": "mine", "status": "waiting_on_carrier"})
    assert rows(response) == [waiting.pk]
    assert response.context["elsewhere"] is None
    empty = marco_client.get(reverse("console:inbox"), {"view": "waiting", "status": "waiting_on_bank"})
    assert empty.context["elsewhere"] is None
    assert "Nessun caso qui." in empty.content.decode()
