"""The signed link: it opens exactly one order of one customer, and nothing when it is not ours."""

import pytest
from django.core import signing

from premura.portal.links import SALT, InvalidLink, order_link, order_path, read_token

INVALID_TITLE = "This link is not valid"


def token_of(path: str) -> str:
    return path.split("/")[3]


def test_order_link_is_absolute_on_site_url(settings, anna_order):
    settings.SITE_URL = "https://assistenza.example.it"
    link = order_link(anna_order)
    assert link.startswith("https://assistenza.example.it/portal/o/")
    assert link.endswith("/")
    grant = read_token(token_of(link.removeprefix("https://assistenza.example.it")))
    assert (grant.order_id, grant.customer_id) == (anna_order.pk, anna_order.customer_id)


def test_it_shows_the_order_of_a_valid_link(client, anna_order, anna_link):
    response = client.get(anna_link, follow=True)
    assert response.redirect_chain == [(f"/portal/orders/{anna_order.pk}/", 302)]
    assert response.status_code == 200
    assert "PRM-100001" in response.content.decode()


@pytest.mark.parametrize("position", [0, 5, -10])
def test_a_tampered_token_is_refused_with_no_data(client, anna_order, anna_link, position):
    token = token_of(anna_link)
    index = position % len(token)
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    client.cookies["django_language"] = "en"
    response = client.get(anna_link.replace(token, changed))
    body = response.content.decode()
    assert response.status_code == 403
    assert INVALID_TITLE in body
    for private in ("PRM-100001", "084012345678", "Moka Bialetti", "Anna", "Milano", "Hub BRT"):
        assert private not in body


def test_an_expired_link_is_refused(client, anna_order, made_days_ago, settings):
    settings.PORTAL_LINK_MAX_AGE_DAYS = 30
    path = made_days_ago(31, anna_order)
    client.cookies["django_language"] = "en"
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 403
    assert "The link has expired." in body
    assert "PRM-100001" not in body and "084012345678" not in body


def test_a_link_within_its_age_still_works(client, anna_order, made_days_ago, settings):
    settings.PORTAL_LINK_MAX_AGE_DAYS = 30
    assert client.get(made_days_ago(29, anna_order), follow=True).status_code == 200


def test_a_shorter_setting_also_shortens_links_already_sent(client, anna_order, made_days_ago, settings):
    path = made_days_ago(2, anna_order)
    settings.PORTAL_LINK_MAX_AGE_DAYS = 1
    assert client.get(path).status_code == 403


def test_anna_token_never_reaches_bruno_order(client, anna_path, bruno_order):
    body = client.get(anna_path).content.decode()
    assert "PRM-100001" in body
    assert "PRM-100002" not in body
    assert "084099999999" not in body
    assert "Zaino da trekking 30L" not in body
    assert "Consegna a Torino prevista domani" not in body


@pytest.mark.parametrize(
    "payload",
    [
        "bruno_order_with_anna_customer",
        "anna_order_with_bruno_customer",
        "missing_customer",
        "ids_as_strings",
        "a_list",
    ],
)
def test_forged_payloads_signed_with_our_key_are_refused(client, anna_order, bruno_order, payload):
    anna, bruno = anna_order, bruno_order
    data = {
        "bruno_order_with_anna_customer": {"o": bruno.pk, "c": anna.customer_id},
        "anna_order_with_bruno_customer": {"o": anna.pk, "c": bruno.customer_id},
        "missing_customer": {"o": bruno.pk},
        "ids_as_strings": {"o": str(bruno.pk), "c": str(bruno.customer_id)},
        "a_list": [bruno.pk, bruno.customer_id],
    }[payload]
    token = signing.dumps(data, salt=SALT)
    response = client.get(f"/portal/o/{token}/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "PRM-100002" not in body and "PRM-100001" not in body


def test_a_token_signed_for_another_purpose_is_refused(client, bruno_order):
    token = signing.dumps({"o": bruno_order.pk, "c": bruno_order.customer_id})  # default salt
    response = client.get(f"/portal/o/{token}/")
    assert response.status_code == 403
    assert "PRM-100002" not in response.content.decode()


def test_a_link_stops_working_when_the_order_changes_hands(client, anna_order, anna_path, other_customer):
    anna_order.customer = other_customer
    anna_order.save(update_fields=["customer"])
    response = client.get(anna_path)
    assert response.status_code == 403
    assert "PRM-100001" not in response.content.decode()


def test_a_link_to_a_deleted_order_is_refused(client, customer):
    from tests.factories.commerce import OrderFactory

    order = OrderFactory(customer=customer)
    path = order_path(order)
    order.delete()
    assert client.get(path).status_code == 403


def test_read_token_tells_expired_from_invalid(anna_order, made_days_ago, settings):
    settings.PORTAL_LINK_MAX_AGE_DAYS = 30
    with pytest.raises(InvalidLink) as expired:
        read_token(token_of(made_days_ago(40, anna_order)))
    assert expired.value.expired is True
    with pytest.raises(InvalidLink) as invalid:
        read_token("not-a-token")
    assert invalid.value.expired is False


def test_the_invalid_link_page_follows_the_language_switch(client, db):
    client.cookies["django_language"] = "en"
    response = client.get("/portal/o/garbage/")
    assert response.status_code == 403
    assert '<html lang="en">' in response.content.decode()


def test_portal_link_command_prints_the_order_link(anna_order, client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("portal_link", "prm-100001", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith("http://127.0.0.1:8000/portal/o/")
    assert client.get(url.removeprefix("http://127.0.0.1:8000"), follow=True).status_code == 200
