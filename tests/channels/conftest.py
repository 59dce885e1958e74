import pytest

from premura.channels.models import Mailbox
from tests.channels.smtp_peer import SmtpPeer


@pytest.fixture
def peer():
    server = SmtpPeer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mailbox(db, peer, settings):
    """The shop's mailbox, sending through the test's SMTP peer (no STARTTLS on 127.0.0.1)."""
    settings.EMAIL_HOST = ""
    return Mailbox.objects.create(
        address="assistenza@bottega.example",
        display_name="Bottega Premura",
        plus_addressing=True,
        smtp_host="127.0.0.1",
        smtp_port=peer.port,
        smtp_use_tls=False,
    )
