"""The SMTP sender: hands one composed mail to a server and says what the server answered.

Adapter only (style.md §6): no database, no policy. The outbox (channels/outbox.py) decides what
a failure means for the row. Sends MAIL, RCPT and DATA itself rather than `sendmail`, so that it
can return the server's final answer ("250 2.0.0 Ok: queued as 4Fx1") for the record.
"""

import smtplib
import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    use_tls: bool = True
    username: str = ""
    password: str = ""
    timeout: float = 30


class DeliveryError(Exception):
    """The server did not take the mail. `permanent`: a 5xx answer, retrying will not help."""

    def __init__(self, answer: str, *, permanent: bool):
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _check(code: int, text: bytes, accepted: tuple[int, ...]) -> None:
    if code not in accepted:
        raise DeliveryError(_answer(code, text), permanent=500 <= code < 600)


def send(server: SmtpServer, *, envelope_from: str, recipient: str, raw: bytes) -> str:
    """Deliver `raw` to `recipient`; return the server's answer to the message's data.

    Raises DeliveryError: permanent for a 5xx answer (to the sender, the recipient, the data or
    the login), transient for a 4xx answer, a refused or dropped connection, a timeout or a TLS
    failure. Never holds a database transaction (the caller commits before calling).
    """
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as client:
            client.ehlo_or_helo_if_needed()
            if server.use_tls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.username:
                client.login(server.username, server.password)
            code, text = client.mail(envelope_from)
            _check(code, text, (250,))
            code, text = client.rcpt(recipient)
            _check(code, text, (250, 251))
            code, text = client.data(raw)
            _check(code, text, (250,))
            return _answer(code, text)
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as error:
        # Greeting, STARTTLS, login or DATA refused (smtplib raises for these itself).
        raise DeliveryError(
            _answer(error.smtp_code, error.smtp_error), permanent=500 <= error.smtp_code < 600
        ) from error
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        # Refused or dropped connection, timeout, no STARTTLS: the server may be back later.
        raise DeliveryError(f"{type(error).__name__}: {error}", permanent=False) from error
