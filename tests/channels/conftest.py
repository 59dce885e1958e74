"""Real servers for the channel tests: an SMTP peer that records what the outbox sends, the
product's own LMTP listener on a free port, and a Dovecot IMAP server with a temporary
configuration and maildir (Debian's dovecot-imapd)."""

import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from premura.channels.lmtp import LMTPController
from premura.channels.models import InboundMode, Mailbox
from tests.channels.smtp_peer import SmtpPeer
from tests.conftest import IN_CI

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def start_lmtp(transactional_db):
    """Starts the LMTP listener of `premura lmtp` on a free port; it serves this test's database
    from its own threads. Every listener started is stopped at the end."""
    started = []

    def start() -> LMTPController:
        controller = LMTPController(hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if controller._thread is not None:
            controller.stop()


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    log: Path

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message as a mail client would save it (IMAP APPEND)."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(self.user, self.password)
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def mailbox(self, address: str = "assistenza@bottega.example", **fields) -> Mailbox:
        """A mailbox that polls this server (`fields` override the defaults)."""
        defaults = {
            "inbound_mode": InboundMode.IMAP,
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_use_ssl": False,
            "imap_username": self.user,
            "imap_password": self.password,
        }
        return Mailbox.objects.create(address=address, **(defaults | fields))


@pytest.fixture
def dovecot():
    """A Dovecot IMAP server on 127.0.0.1, plaintext login, one user (anna), maildir in a temporary
    directory (short path: Dovecot's sockets live there). As root, mail and login processes run
    as `nobody`; otherwise as the current user."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot_without_idle():
    """The same server, announcing no IDLE after login, as some providers' servers do."""
    with running_dovecot(
        "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE\n"
    ) as server:
        yield server


@contextlib.contextmanager
def running_dovecot(config: str = ""):
    if not os.path.exists(DOVECOT):
        if IN_CI:
            pytest.fail("dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="premura-dovecot-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        user, group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        extra = ""
    else:
        user, group = getpass.getuser(), grp.getgrgid(os.getegid()).gr_name
        extra = "service imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n"
    for name in ("mail", "home"):
        (root / name).mkdir()
        shutil.chown(root / name, user, group)
    port = free_port()
    (root / "passwd").write_text("anna:{PLAIN}segreto-imap\n")
    (root / "passwd").chmod(0o644)  # Premura's settings set a private umask; Dovecot's auth reads it
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra}{config}"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Dovecot(port=port, user="anna", password="segreto-imap", log=root / "dovecot.log")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = server.log.read_text() if server.log.exists() else ""
                    pytest.fail(f"dovecot did not start: {process.stderr.read().decode()}{log}")
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)
