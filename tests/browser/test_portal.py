"""The portal in a real Chromium: htmx submits the contact form and the reply box in place."""

import pytest
from django.contrib.staticfiles import finders

from premura.conversations.models import Case
from premura.portal.links import order_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTMX = "premura/htmx-2.0.11.min.js"


def test_htmx_is_served_from_our_static_files():
    assert finders.find(HTMX)


def test_customer_writes_from_the_link_and_answers_on_the_case(page, live_server, anna_order):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}{order_path(anna_order)}")
    assert page.get_by_text("Spedizione in transito verso Milano").is_visible()

    page.get_by_role("link", name="Contact us about this order").click()
    page.get_by_label("Damaged item").check()
    page.get_by_label("Your message").fill("La moka è arrivata con il manico rotto.")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    page.get_by_label("Photo or document (optional)").set_input_files(
        files=[{"name": "foto.png", "mimeType": "image/png", "buffer": png}]
    )
    url_before = page.url
    page.get_by_role("button", name="Send").click()
    confirmation = page.get_by_role("status")
    confirmation.wait_for()
    case = Case.objects.get()
    assert f"Your case number is #{case.pk}." in confirmation.inner_text()
    assert page.url == url_before  # htmx swapped the form in place
    assert case.messages.get(direction="inbound").attachments.get().filename == "foto.png"

    page.get_by_role("link", name="See your request").click()
    page.get_by_label("Your reply").fill("Vi mando una foto domani.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply has been sent.").wait_for()
    assert page.locator(".message-inbound").last.inner_text().endswith("Vi mando una foto domani.")
    # Her two messages and the shop's acknowledgement, which the case page shows her as well.
    assert case.messages.count() == 3
    assert page.locator(".message-outbound").first.inner_text().startswith("Premura")


def test_the_language_switch_changes_the_page(page, live_server, anna_order):
    page.goto(f"{live_server.url}{order_path(anna_order)}")
    assert page.locator("html").get_attribute("lang") == "it"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Order PRM-100001").is_visible()


def test_a_tampered_link_is_refused_and_shows_nothing(page, live_server, anna_order):
    path = order_path(anna_order)
    token = path.split("/")[3]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = page.goto(f"{live_server.url}/portal/o/{tampered}/")
    assert response.status == 403
    body = page.locator("body").inner_text()
    assert "PRM-100001" not in body
    assert "084012345678" not in body
    assert "Spedizione in transito" not in body
