"""`premura poll_imap`: fetch new mail from every active IMAP mailbox (channels/imap.py).

The worker (run_huey) already polls every minute; this command is for a first import, a cron job
without the worker, or a look at what a poll does (--once).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from premura.channels.imap import poll_all


class Command(BaseCommand):
    help = "Fetch new mail from every active IMAP mailbox into Premura; never deletes mail on the server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="poll once and exit")

    def handle(self, *args, **options) -> None:
        while True:
            for result in poll_all():
                if result.error:
                    self.stderr.write(f"{result.address}: {result.error}")
                else:
                    self.stdout.write(f"{result.address}: {result.stored} new")
            if options["once"]:
                return
            time.sleep(settings.IMAP_POLL_SECONDS)
