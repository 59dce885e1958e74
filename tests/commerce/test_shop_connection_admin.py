"""An administrator connects a shop in the admin: the secrets go in encrypted and never come back
to the browser; an address typed without its scheme is read as https."""

from premura.commerce.models import ShopConnection

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
