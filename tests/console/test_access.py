import pytest
from django.urls import reverse

ADMIN_PAGES = [
    "admin:index",
    "admin:agents_agent_changelist",
    "admin:auth_user_changelist",
    "admin:core_auditevent_changelist",
    "admin:api_apitoken_changelist",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_an_agent_without_admin_rights_cannot_reach_admin_pages(client, agent, page):
    client.force_login(agent.user)
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_an_administrator_reaches_admin_pages(client, admin, page):
    client.force_login(admin.user)
    assert client.get(reverse(page)).status_code == 200


def test_the_settings_link_is_shown_to_administrators_only(client, agent, admin):
    client.force_login(agent.user)
    assert reverse("admin:index") not in client.get(reverse("console:inbox")).content.decode()
    client.force_login(admin.user)
    assert reverse("admin:index") in client.get(reverse("console:inbox")).content.decode()


def test_an_agent_demoted_from_admin_loses_access(client, admin):
    from premura.agents.models import Role
    from premura.agents.services import set_role

    set_role(admin, Role.AGENT)
    client.force_login(admin.user)
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_agent_sets_themself_away_and_back(client, agent):
    client.force_login(agent.user)
    response = client.post(reverse("console:availability"), {"available": "0", "next": "/console/?view=mine"})
    assert response["Location"] == "/console/?view=mine"
    agent.refresh_from_db()
    assert agent.is_available is False
    assert "Away" in client.get(reverse("console:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("console:availability"), {"available": "1"})
    agent.refresh_from_db()
    assert agent.is_available is True


@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/x"])
def test_the_availability_switch_never_redirects_off_site(client, agent, next_url):
    client.force_login(agent.user)
    response = client.post(reverse("console:availability"), {"available": "0", "next": next_url})
    assert response["Location"] == reverse("console:inbox")
