"""`premura lmtp`: the LMTP listener the mail server delivers inbound mail to (channels/lmtp.py)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.channels.lmtp import LMTPController
from premura.core.text import is_ascii_number


def parse_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not is_ascii_number(port) or not 0 < int(port) < 65536:
        raise CommandError(f"--bind must be HOST:PORT, not {bind!r}")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = (
        "Listen for LMTP deliveries (Postfix: virtual_transport = lmtp:inet:HOST:PORT) and store "
        "each message for its mailbox; 250 only after the message is committed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8024",
            help="address to listen on, HOST:PORT (default 127.0.0.1:8024)",
        )

    def handle(self, *args, **options) -> None:
        host, port = parse_bind(options["bind"])
        controller = LMTPController(hostname=host, port=port)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"LMTP listening on {host}:{port}")
        try:
            stop.wait()
        finally:
            controller.stop()
