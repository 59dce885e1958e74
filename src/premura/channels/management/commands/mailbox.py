"""`premura mailbox add ADDRESS ...`: connect a support mailbox from the command line.

The IMAP password never goes on the command line (where `ps` and shell history would show it):
it is read from --imap-password-file (a file, or "-" for standard input) or from the
PREMURA_IMAP_PASSWORD environment variable, and stored encrypted (channels/credentials.py).
"""

import os
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.agents.models import Team
from premura.channels.credentials import validate_password
from premura.channels.exceptions import InvalidMailbox
from premura.channels.mailboxes import add_mailbox
from premura.channels.models import InboundMode, Mailbox

PASSWORD_ENV = "PREMURA_IMAP_PASSWORD"


def read_password(path: str | None) -> str:
    if path == "-":
        return sys.stdin.readline().rstrip("\r\n")
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return file.readline().rstrip("\r\n")
        except OSError as error:
            raise CommandError(f"cannot read the IMAP password file: {error}") from error
    return os.environ.get(PASSWORD_ENV, "")


class Command(BaseCommand):
    help = "Manage the shop's support mailboxes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="connect a mailbox: mail comes by LMTP (default) or by IMAP polling")
        add.add_argument("address")
        mode = add.add_mutually_exclusive_group()
        mode.add_argument("--lmtp", action="store_true", help="the mail server delivers by LMTP (default)")
        mode.add_argument("--imap-host", help="poll this IMAP server")
        add.add_argument("--imap-port", type=int, help="IMAP port (default 993, or 143 with --imap-no-tls)")
        add.add_argument("--imap-no-tls", action="store_true", help="plain IMAP, for a server on this host")
        add.add_argument("--imap-user", help="IMAP user (default: the address)")
        add.add_argument(
            "--imap-password-file",
            help=f"file holding the IMAP password ('-': standard input; default: ${PASSWORD_ENV})",
        )
        add.add_argument("--imap-folder", default="INBOX")
        add.add_argument("--display-name", default="")
        add.add_argument("--plus-addressing", action="store_true", help="ADDRESS+anything@ reaches it too")
        add.add_argument("--team", help="slug of the team new cases go to")
        add.add_argument("--language", default="it", help="default language (it, en)")

    def handle(self, *args, **options) -> None:
        try:
            mailbox = add_mailbox(self.build(options))
        except InvalidMailbox as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Added mailbox {mailbox.address} ({mailbox.get_inbound_mode_display()})")

    def build(self, options: dict) -> Mailbox:
        language = options["language"]
        if language not in dict(settings.LANGUAGES):
            raise CommandError(f"--language must be one of {', '.join(dict(settings.LANGUAGES))}")
        team = None
        if options["team"]:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"no team with slug {options['team']!r}")
        address = options["address"].strip().lower()
        mailbox = Mailbox(
            address=address,
            display_name=options["display_name"],
            plus_addressing=options["plus_addressing"],
            default_team=team,
            default_language=language,
        )
        imap_only = ["imap_port", "imap_user", "imap_password_file"]
        if not options["imap_host"]:
            if any(options[name] for name in imap_only) or options["imap_no_tls"]:
                raise CommandError("the --imap-* options need --imap-host")
            mailbox.inbound_mode = InboundMode.LMTP
            return mailbox
        password = read_password(options["imap_password_file"])
        if not password:
            raise CommandError(f"no IMAP password: give --imap-password-file or set ${PASSWORD_ENV}")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(f"the IMAP password is refused: {' '.join(error.messages)}") from None
        mailbox.inbound_mode = InboundMode.IMAP
        mailbox.imap_host = options["imap_host"]
        mailbox.imap_use_ssl = not options["imap_no_tls"]
        mailbox.imap_port = options["imap_port"] or (143 if options["imap_no_tls"] else 993)
        mailbox.imap_username = options["imap_user"] or address
        mailbox.imap_password = password
        mailbox.imap_folder = options["imap_folder"]
        return mailbox
