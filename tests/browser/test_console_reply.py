import pytest

from premura.conversations.models import Message
from tests.factories.conversations import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_opens_a_case_and_replies_in_italian(page, live_server, agent, customer, anna_order):
    case = make_case(
        customer,
        order=anna_order,
        subject="Pacco non arrivato",
        body="Buongiorno, aspetto ancora il mio ordine.",
    )

    page.goto(f"{live_server.url}/console/login/")
    assert page.get_by_role("heading", name="Console dell'assistenza clienti").is_visible()
    page.get_by_label("Nome utente").fill("marco")
    page.get_by_label("Password").fill("premura-test-pw")
    page.get_by_role("button", name="Accedi").click()

    page.get_by_role("link", name="Pacco non arrivato").click()
    page.wait_for_url(f"**/console/cases/{case.pk}/")
    assert page.get_by_text("Spedizione in transito verso Milano").is_visible()

    page.keyboard.press("r")  # the keyboard shortcut focuses the reply box
    page.keyboard.type("Gentile Anna, il pacco è in consegna oggi. Ci scusiamo per l'attesa.")
    page.get_by_role("button", name="Invia risposta").click()

    reply = page.locator(".msg-outbound").last
    reply.wait_for()
    assert "il pacco è in consegna oggi" in reply.inner_text()
    assert "Marco Rossi" in reply.inner_text()
    assert "Marco Rossi ha preso in carico il caso" in page.locator(".timeline").inner_text()
    stored = Message.objects.get(case=case, direction="outbound")
    assert stored.author_name == "Marco Rossi"


def test_english_is_one_click_away(page, live_server, agent):
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_role("button", name="EN").click()
    assert page.get_by_role("heading", name="Customer care console").is_visible()
