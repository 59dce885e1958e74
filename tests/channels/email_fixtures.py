"""Loads the hand-written e-mail corpus in tests/fixtures/email/ (one .eml per client or quirk)."""

from pathlib import Path

from premura.channels.email.parse import ParsedEmail, parse_message

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"
LIMIT = 1024  # attachment_max_bytes used for the corpus


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parsed(name: str, **kwargs) -> ParsedEmail:
    return parse_message(raw(name), attachment_max_bytes=kwargs.pop("attachment_max_bytes", LIMIT), **kwargs)
