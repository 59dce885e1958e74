"""An administrator connects a shop in the admin: the secrets go in encrypted and never come back
to the browser; an address typed without its scheme is read as https; a PrestaShop shop needs no
webhook secret and its page shows what the reconciliation could not apply."""

from premura.commerce import reconcile
from premura.commerce.models import ShopConnection
from premura.core.audit import record_event

ADD = "/admin/commerce/shopconnection/add/"


def test_an_administrator_connects_a_shop_and_the_secrets_stay_secret(client, admin):
    client.force_login(admin.user)
    form = {
        "platform": "shopify",
        "name": "Bottega Premura",
        "slug": "bottega",
        "api_url": "bottega-premura.myshopify.com",
        "api_version": "2025-01",
        "is_active": "on",
        "new_access_token": "shpat_segreto",
        "new_webhook_secret": "",
    }
    refused = client.post(ADD, form)
    assert refused.status_code == 200 and not ShopConnection.objects.exists()  # no webhook secret

    form["new_webhook_secret"] = "whsec_segreto"
    assert client.post(ADD, form).status_code == 302
    connection = ShopConnection.objects.get()
    assert connection.api_url == "https://bottega-premura.myshopify.com"
    assert (connection.access_token, connection.webhook_secret) == ("shpat_segreto", "whsec_segreto")
    assert "segreto" not in connection.access_token_encrypted + connection.webhook_secret_encrypted
    page = client.get(f"/admin/commerce/shopconnection/{connection.pk}/change/").content.decode()
    assert "shpat_segreto" not in page and "whsec_segreto" not in page


def test_a_prestashop_shop_needs_no_webhook_secret_and_shows_its_reconciliation_problems(client, admin):
    client.force_login(admin.user)
    form = {
        "platform": "prestashop",
        "name": "Emporio",
        "slug": "emporio",
        "api_url": "https://emporio.example",
        "api_version": "",
        "is_active": "on",
        "new_access_token": "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456",
        "new_webhook_secret": "",
    }
    assert client.post(ADD, form).status_code == 302
    connection = ShopConnection.objects.get()
    record_event(
        connection, reconcile.NOT_RECONCILED, external_id="7", number="REF7", error="<b>No e-mail</b>"
    )
    page = client.get(f"/admin/commerce/shopconnection/{connection.pk}/change/").content.decode()
    assert "7 REF7: &lt;b&gt;No e-mail&lt;/b&gt;" in page
    listing = client.get("/admin/commerce/shopconnection/").content.decode()
    assert "emporio" in listing and "/shop/webhooks/prestashop/" not in listing
