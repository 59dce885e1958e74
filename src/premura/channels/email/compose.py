"""Outgoing mail as bytes: headers built with the standard library's header-safe API.

See docs/architecture.md, "Anything out: the outbox". Pure functions: no database, no network.

Header injection: Python 3.11's `email` package decodes RFC 2047 words when a header is set from a
string, and its generator (before 3.13) writes a decoded CR/LF out as it is. So every text that
goes into a header is first made plain — encoded words decoded the way the header registry decodes
them, then made one line — until decoding changes nothing more; and the finished header block is
checked to hold exactly the headers we wrote.
"""

import datetime
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from premura.core.text import one_line

# CRLF line ends, lines folded at 78: what an SMTP server expects on the wire.
_POLICY = policy.SMTP


class UnsafeHeader(ValueError):
    """A built mail whose header block is not the one we wrote (an injection got through)."""


@dataclass(frozen=True)
class OutgoingMail:
    from_name: str
    from_address: str
    to_address: str
    subject: str
    body_text: str
    message_id: str
    date: datetime.datetime
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    body_html: str = ""
    auto_submitted: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)


def plain_header_text(value: str) -> str:
    """`value` as one line that no header parser would turn into more than one.

    Decodes RFC 2047 words exactly as the header registry will when the header is set, and flattens
    CR, LF and other control characters to spaces, until a further decoding changes nothing (each
    decoding shortens the text, so this ends).
    """
    text = one_line(value)
    for _ in range(10):
        decoded = one_line(str(_POLICY.header_factory("subject", text)))
        if decoded == text:
            return text
        text = decoded
    # Still decoding after ten rounds: a crafted nest of encoded words. Break the words up.
    return text.replace("=?", "= ?")


def _address(display_name: str, addr_spec: str) -> Address:
    return Address(display_name=plain_header_text(display_name), addr_spec=addr_spec)


def compose(mail: OutgoingMail) -> bytes:
    """The mail as the SMTP server will receive it (CRLF line ends).

    Raises UnsafeHeader if the header block holds a header we did not write (it cannot, by
    construction; the check makes sure a future change or library quirk fails loudly instead of
    sending a forged header), and ValueError for an address with CR/LF in it.
    """
    message = EmailMessage(policy=_POLICY)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = Address(addr_spec=mail.to_address)
    if mail.reply_to:
        message["Reply-To"] = Address(addr_spec=mail.reply_to)
    message["Subject"] = plain_header_text(mail.subject)
    message["Date"] = format_datetime(mail.date.astimezone(datetime.UTC))
    message["Message-ID"] = _message_id(mail.message_id)
    if mail.in_reply_to:
        message["In-Reply-To"] = _message_id(mail.in_reply_to)
    if mail.references:
        message["References"] = " ".join(_message_id(reference) for reference in mail.references)
    if mail.auto_submitted:
        message["Auto-Submitted"] = mail.auto_submitted
    for name, value in mail.extra_headers.items():
        message[name] = plain_header_text(value)
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    raw = message.as_bytes()
    written = [name.lower() for name in message.keys()]  # noqa: SIM118 (a Message is no dict)
    found = header_names(raw)
    if sorted(found) != sorted(written):
        raise UnsafeHeader(f"header block {sorted(found)} is not {sorted(written)}")
    return raw


def _message_id(value: str) -> str:
    """A Message-ID as `<left@right>`: one token, no spaces, no control characters."""
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if any(character.isspace() or ord(character) < 32 for character in value) or value.count("<") != 1:
        raise ValueError(f"not a Message-ID: {value!r}")
    return value


def header_names(raw: bytes) -> list[str]:
    """The names of the top-level headers in `raw`, lower-case, in order (continuations skipped)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue
        names.append(line.split(b":", 1)[0].decode("ascii", "replace").lower())
    return names
