"""`premura imap_idle`: watch every active IMAP mailbox with IDLE and store new mail as it arrives
(channels/imap_idle.py); mailboxes on servers without IDLE are polled every IMAP_POLL_SECONDS.

Runs until SIGINT or SIGTERM. The worker's minute poll skips the mailboxes this command watches,
and takes them back within two minutes when it stops.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from premura.channels.imap import PollResult
from premura.channels.imap_idle import watch_mailboxes


class Command(BaseCommand):
    help = "Watch the IMAP mailboxes (IDLE, else polling) and store new mail as soon as it arrives."

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Watching the IMAP mailboxes (IDLE)")
        self.stdout.flush()
        watch_mailboxes(stop, self.report)

    def report(self, result: PollResult) -> None:
        if result.error:
            self.stderr.write(f"{result.address}: {result.error}")
            self.stderr.flush()
        else:
            self.stdout.write(f"{result.address}: {result.stored} new")
            self.stdout.flush()
