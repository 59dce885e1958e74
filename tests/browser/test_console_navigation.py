"""The header's language switch and availability button keep the agent where they were."""

import pytest

from premura.agents.models import Agent
from tests.factories.conversations import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox_page_two(agent_page, live_server, customer):
    """Marco on the second page of the inbox filtered by priority: an address htmx pushed."""
    page = agent_page
    for n in range(27):
        make_case(customer, subject=f"Caso {n}", priority="normal")
    make_case(customer, subject="Urgente", priority="urgent")
    page.goto(f"{live_server.url}/console/?view=open")
    with page.expect_response(lambda r: "priority=normal" in r.url):
        page.locator(".filters select[name=priority]").select_option("normal")
    page.wait_for_url("**priority=normal**")
    page.locator(".pager a").last.click()
    page.wait_for_url("**page=2**")
    assert page.locator("tr.case-row").count() == 2
    return page.url


def test_the_language_switch_returns_to_the_same_filtered_page(page, inbox_page_two):
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Log out").wait_for()
    assert page.url == inbox_page_two
    assert page.locator("tr.case-row").count() == 2
    assert page.locator(".filters select[name=priority]").input_value() == "normal"


def test_the_availability_button_returns_to_the_same_filtered_page(page, inbox_page_two, agent):
    page.locator("button[name=available]").click()
    page.locator("button[name=available][value='1']").wait_for()
    assert page.url == inbox_page_two
    assert page.locator("tr.case-row").count() == 2
    assert Agent.objects.get(pk=agent.pk).is_available is False
