"""Rate limits: log-ins by username and by address (django-axes), the portal's forms by order and
by address, the API by token. Over a limit: 429 with Retry-After, and nothing is written."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from premura.api.models import ApiToken
from premura.conversations.models import Case, Message
from premura.core.throttle import Rate, client_ip, parse_rate
from premura.portal.links import order_path
from tests.api.conftest import ApiClient, client_for

PASSWORD = "premura-test-pw"


def log_in(client: Client, username: str, password: str, path: str = "/console/login/", ip: str = "10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    return settings


def test_wrong_passwords_then_the_right_one_is_locked_out(client, agent, limits):
    for _attempt in range(30):
        response = log_in(client, "marco", "sbagliata")
        assert response.status_code in (200, 429)
    client.cookies["django_language"] = "en"
    response = log_in(client, "marco", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "logging in is blocked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_starts_at_the_limit(client, agent, limits):
    for _attempt in range(2):
        assert log_in(client, "marco", "sbagliata").status_code == 200  # the form again, with its error
    assert log_in(client, "marco", "sbagliata").status_code == 429
    assert log_in(client, "marco", PASSWORD).status_code == 429


def test_a_username_is_locked_whatever_address_tries_it(client, agent, limits):
    for number in range(3):
        log_in(client, "marco", "sbagliata", ip=f"10.0.0.{number + 10}")
    assert log_in(Client(), "marco", PASSWORD, ip="192.0.2.7").status_code == 429


def test_an_address_is_locked_whatever_username_it_tries(client, agent, admin, limits):
    for username in ("luca", "sara", "paolo"):
        log_in(client, username, "sbagliata", ip="198.51.100.9")
    assert log_in(Client(), "giulia", PASSWORD, ip="198.51.100.9").status_code == 429
    assert log_in(Client(), "giulia", PASSWORD, ip="198.51.100.10").status_code == 302


def test_the_admin_login_is_limited_too(client, admin, limits):
    for _attempt in range(3):
        log_in(client, "giulia", "sbagliata", path="/admin/login/")
    response = log_in(client, "giulia", PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"


def test_after_the_cool_off_the_right_password_works(client, agent, limits):
    for _attempt in range(3):
        log_in(client, "marco", "sbagliata")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    response = log_in(client, "marco", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent.user.pk)


def test_a_success_clears_the_count(client, agent, limits):
    log_in(client, "marco", "sbagliata")
    log_in(client, "marco", "sbagliata")
    assert log_in(client, "marco", PASSWORD).status_code == 302
    client.logout()
    log_in(client, "marco", "sbagliata")
    log_in(client, "marco", "sbagliata")
    assert log_in(client, "marco", PASSWORD).status_code == 302


def contact(client: Client, page: str, ip: str = "203.0.113.5"):
    form = {"category": "damaged", "message": "La moka è arrivata rotta.", "website": ""}
    return client.post(f"{page}contact/", form, REMOTE_ADDR=ip)


def test_the_contact_form_is_limited_per_order(client, anna_portal, settings):
    settings.THROTTLE_PORTAL_ORDER, settings.THROTTLE_PORTAL_IP = "3/h", "100/h"
    client.cookies["django_language"] = "en"
    answers = [contact(client, anna_portal, ip=f"203.0.113.{number}").status_code for number in range(20)]
    assert answers == [302] * 3 + [429] * 17
    assert Case.objects.count() == 3
    refused = contact(client, anna_portal)
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert "You have sent us many messages in a short time." in refused.content.decode()


def test_the_portal_is_limited_per_address(client, anna_order, bruno_order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.THROTTLE_PORTAL_ORDER, settings.THROTTLE_PORTAL_IP = "10/h", "3/h"
    anna_page = client.get(order_path(anna_order))["Location"]
    bruno_page = client.get(order_path(bruno_order))["Location"]
    assert [contact(client, page).status_code for page in (anna_page, bruno_page, anna_page)] == [302] * 3
    assert contact(client, bruno_page).status_code == 429
    assert contact(client, bruno_page, ip="203.0.113.99").status_code == 302
    assert Case.objects.count() == 4


def test_replies_count_against_the_same_limit(client, anna_portal, settings):
    settings.THROTTLE_PORTAL_ORDER, settings.THROTTLE_PORTAL_IP = "2/h", "100/h"
    case_page = contact(client, anna_portal)["Location"]
    assert client.post(case_page, {"body": "Ecco la foto"}).status_code == 302
    messages_before = Message.objects.count()
    response = client.post(case_page, {"body": "E un'altra"})
    assert response.status_code == 429
    assert Message.objects.count() == messages_before
    assert client.get(case_page).status_code == 200  # reading is never limited


def test_the_api_is_limited_per_token(agent, settings):
    settings.THROTTLE_API_TOKEN = "3/m"
    first, second = client_for(agent.user), client_for(agent.user)
    assert [first.get("/api/v1/teams").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/api/v1/teams")
    assert refused.status_code == 429
    assert 59 <= int(refused["Retry-After"]) <= 60
    assert refused.json() == {"detail": f"Too many requests: try again in {refused['Retry-After']} seconds."}
    assert second.get("/api/v1/teams").status_code == 200
    assert ApiToken.objects.count() == 2


def test_a_throttled_api_write_writes_nothing(agent, customer, settings):
    settings.THROTTLE_API_TOKEN = "1/m"
    api = client_for(agent.user)
    assert api.get("/api/v1/teams").status_code == 200
    response = api.post("/api/v1/cases", {"customer_id": customer.pk, "subject": "Pacco", "body": "Dov'è?"})
    assert response.status_code == 429
    assert Case.objects.count() == 0


def test_requests_without_a_token_are_answered_401_not_counted(db, settings):
    settings.THROTTLE_API_TOKEN = "1/m"
    anonymous = ApiClient()
    assert [anonymous.get("/api/v1/teams").status_code for _ in range(3)] == [401] * 3


@pytest.mark.parametrize(
    ("text", "rate"),
    [("10/h", Rate(10, 3600)), ("5/10m", Rate(5, 600)), ("1200/m", Rate(1200, 60)), ("2/s", Rate(2, 1))],
)
def test_rates_are_read_from_settings_strings(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "10/hour", "0/h", "ten/h", ""])
def test_a_malformed_rate_is_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured, match="is not a rate"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1"),  # no proxy: the header is the client's own claim
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # what the client prepends is ignored
        (2, "6.6.6.6, 1.1.1.1, 172.16.0.2", "1.1.1.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
