"""Text that crosses the edge: single-line fields and e-mail addresses, checked once for everyone.

Subjects, names, order and tracking numbers, handles and addresses end up in mail headers and
URLs, where a CR/LF starts a new header and a control character confuses whoever reads it next.
Services refuse them with `single_line` (raising their own domain error, so the API answers 422
through its usual mapping); forms use `validate_single_line`. E-mail addresses have one stored
form, `normalise_email`, so the same address written two ways names the same person.
"""

import functools
import re
import unicodedata

import email_validator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import ValidationError as InvalidModel

# Control characters (Unicode category Cc: C0, DEL, C1: tab, CR, LF, NUL, ESC, NEL...) and the
# line and paragraph separators (Zl, Zp): every character of those categories, as one pattern
# (a test checks it against unicodedata), since webhooks check every identifier they read.
# Formatting characters (Cf) stay: names in several scripts need the zero-width joiners.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class InvalidText(ValueError):
    """A value refused at the edge; its message names the field and is safe to show."""


def is_ascii_number(value: str) -> bool:
    """Whether `value` is a non-empty run of 0-9, the only digits `int()` should be given from
    outside: str.isdigit() is also true of "²" (which int() refuses) and of other scripts' digits."""
    return value.isascii() and value.isdigit()


def is_single_line(value: str) -> bool:
    return _FORBIDDEN.search(value) is None


def one_line(value: str) -> str:
    """`value` made one line for display: whitespace runs (line breaks included) become one space,
    other control characters go. For text we derive a single-line field from, never for input."""
    return " ".join(_FORBIDDEN.sub(" ", value).split())


def single_line(value: str, *, field: str, error: type[Exception] = InvalidText) -> str:
    """`value` unchanged if it is one line without control characters; else raises `error`.

    `field` names the field in the message ("subject"); services pass their own domain error
    (`CaseError`, `CustomerError`...) so every entry point reports it as it reports the others.
    """
    if not is_single_line(value):
        raise error(
            _("The %(field)s must be a single line, without line breaks or control characters.")
            % {"field": field}
        )
    return value


def storable(value: str) -> str:
    """`value` with each NUL written as the four characters \\x00: no PostgreSQL text holds a
    NUL, and a failure's reason that quotes hostile input must still be stored with its row."""
    return value.replace("\x00", "\\x00")


def describe_invalid(error: InvalidModel) -> str:
    """A pydantic validation error in one line, each problem after the place it is in
    ("events.0.code: ..."): the reason a webhook or a file row is kept failed with."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}" for item in error.errors()
    )


def validate_single_line(value: str) -> None:
    """Django validator for form fields: a ValidationError (code "single_line") for CR/LF and controls."""
    if not is_single_line(value):
        raise ValidationError(
            _("Enter a single line, without line breaks or control characters."), code="single_line"
        )


def normalise_email(value: str, *, error: type[Exception] = InvalidText) -> str:
    """The stored form of an e-mail address; raises `error` if it is not one.

    NFKC first (full-width "ａｎｎａ＠ｅｘａｍｐｌｅ．ｉｔ" becomes "anna@example.it"), then the syntax check
    of the email-validator library (no DNS look-up), then the domain as IDNA ASCII ("caffè.it" and
    "xn--caff-8oa.it" are one domain) and everything lower-cased. Idempotent.

    >>> normalise_email(" Anna.Colombo@CAFFÈ.it ")
    'anna.colombo@xn--caff-8oa.it'
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    # Longer than any address email-validator accepts (254): refused without it, and never cached.
    normalised = _normalised_address(text) if len(text) <= _LONGEST_ADDRESS else None
    if normalised is None:
        raise error(_("%(value)s is not an e-mail address.") % {"value": text})
    return normalised


_LONGEST_ADDRESS = 320


@functools.lru_cache(maxsize=4096)
def _normalised_address(text: str) -> str | None:
    """`normalise_email` of a stripped NFKC text, None when it is not an address. Cached: a
    message's filing asks for its sender's address several times (the look-up, the customer, the
    acknowledgement's recipient) and email-validator's check is pure but not cheap."""
    try:
        address = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return f"{address.local_part.lower()}@{address.ascii_domain.lower()}"


# What a spreadsheet reads as the start of a formula (OWASP "CSV Injection"), tab and CR included.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet will show, never run: text that starts like a
    formula gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
