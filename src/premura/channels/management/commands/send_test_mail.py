"""`premura send_test_mail`: write to the running shop as a customer would, over LMTP.

The mail goes to the listener `make run` starts (`premura lmtp`), so it travels the real path:
stored raw, parsed, threaded into a new case, acknowledged. The acknowledgement waits in the
outbox (visible on the case page) until an SMTP server is configured.
"""

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.channels.models import Mailbox
from premura.core.text import is_ascii_number

SUBJECT = "Ordine non ancora arrivato"
BODY = (
    "Buongiorno,\n\n"
    "ho fatto un ordine dieci giorni fa e non è ancora arrivato. Potete dirmi dove si trova?\n\n"
    "Grazie,\nGiovanna Neri\n\nInviato da iPhone\n"
)


class Command(BaseCommand):
    help = "Send a customer's e-mail to the running LMTP listener (premura lmtp), to try the desk."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lmtp", default="127.0.0.1:8024", help="the listener's host:port")
        parser.add_argument("--to", help="a support mailbox (default: the first active one)")
        parser.add_argument("--sender", default="Giovanna Neri <giovanna.neri@example.it>")

    def handle(self, *args, **options) -> None:
        to = options["to"] or Mailbox.objects.filter(is_active=True).values_list("address", flat=True).first()
        if not to:
            raise CommandError("no mailbox: add one with `premura mailbox add ADDRESS --lmtp`")
        host, _, port = options["lmtp"].rpartition(":")
        if not host or not is_ascii_number(port):
            raise CommandError("--lmtp must be HOST:PORT")
        message = EmailMessage()
        message["From"] = options["sender"]
        message["To"] = to
        message["Subject"] = SUBJECT
        message["Message-ID"] = make_msgid(domain="example.it")
        message.set_content(BODY)
        try:
            with smtplib.LMTP(host, int(port)) as lmtp:
                refused = lmtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise CommandError(
                f"the LMTP listener at {options['lmtp']} did not take the mail: {error}"
            ) from error
        if refused:
            raise CommandError(f"refused: {refused}")
        self.stdout.write(
            f"Sent {message['Message-ID']} to {to}. It opens a new case in the console's inbox "
            "(Non assegnati); the case page shows the acknowledgement, queued until SMTP is set up."
        )
