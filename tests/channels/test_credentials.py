"""Mailbox passwords are encrypted at rest under a key derived from SECRET_KEY, never shown back in
the admin, and a lost key is said clearly where the password is used, without losing mail."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from premura.channels import credentials, imap, outbox
from premura.channels.exceptions import UnreadableCredential
from premura.channels.models import ImapCheckpoint, Mailbox, OutboundEmail, OutboundStatus
from premura.commerce.models import ShopConnection
from premura.shipping.models import TrackingSource
from tests.factories.conversations import make_case

OTHER_KEY = "another-installation-s-secret-key-0123456789-abcdefghijklmnopq"


def raw_row(mailbox: Mailbox) -> str:
    """Every column of the mailbox's row as the database holds it, as one string."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_mailbox WHERE id = %s", [mailbox.pk])
        return " ".join(map(str, cursor.fetchone()))


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        address="assistenza@bottega.example",
        inbound_mode="imap",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_use_ssl=False,
        imap_username="assistenza",
        imap_password="imap-segreta-1",
        smtp_host="127.0.0.1",
        smtp_username="assistenza",
        smtp_password="smtp-segreta-2",
    )


def test_the_passwords_are_stored_encrypted_and_read_back(mailbox):
    row = raw_row(mailbox)
    assert "imap-segreta-1" not in row and "smtp-segreta-2" not in row
    stored = Mailbox.objects.get()
    assert stored.imap_password_encrypted.startswith("gAAAAA")  # a Fernet token
    assert (stored.imap_password, stored.smtp_password) == ("imap-segreta-1", "smtp-segreta-2")
    # The same password twice gives two tokens: equal passwords cannot be spotted in a dump.
    assert credentials.encrypt("imap-segreta-1") != credentials.encrypt("imap-segreta-1")
    empty = Mailbox.objects.create(address="vuota@bottega.example")
    assert (empty.imap_password_encrypted, empty.imap_password) == ("", "")


def test_another_secret_key_cannot_read_them_unless_the_old_one_is_a_fallback(mailbox, settings):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = OTHER_KEY
    stored = Mailbox.objects.get()
    with pytest.raises(UnreadableCredential, match="The IMAP password of assistenza@bottega.example cannot"):
        _ = stored.imap_password
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert stored.imap_password == "imap-segreta-1"
    stored.imap_password = "nuova"  # typed again: stored under the new key
    settings.SECRET_KEY_FALLBACKS = []
    assert stored.imap_password == "nuova"


def test_rotate_secrets_stores_them_under_the_new_key_so_the_old_one_can_go(mailbox, settings):
    source = TrackingSource(provider="aftership", name="AfterShip", slug="aftership")
    source.secret = "webhook-segreto"
    source.save()
    shop = ShopConnection(
        platform="shopify", name="Shopify", slug="bottega", api_url="https://b.myshopify.com"
    )
    shop.access_token, shop.webhook_secret = "shpat_token", "shpss_secret"
    shop.save()
    retyped = Mailbox.objects.create(address="vecchia@bottega.example", smtp_password="vecchia")
    settings.SECRET_KEY, lost_key = OTHER_KEY, settings.SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = []
    retyped.smtp_password = "ancora"  # typed again under the new key meanwhile
    retyped.save()
    lost = Mailbox.objects.create(address="persa@bottega.example")
    settings.SECRET_KEY_FALLBACKS = [lost_key]
    # persa@ holds a token of a key nobody will list: the command names it and leaves it.
    Mailbox.objects.filter(pk=lost.pk).update(smtp_password_encrypted="gAAAAAnot-a-token")
    out = StringIO()
    with pytest.raises(CommandError, match="SMTP password of persa@bottega.example"):
        call_command("rotate_secrets", stdout=out)
    assert out.getvalue().splitlines() == [
        "IMAP passwords: 1 encrypted again",
        "SMTP passwords: 2 encrypted again",
        "tracking webhook secrets: 1 encrypted again",
        "shop access tokens: 1 encrypted again",
        "shop webhook secrets: 1 encrypted again",
    ]
    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone: everything rotated still reads
    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.imap_password, stored.smtp_password) == ("imap-segreta-1", "smtp-segreta-2")
    assert Mailbox.objects.get(pk=retyped.pk).smtp_password == "ancora"
    assert TrackingSource.objects.get().secret == "webhook-segreto"
    shop = ShopConnection.objects.get()
    assert (shop.access_token, shop.webhook_secret) == ("shpat_token", "shpss_secret")
    assert Mailbox.objects.get(pk=lost.pk).smtp_password_encrypted == "gAAAAAnot-a-token"


def test_a_tampered_token_is_refused(mailbox):
    token = mailbox.imap_password_encrypted
    mailbox.imap_password_encrypted = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(UnreadableCredential):
        _ = mailbox.imap_password


def test_an_unreadable_imap_password_is_recorded_on_the_checkpoint(mailbox, settings):
    settings.SECRET_KEY = OTHER_KEY
    [result] = imap.poll_all()
    assert result.error.startswith("UnreadableCredential: The IMAP password of assistenza@bottega.example")
    assert ImapCheckpoint.objects.get(mailbox=mailbox).last_error == result.error


