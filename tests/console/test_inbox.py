import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from premura.conversations import services
from premura.conversations.models import CaseStatus
from tests.factories.conversations import make_case


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def rows_of(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def test_it_sends_anonymous_people_to_the_login_page(client, db):
    response = client.get(reverse("console:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_a_login_without_an_agent_profile_is_refused(client, db):
    user = get_user_model().objects.create_user("intruso", password="x-long-password-1")
    client.force_login(user)
    assert client.get(reverse("console:inbox")).status_code == 403


def test_the_login_page_logs_an_agent_in_in_italian(client, agent):
    page = client.get(reverse("console:login"))
    assert "Accedi" in page.content.decode()
    response = client.post(reverse("console:login"), {"username": "marco", "password": "premura-test-pw"})
    assert response.status_code == 302
    assert client.get(reverse("console:inbox")).status_code == 200


def test_inbox_views_show_the_right_cases(marco_client, agent, admin, customer, other_customer):
    mine = make_case(customer, subject="Mio", owner=agent)
    unassigned = make_case(other_customer, subject="Di nessuno")
    waiting = make_case(customer, subject="Aspetto il corriere", owner=None)
    services.change_status(waiting, CaseStatus.WAITING_ON_CARRIER)
    solved = make_case(customer, subject="Risolto", owner=admin)
    services.change_status(solved, CaseStatus.SOLVED)
    url = reverse("console:inbox")
    assert rows_of(marco_client.get(url, {"view": "mine"})) == [mine.pk]
    assert rows_of(marco_client.get(url, {"view": "unassigned"})) == [unassigned.pk]
    assert rows_of(marco_client.get(url, {"view": "open"})) == [unassigned.pk, mine.pk]
    assert rows_of(marco_client.get(url, {"view": "waiting"})) == [waiting.pk]
    assert rows_of(marco_client.get(url, {"view": "waiting_on_carrier"})) == [waiting.pk]
    assert rows_of(marco_client.get(url, {"view": "waiting_on_bank"})) == []
    assert rows_of(marco_client.get(url, {"view": "solved"})) == [solved.pk]
    assert rows_of(marco_client.get(url, {"view": "all", "owner": admin.pk, "status": "solved"})) == [
        solved.pk
    ]
    assert rows_of(marco_client.get(url, {"view": "all", "owner": "none"})) == [waiting.pk, unassigned.pk]


def test_filters_by_channel_and_priority(marco_client, customer):
    phone = make_case(customer, channel="phone")
    urgent = make_case(customer, priority="urgent")
    url = reverse("console:inbox")
    assert rows_of(marco_client.get(url, {"channel": "phone"})) == [phone.pk]
    assert rows_of(marco_client.get(url, {"priority": "urgent"})) == [urgent.pk]


def test_search_box_finds_cases_in_every_view(marco_client, customer, anna_order, other_customer):
    case = make_case(customer, order=anna_order, body="Il frullatore non si accende")
    services.change_status(case, CaseStatus.SOLVED)
    make_case(other_customer, body="Altro problema")
    url = reverse("console:inbox")
    for query in (str(case.pk), "PRM-100001", "anna.colombo@example.it", "Anna", "frullatore"):
        assert rows_of(marco_client.get(url, {"q": query})) == [case.pk], query


def test_htmx_filter_returns_only_the_list(marco_client, customer):
    make_case(customer, subject="Pacco in ritardo")
    response = marco_client.get(
        reverse("console:inbox"), {"view": "open"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-list"
    )
    html = response.content.decode()
    assert "Pacco in ritardo" in html
    assert "<html" not in html


def test_pages_are_25_cases(marco_client, customer):
    for n in range(27):
        make_case(customer, subject=f"Caso {n}")
    first = marco_client.get(reverse("console:inbox"))
    second = marco_client.get(reverse("console:inbox"), {"page": 2})
    assert len(first.context["cases"]) == 25 and first.context["has_next"] is True
    assert len(second.context["cases"]) == 2 and second.context["has_next"] is False


def test_the_page_size_is_a_setting(marco_client, customer, settings):
    settings.INBOX_PAGE_SIZE = 10
    for n in range(12):
        make_case(customer, subject=f"Caso {n}")
    first = marco_client.get(reverse("console:inbox"))
    assert len(first.context["cases"]) == 10 and first.context["has_next"] is True


BAD_NUMBERS = ["99999999999999999999", "9223372036854775808", "²", "١٢", "-3", "0", "1e3", " "]


@pytest.mark.parametrize("name", ["owner", "team", "page"])
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_number_that_cannot_be_an_id_or_a_page_is_ignored(marco_client, customer, name, value):
    case = make_case(customer, subject="Pacco in ritardo")
    response = marco_client.get(reverse("console:inbox"), {"view": "open", name: value})
    assert response.status_code == 200
    assert rows_of(response) == [case.pk]
    assert response.context["page"] == 1
    assert (response.context["filters"].owner, response.context["filters"].team) == ("", "")


def test_a_valid_owner_or_team_is_kept_in_canonical_form(marco_client, agent, team, customer):
    mine = make_case(customer, subject="Mio", owner=agent, team=team)
    make_case(customer, subject="Di nessuno", owner=None)
    response = marco_client.get(reverse("console:inbox"), {"owner": f"0{agent.pk}", "team": str(team.pk)})
    assert rows_of(response) == [mine.pk]
    assert (response.context["filters"].owner, response.context["filters"].team) == (
        str(agent.pk),
        str(team.pk),
    )


def test_a_page_past_the_last_one_is_empty_not_an_error(marco_client, customer):
    make_case(customer)
    response = marco_client.get(reverse("console:inbox"), {"page": "10000"})
    assert (response.status_code, response.context["page"], rows_of(response)) == (200, 10000, [])
