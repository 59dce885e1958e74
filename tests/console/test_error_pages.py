"""Error pages in the console's style and in the request's language, never Django's bare ones."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

CSS = '<link rel="stylesheet" href="/static/console/console.css">'


def test_an_unknown_page_is_a_404_in_italian_by_default(client, db):
    response = client.get("/questa-pagina-non-esiste/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="it">' in html
    assert "<h1>Pagina non trovata</h1>" in html
    assert CSS in html
    assert f'href="{reverse("console:inbox")}"' in html


def test_an_unknown_page_follows_the_browser_language(client, db):
    response = client.get("/console/nowhere/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html
    assert "<h1>Page not found</h1>" in html


def test_an_unknown_page_follows_the_language_switch(client, db):
    client.post(reverse("set_language"), {"language": "en"})
    assert "<h1>Page not found</h1>" in client.get("/nowhere/", HTTP_ACCEPT_LANGUAGE="it").content.decode()


def test_a_missing_case_gets_the_404_page(client, agent):
    client.force_login(agent.user)
    response = client.get(reverse("console:case", args=[424242]))
    assert response.status_code == 404
    assert "<h1>Pagina non trovata</h1>" in response.content.decode()


def test_a_person_without_an_agent_profile_gets_the_403_page(client, db):
    client.force_login(get_user_model().objects.create_user("intruso", password="x-long-password-1"))
    response = client.get(reverse("console:inbox"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in html
    assert CSS in html


def test_a_form_without_its_csrf_token_gets_the_expired_page(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("console:login"), {"username": "marco", "password": "x"}
    )
    assert response.status_code == 403
    assert "<h1>La pagina è scaduta</h1>" in response.content.decode()


def test_a_request_for_another_host_gets_the_400_page(client, db):
    response = client.get("/console/login/", HTTP_HOST="evil.example.com", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


@pytest.mark.urls("tests.console.broken_urls")
def test_a_server_error_gets_the_500_page_in_the_request_language(client, db):
    client.raise_request_exception = False
    italian = client.get("/broken/")
    english = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    assert italian.status_code == english.status_code == 500
    assert "<h1>Si è verificato un errore</h1>" in italian.content.decode()
    assert "<h1>Something went wrong</h1>" in english.content.decode()


def test_the_500_page_renders_without_a_database_or_request_context():
    # No `db` fixture: pytest-django makes any query fail, as a database that is down would.
    with translation.override("en"):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html
    assert CSS in html