def test_an_unreadable_smtp_password_keeps_the_mail_queued_with_the_reason(mailbox, customer, settings):
    mailbox.imap_password_encrypted = ""
    mailbox.save()
    case = make_case(customer)
    row = outbox.send(case, "reply", subject="Pacco", body="Arriva domani.", dedupe_key="test:1")
    settings.SECRET_KEY = OTHER_KEY
    assert outbox.deliver(row.pk) == OutboundStatus.RETRY_WAIT
    row.refresh_from_db()
    assert row.last_error.startswith("The SMTP password of assistenza@bottega.example cannot be decrypted")
    assert OutboundEmail.objects.get().attempts == 1


@pytest.mark.parametrize(
    "password", ["a" * 256, "segreta\r\nA1 LOGOUT", "con\x00nul"], ids=["too-long", "crlf", "nul"]
)
def test_a_password_that_could_not_be_sent_safely_is_refused(password):
    with pytest.raises(ValidationError):
        credentials.validate_password(password)


# --- The admin ---------------------------------------------------------------------------------


def change_form(mailbox: Mailbox, **changes) -> dict:
    form = {
        "address": mailbox.address,
        "display_name": "",
        "own_addresses": "",
        "default_language": "it",
        "signature": "",
        "is_active": "on",
        "inbound_mode": mailbox.inbound_mode,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_username": mailbox.imap_username,
        "imap_password": "",
        "imap_folder": mailbox.imap_folder,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": "",
        "smtp_use_tls": "on",
        "smtp_username": mailbox.smtp_username,
        "smtp_password": "",
    }
    return {key: value for key, value in (form | changes).items() if value is not None}


def test_the_admin_never_shows_a_stored_password_and_keeps_it_when_left_empty(client, admin, mailbox):
    client.force_login(admin.user)
    url = reverse("admin:channels_mailbox_change", args=[mailbox.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "imap-segreta-1" not in page and "smtp-segreta-2" not in page
    assert mailbox.imap_password_encrypted not in page
    assert 'type="password" name="imap_password"' in page
    assert "A password is stored; leave this empty to keep it." in page
    assert 'name="remove_imap_password"' in page

    response = client.post(url, change_form(mailbox, imap_host="imap.bottega.example"))
    assert response.status_code == 302
    stored = Mailbox.objects.get()
    assert stored.imap_host == "imap.bottega.example"
    assert (stored.imap_password, stored.smtp_password) == ("imap-segreta-1", "smtp-segreta-2")


def test_the_admin_sets_and_removes_passwords(client, admin, mailbox):
    client.force_login(admin.user)
    url = reverse("admin:channels_mailbox_change", args=[mailbox.pk])
    response = client.post(
        url, change_form(mailbox, imap_password=" nuova con spazi ", remove_smtp_password="on")
    )
    assert response.status_code == 302
    stored = Mailbox.objects.get()
    assert (stored.imap_password, stored.smtp_password) == (" nuova con spazi ", "")
    assert "nuova con spazi" not in raw_row(stored)


def test_the_admin_refuses_a_password_with_a_line_break_and_changes_nothing(client, admin, mailbox):
    client.force_login(admin.user)
    url = reverse("admin:channels_mailbox_change", args=[mailbox.pk])
    response = client.post(
        url, change_form(mailbox, imap_password="x\r\nA1 DELETE INBOX"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "A password cannot contain control characters." in response.content.decode()
    assert Mailbox.objects.get().imap_password == "imap-segreta-1"


def test_a_new_mailbox_in_the_admin_gets_its_password_encrypted(client, admin, db):
    client.force_login(admin.user)
    page = client.get(reverse("admin:channels_mailbox_add"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No password is stored." in page
    assert 'name="remove_imap_password"' not in page
    form = change_form(Mailbox(address="resi@bottega.example", imap_port=993), imap_password="prima")
    response = client.post(reverse("admin:channels_mailbox_add"), form)
    assert response.status_code == 302
    stored = Mailbox.objects.get()
    assert stored.imap_password == "prima"
    assert "prima" not in raw_row(stored)


# --- The migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_passwords_stored_in_clear_and_back():
    before, after = ("channels", "0008_imap_watched_until"), ("channels", "0009_encrypt_mailbox_passwords")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_mailbox = executor.loader.project_state([before]).apps.get_model("channels", "Mailbox")
    old_mailbox.objects.create(address="a@bottega.example", imap_password="in-chiaro", smtp_password="")
    old_mailbox.objects.create(address="b@bottega.example")

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    first, second = Mailbox.objects.order_by("address")
    assert (first.imap_password, first.smtp_password) == ("in-chiaro", "")
    assert "in-chiaro" not in raw_row(first)
    assert (second.imap_password_encrypted, second.smtp_password_encrypted) == ("", "")

    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_mailbox = executor.loader.project_state([before]).apps.get_model("channels", "Mailbox")
    assert old_mailbox.objects.get(address="a@bottega.example").imap_password == "in-chiaro"
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
