import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from premura.channels.models import Mailbox


def add(*args: str) -> None:
    call_command("mailbox", "add", *args)


def test_an_lmtp_mailbox(db, team, capsys):
    add("Assistenza@Bottega.example", "--team", "ordini", "--language", "en", "--plus-addressing")
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.inbound_mode, mailbox.default_team, mailbox.default_language) == (
        "assistenza@bottega.example",
        "lmtp",
        team,
        "en",
    )
    assert mailbox.plus_addressing is True
    assert mailbox.imap_password == ""
    assert "Added mailbox assistenza@bottega.example" in capsys.readouterr().out


def test_an_imap_mailbox_reads_its_password_from_a_file(db, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3greta con spazi\n")
    add(
        "assistenza@bottega.example",
        "--imap-host",
        "imap.bottega.example",
        "--imap-password-file",
        str(secret),
    )
    mailbox = Mailbox.objects.get()
    assert (mailbox.inbound_mode, mailbox.imap_host, mailbox.imap_port, mailbox.imap_use_ssl) == (
        "imap",
        "imap.bottega.example",
        993,
        True,
    )
    assert (mailbox.imap_username, mailbox.imap_password, mailbox.imap_folder) == (
        "assistenza@bottega.example",
        "s3greta con spazi",
        "INBOX",
    )
    assert "s3greta" not in mailbox.imap_password_encrypted  # stored encrypted
    assert mailbox.default_language == "it"


def test_an_imap_mailbox_reads_its_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("PREMURA_IMAP_PASSWORD", "dall-ambiente")
    add("a@bottega.example", "--imap-host", "localhost", "--imap-no-tls", "--imap-user", "anna")
    mailbox = Mailbox.objects.get()
    assert (mailbox.imap_port, mailbox.imap_use_ssl, mailbox.imap_username, mailbox.imap_password) == (
        143,
        False,
        "anna",
        "dall-ambiente",
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["non-un-indirizzo"], "address"),
        (["a@bottega.example", "--team", "nessuna"], "no team"),
        (["a@bottega.example", "--language", "fr"], "--language"),
        (["a@bottega.example", "--imap-user", "anna"], "need --imap-host"),
        (["a@bottega.example", "--imap-host", "imap.example"], "no IMAP password"),
        (
            ["a@bottega.example", "--imap-host", "imap.example", "--imap-password-file", "/nonexistent"],
            "cannot read",
        ),
    ],
)
def test_invalid_mailboxes_are_refused_and_nothing_saved(db, monkeypatch, args, error):
    monkeypatch.delenv("PREMURA_IMAP_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=error):
        add(*args)
    assert Mailbox.objects.count() == 0


def test_a_password_with_control_characters_is_refused_and_nothing_saved(db, monkeypatch):
    monkeypatch.setenv("PREMURA_IMAP_PASSWORD", "segreta\x1bA1 LOGOUT")
    with (
        translation.override("en"),
        pytest.raises(CommandError, match="refused: A password cannot contain control"),
    ):
        add("a@bottega.example", "--imap-host", "imap.example")
    assert Mailbox.objects.count() == 0


def test_an_address_is_added_once(db):
    add("a@bottega.example")
    with pytest.raises(CommandError, match="^address: "):
        add("A@bottega.example")
    assert Mailbox.objects.count() == 1
