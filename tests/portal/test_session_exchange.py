"""The signed link is exchanged for the session at once: later URLs, pages and Referer headers
never carry the token, and the session grants what the link granted, no more and no longer."""

import logging

import pytest
from django.test import Client

from premura.core.security import MaskPortalLinks
from premura.portal.links import order_path
from tests.portal.conftest import open_link

INVALID_TITLE = "This link is not valid"


def token_of(link: str) -> str:
    return link.split("/")[3]


def test_opening_a_link_leaves_its_url_for_one_without_the_token(client, anna_order, anna_link):
    response = client.get(anna_link)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/orders/{anna_order.pk}/"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_no_page_of_the_portal_names_the_token(client, anna_order, anna_link, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    token = token_of(anna_link)
    order_page = open_link(client, anna_link)
    sent = client.post(f"{order_page}contact/", {"category": "damaged", "message": "Rotto", "website": ""})
    case_page = sent["Location"]
    assert case_page.startswith(order_page) and token not in case_page
    for path in (order_page, f"{order_page}contact/", case_page):
        response = client.get(path)
        assert response.status_code == 200
        assert token not in response.content.decode()
        assert response["Referrer-Policy"] == "same-origin"


def test_without_the_link_the_order_page_is_refused(anna_order):
    stranger = Client()
    stranger.cookies["django_language"] = "en"
    response = stranger.get(f"/portal/orders/{anna_order.pk}/")
    body = response.content.decode()
    assert response.status_code == 403
    assert INVALID_TITLE in body
    assert "PRM-100001" not in body and "Moka" not in body


def test_a_session_shows_only_the_order_its_link_was_for(client, anna_path, bruno_order):
    client.cookies["django_language"] = "en"
    for path in (
        f"/portal/orders/{bruno_order.pk}/",
        f"/portal/orders/{bruno_order.pk}/contact/",
    ):
        response = client.get(path)
        assert response.status_code == 403
        assert "PRM-100002" not in response.content.decode()
    assert client.get(anna_path).status_code == 200


def test_two_links_opened_in_one_browser_each_open_their_order(client, anna_order, bruno_order):
    anna_page = open_link(client, order_path(anna_order))
    bruno_page = open_link(client, order_path(bruno_order))
    assert "PRM-100001" in client.get(anna_page).content.decode()
    assert "PRM-100002" in client.get(bruno_page).content.decode()


def test_the_session_expires_with_the_link(client, anna_order, made_days_ago, settings):
    settings.PORTAL_LINK_MAX_AGE_DAYS = 30
    page = open_link(client, made_days_ago(5, anna_order))
    assert client.get(page).status_code == 200
    settings.PORTAL_LINK_MAX_AGE_DAYS = 4
    client.cookies["django_language"] = "en"
    response = client.get(page)
    assert response.status_code == 403
    assert "The link has expired." in response.content.decode()


def test_the_session_stops_working_when_the_order_changes_hands(
    client, anna_order, anna_path, other_customer
):
    anna_order.customer = other_customer
    anna_order.save(update_fields=["customer"])
    response = client.get(anna_path)
    assert response.status_code == 403
    assert "PRM-100001" not in response.content.decode()


def test_a_tampered_link_grants_nothing_and_leaves_the_session_alone(
    client, anna_order, anna_path, bruno_order
):
    bruno_link = order_path(bruno_order)
    token = token_of(bruno_link)
    tampered = bruno_link.replace(token, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))
    assert client.get(tampered).status_code == 403
    assert client.get(f"/portal/orders/{bruno_order.pk}/").status_code == 403
    assert client.get(anna_path).status_code == 200


def test_opening_a_link_gives_the_browser_a_new_session_key(client, anna_link):
    client.get("/portal/o/garbage/")  # any earlier session, e.g. one planted by someone else
    client.session.save()
    before = client.cookies["sessionid"].value
    open_link(client, anna_link)
    assert client.cookies["sessionid"].value != before


TOKEN = "eyJvIjoxLCJjIjoxfQ:1xYfBM:z8Kd7w5OsTF6umBUSOfQ8FoQo4RsHSgHq3KDzMFAyjI"


@pytest.mark.parametrize(
    "line", [f'"GET /portal/o/{TOKEN}/ HTTP/1.1" 302 0', f"Forbidden: /portal/o/{TOKEN}/"]
)
def test_log_lines_never_carry_a_link_token(line):
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s", (line,), None)
    assert MaskPortalLinks().filter(record) is True
    assert "z8Kd7w5OsTF6" not in record.getMessage()
    assert "/portal/o/[link]/" in record.getMessage()


def test_every_log_handler_masks_link_tokens(settings):
    handlers = settings.LOGGING["handlers"]
    assert {name: handler.get("filters") for name, handler in handlers.items()} == {
        name: ["mask_portal_links"] for name in handlers
    }
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["django.server"]
