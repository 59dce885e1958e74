"""The Content-Security-Policy in a real Chromium: the console, the portal, the admin and the API
docs work under it, and the browser reports no violation (an inline style or script it refused)."""

import pytest

from premura.portal.links import order_path
from tests.factories.conversations import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    """Every CSP violation the browser reports on the page, as its console message."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def log_in(page, live_server, username: str, path: str = "/console/login/") -> None:
    page.goto(f"{live_server.url}{path}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("premura-test-pw")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def test_the_console_works_under_the_policy(page, live_server, violations, agent, customer, anna_order):
    case = make_case(customer, order=anna_order, subject="Pacco non arrivato", body="Dov'è il pacco?")
    log_in(page, live_server, "marco")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    page.get_by_role("textbox").first.fill("Gentile Anna, il pacco arriva oggi.")
    page.get_by_role("button", name="Invia risposta").click()
    page.get_by_text("Gentile Anna, il pacco arriva oggi.").last.wait_for()
    page.goto(f"{live_server.url}/console/cases/new/")
    assert violations == []


def test_the_portal_works_under_the_policy(page, live_server, violations, anna_order):
    page.goto(f"{live_server.url}{order_path(anna_order)}")
    assert page.url == f"{live_server.url}/portal/orders/{anna_order.pk}/"
    page.get_by_role("link", name="Contattaci per questo ordine").click()
    page.get_by_label("Articolo danneggiato").check()
    page.get_by_label("Il tuo messaggio").fill("La moka è arrivata rotta.")
    page.get_by_role("button", name="Invia").click()
    page.get_by_role("status").wait_for()
    assert violations == []


def test_the_admin_works_under_the_policy(page, live_server, violations, admin, customer):
    log_in(page, live_server, "giulia", "/admin/login/")
    for path in ("/admin/", "/admin/customers/customer/", f"/admin/customers/customer/{customer.pk}/change/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server.url}/admin/core/auditevent/")
    assert violations == []


def test_the_api_docs_work_under_the_policy(page, live_server, violations):
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("Premura API").first.wait_for()
    assert violations == []
