"""The shop's identity: one settings row, edited in the admin, shown by the portal and the console."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from premura.core.audit import events_for
from premura.core.models import AuditEvent
from premura.demo.corpus import DEMO_SHOP
from premura.demo.loader import load_demo
from premura.portal.links import order_path
from premura.shop.models import CACHE_KEY, ShopSettings
from premura.shop.queries import shop_settings
from premura.shop.services import configure_shop
from tests.factories.conversations import make_case

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bottega(db):
    return configure_shop(**DEMO_SHOP)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin.user)
    return client


def change_form(**overrides) -> dict:
    data = {
        "name": "Bottega Premura",
        "support_email": "assistenza@bottega-premura.example",
        "website": "https://www.bottega-premura.example/",
        "time_zone": "Europe/Rome",
        "languages": ["it", "en"],
        "legal_footer": "Bottega Premura S.r.l. · P.IVA 12345678903",
    }
    return data | overrides


def test_the_first_read_makes_the_one_row_with_defaults(db, settings):
    assert ShopSettings.objects.count() == 0
    shop = shop_settings()
    assert (shop.pk, shop.name, shop.time_zone, shop.language_codes) == (
        1,
        "Premura",
        "Europe/Rome",
        ["it", "en"],
    )
    assert (shop.support_email, shop.website, shop.legal_footer, bool(shop.logo)) == ("", "", "", False)
    shop_settings()
    assert ShopSettings.objects.count() == 1


def test_there_is_never_a_second_row(bottega):
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopSettings(name="Un altro negozio").save()  # save() always writes id 1: taken
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopSettings.objects.bulk_create([ShopSettings(id=2, name="Un altro negozio")])  # the constraint
    assert list(ShopSettings.objects.values_list("pk", "name")) == [(1, "Bottega Premura")]


def test_configure_shop_records_which_fields_changed(db, admin):
    shop = configure_shop(actor=admin.user, name="Bottega Premura", languages=["it"])
    assert (shop.name, shop.languages) == ("Bottega Premura", "it")
    event = events_for(shop).get()
    assert (event.action, event.actor, event.data) == (
        "shop.configured",
        admin.user,
        {"fields": ["name", "languages"]},
    )
    configure_shop(actor=admin.user, name="Bottega Premura", languages=["it"])
    assert events_for(shop).count() == 1  # nothing changed, nothing recorded


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "Bottega\r\nBcc: everyone@example.com"},
        {"name": ""},
        {"time_zone": "Mars/Olympus"},
        {"languages": ["fr"]},
        {"languages": []},
        {"support_email": "not an address"},
        {"logo": SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")},
        {"logo": SimpleUploadedFile("logo.png", b"<html>not an image</html>", "image/png")},
        {"logo": SimpleUploadedFile("logo.png", PNG + b"\x00" * 600_000, "image/png")},
    ],
)
def test_an_invalid_setting_is_refused_and_nothing_is_written(bottega, bad):
    before = list(ShopSettings.objects.values())
    with pytest.raises(ValidationError):
        configure_shop(**bad)
    assert list(ShopSettings.objects.values()) == before
    assert AuditEvent.objects.filter(action="shop.configured").count() == 1  # the fixture's


@pytest.mark.django_db(transaction=True)
def test_the_settings_are_read_from_the_cache_until_they_change(django_assert_num_queries):
    shop_settings()
    with django_assert_num_queries(0):
        assert shop_settings().name == "Premura"
    configure_shop(name="Bottega Premura")
    assert shop_settings().name == "Bottega Premura"
    with django_assert_num_queries(0):
        shop_settings()


def test_a_rolled_back_change_never_reaches_the_cache(db):
    # The test runs inside a transaction: reads there must not fill the shared cache.
    configure_shop(name="Mai esistito")
    assert shop_settings().name == "Mai esistito"
    assert cache.get(CACHE_KEY) is None


def test_the_admin_edits_the_one_row(admin_client, admin):
    response = admin_client.get(reverse("admin:shop_shopsettings_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:shop_shopsettings_change", args=[1])
    assert admin_client.get(reverse("admin:shop_shopsettings_add")).status_code == 403
    assert admin_client.get(reverse("admin:shop_shopsettings_delete", args=[1])).status_code == 403
    page = admin_client.get(reverse("admin:shop_shopsettings_change", args=[1])).content.decode()
    assert 'name="languages" value="it" id="id_languages_0" checked' in page

    form = change_form(logo=SimpleUploadedFile("bottega.png", PNG, "image/png"))
    response = admin_client.post(reverse("admin:shop_shopsettings_change", args=[1]), form)
    assert response.status_code == 302
    shop = ShopSettings.objects.get()
    assert (shop.name, shop.languages, shop.time_zone) == ("Bottega Premura", "it,en", "Europe/Rome")
    assert shop.logo.name.startswith("shop/bottega")
    event = events_for(shop).get()
    assert event.actor == admin.user
    assert set(event.data["fields"]) == {"name", "logo", "support_email", "website", "legal_footer"}


def test_the_admin_refuses_a_bad_time_zone_and_keeps_the_row(admin_client, bottega):
    response = admin_client.post(
        reverse("admin:shop_shopsettings_change", args=[1]), change_form(time_zone="Europe/Atlantide")
    )
    assert response.status_code == 200
    assert "Europe/Atlantide" in response.content.decode()
    assert ShopSettings.objects.get().time_zone == "Europe/Rome"


def test_an_agent_cannot_change_the_shop(client, agent, bottega):
    client.force_login(agent.user)
    response = client.post(reverse("admin:shop_shopsettings_change", args=[1]), change_form(name="Mio"))
    assert response.status_code == 302  # to the admin login: agents are not staff
    assert ShopSettings.objects.get().name == "Bottega Premura"


def test_the_logo_is_served_to_anyone_with_its_type(client, bottega):
    shop = configure_shop(logo=SimpleUploadedFile("bottega.png", PNG, "image/png"))
    response = client.get(reverse("shop:logo", args=[shop.logo_version]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    configure_shop(logo=False)
    assert client.get(reverse("shop:logo", args=[shop.logo_version])).status_code == 404


def test_the_portal_wears_the_shop_s_name_and_legal_footer(client, bottega, anna_order):
    html = client.get(order_path(anna_order), follow=True).content.decode()
    assert "<title>Ordine PRM-100001 · Bottega Premura</title>" in html
    assert '<span class="shop-name">Bottega Premura</span>' in html
    assert 'href="mailto:assistenza@bottega-premura.example"' in html
    assert "P.IVA e codice fiscale 12345678903" in html
    assert 'href="https://www.bottega-premura.example/"' in html


def test_the_portal_offers_only_the_shop_s_languages(client, bottega, anna_order):
    assert 'name="language" value="en"' in client.get(order_path(anna_order), follow=True).content.decode()
    configure_shop(languages=["it"])
    assert 'name="language"' not in client.get(order_path(anna_order), follow=True).content.decode()


def test_the_portal_shows_the_logo(client, bottega, anna_order):
    shop = configure_shop(logo=SimpleUploadedFile("bottega.png", PNG, "image/png"))
    html = client.get(order_path(anna_order), follow=True).content.decode()
    assert f'<img class="site-logo" src="/shop/logo/{shop.logo_version}/" alt="">' in html


def test_the_console_header_names_the_shop(client, agent, bottega, customer):
    case = make_case(customer)
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert '<span class="brand-name">Bottega Premura</span>' in html
    assert f"<title>#{case.pk} Dov&#x27;è il mio pacco? · Bottega Premura</title>" in html


def test_the_demo_shop_is_bottega_premura(db):
    load_demo(customers=0, orders=0, cases=0)
    shop = shop_settings()
    assert (shop.name, shop.time_zone, shop.language_codes) == (
        "Bottega Premura",
        "Europe/Rome",
        ["it", "en"],
    )
    assert "P.IVA" in shop.legal_footer
    assert shop.support_email == "assistenza@bottega-premura.example"
