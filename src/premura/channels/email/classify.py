"""Tell genuine mail from automatic mail and bounces: `classify`.

Automatic mail is recorded but never answered (no acknowledgement, no auto-reply): that is how two
helpdesks avoid acknowledging each other forever. A bounce additionally says which of our messages
came back (`bounced_message_id`, read from the returned headers) and which address failed, so the
caller attaches it to that message's case and marks the customer's address as failing.

Checks, first match wins: delivery reports (multipart/report, message/delivery-status), plain-text
bounces (qmail "failure notice", Postfix and Exim text) from a null sender or MAILER-DAEMON, the
RFC 3834 and vendor headers (Auto-Submitted, Precedence, X-Autoreply, ...), mailing lists, a null
Return-Path, MAILER-DAEMON/postmaster senders, PEC receipts, the shop's own addresses, then
out-of-office subjects. What needs the database is the caller's, with a rule from here for each: a
vacation reply with no automatic header at all, sent to our envelope sender with a new subject and
no threading headers (`vacation_cue` reads the words, the caller checks that we wrote to the sender
shortly before: channels.vacation), and a loop between two helpdesks (`is_mail_loop`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from .parse import ParsedEmail
from .quotes import visible_text

__all__ = [
    "GENUINE",
    "AUTOMATIC",
    "BOUNCE",
    "Classification",
    "classify",
    "is_mail_loop",
    "LOOP_WINDOW",
    "LOOP_LIMIT",
    "vacation_cue",
    "VACATION_WINDOW",
]

GENUINE: Literal["genuine"] = "genuine"
AUTOMATIC: Literal["automatic"] = "automatic"
BOUNCE: Literal["bounce"] = "bounce"

Kind = Literal["genuine", "automatic", "bounce"]


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
    bounced_message_id: str = ""  # our Message-ID that came back (no <>), when a bounce names it
    failed_recipient: str = ""  # lower-case address that could not be delivered to
    status: str = ""  # DSN status code (5.1.1) when known
    diagnostic: str = ""  # what the receiving server answered ("550 5.1.1 User unknown"), when known
    # Our Message-ID (no <>) that an automatic reply without threading headers answers: a vacation
    # reply, matched by its sender and time (channels.vacation).
    replies_to_message_id: str = ""

    @property
    def is_automatic(self) -> bool:
        """True for automatic mail and bounces: never answered, never acknowledged."""
        return self.kind != GENUINE

    @property
    def is_permanent_failure(self) -> bool:
        """A bounce that says the address does not work: not a delay warning (4.x.x, "the server
        is still trying"), which says nothing yet about the address."""
        return self.kind == BOUNCE and not self.status.startswith("4")


_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "maildaemon"})
_PRECEDENCE_AUTOMATIC = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_SUPPRESS_AUTOMATIC = frozenset({"all", "oof", "autoreply", "autoreplies"})

# Out-of-office subjects, anchored at the start (after "[tag]" prefixes), then ":", "-", or end.
_OOO = re.compile(
    r"""^(?:\[[^\]]*\]\s*)*(?:
        risposta\s+automatica | fuori\s+(?:sede|ufficio) | assente\s+dall'ufficio | assenza | in\s+ferie |
        auto(?:matic)?[\s-]?reply | autoreply | auto[\s-]?response | automatic\s+response |
        out\s+of\s+(?:the\s+)?office | out\s+of\s+office\s+reply | away\s+from\s+(?:the\s+)?office |
        vacation(?:\s+reply)? | on\s+vacation |
        automatische\s+antwort | abwesenheitsnotiz | abwesenheit | nicht\s+im\s+b(?:ü|ue)ro | urlaub |
        r(?:é|e)ponse\s+automatique | absence | absent(?:e)?(?:\s+du\s+bureau)? | message\s+d'absence |
        respuesta\s+autom(?:á|a)tica | fuera\s+de\s+la\s+oficina | ausente | ausencia
    )\s*(?:[:\-–]|$|\()""",
    re.IGNORECASE | re.VERBOSE,
)

_BOUNCE_SUBJECT = re.compile(
    r"""failure\s+notice | undeliver(?:ed|able) | delivery\s+status\s+notification |
        mail\s+delivery\s+(?:failed|failure|system) | returned\s+mail | delivery\s+(?:failure|failed) |
        non\s+recapitabile | mancata\s+consegna | impossibile\s+recapitare | messaggio\s+non\s+consegnato |
        unzustellbar | nicht\s+zustellbar | non\s+remis | no\s+entregado""",
    re.IGNORECASE | re.VERBOSE,
)

_BOUNCE_BODY = re.compile(
    r"""This\s+is\s+the\s+qmail-send\s+program |
        I'm\s+afraid\s+I\s+wasn't\s+able\s+to\s+deliver |
        This\s+is\s+the\s+mail\s+system\s+at\s+host |
        could\s+not\s+be\s+delivered\s+to\s+one\s+or\s+more |
        message\s+could\s+not\s+be\s+delivered |
        The\s+following\s+address(?:\(es\))?\s+failed |
        Delivery\s+to\s+the\s+following\s+recipient(?:s)?\s+failed |
        Il\s+messaggio\s+non\s+(?:è|e')\s+stato\s+(?:consegnato|recapitato)""",
    re.IGNORECASE | re.VERBOSE,
)

_ADDR = r"[^\s<>@\"]+@[^\s<>@\"]+\.[A-Za-z0-9-]+"


def _first(parsed: ParsedEmail, name: str) -> str:
    values = parsed.headers.get(name, ())
    return values[0].strip() if values else ""


def _is_daemon(address: str) -> bool:
    return address.partition("@")[0].lower() in _DAEMON_LOCALPARTS


def _null_sender(parsed: ParsedEmail, envelope_sender: str | None) -> bool:
    if envelope_sender is not None and envelope_sender.strip() in {"", "<>"}:
        return True
    return any(v.strip() == "<>" for v in parsed.headers.get("return-path", ()))


def _dsn_fields(text: str) -> dict[str, str]:
    """First value of each field of a delivery-status text (per-recipient block included)."""
    fields: dict[str, str] = {}
    for line in re.sub(r"\r?\n[ \t]+", " ", text).splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _typed_address(value: str) -> str:
    """'rfc822; mario@example.it' → 'mario@example.it'."""
    value = value.split(";", 1)[-1].strip().strip("<>").strip()
    match = re.search(_ADDR, value)
    return match.group(0).lower() if match else ""


def _returned_message_id(text: str) -> str:
    match = re.search(r"^Message-ID:\s*<([^<>\s]+)>", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else ""


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def _plain_bounce_diagnostic(text: str) -> str:
    """The receiving server's answer in a text bounce: the first line with an SMTP reply code and an
    enhanced status ("Remote host said: 550 5.1.1 Mailbox does not exist")."""
    match = re.search(r"^[^\n]*\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b[^\n]*$", text, re.MULTILINE)
    return _one_line(match.group(0)) if match else ""


def _plain_bounce_recipient(text: str) -> str:
    # qmail and Postfix: "<mario@example.it>:" at the start of a line.
    match = re.search(rf"^\s*<({_ADDR})>:", text, re.MULTILINE)
    if match:
        return match.group(1).lower()
    # Exim: "The following address(es) failed:" then the address, indented, on its own line.
    match = re.search(rf"following\s+address(?:\(es\))?\s+failed:\s*\n\s*\n?\s*<?({_ADDR})>?", text, re.I)
    if match:
        return match.group(1).lower()
    # Outlook/Exchange: "Delivery has failed to these recipients or groups:\n\nmario@example.it"
    match = re.search(
        rf"(?:recipients?(?:\s+or\s+groups)?|destinatari):\s*\n\s*\n?\s*<?({_ADDR})>?", text, re.I
    )
    return match.group(1).lower() if match else ""


def _bounce(parsed: ParsedEmail, envelope_sender: str | None) -> Classification | None:
    report = parsed.delivery_report
    if report is not None and (report.report_type == "delivery-status" or report.delivery_status):
        fields = _dsn_fields(report.delivery_status)
        recipient = _typed_address(fields.get("final-recipient", "")) or _typed_address(
            fields.get("original-recipient", "")
        )
        action = fields.get("action", "").lower()
        if action in {"delivered", "relayed", "expanded"}:
            return Classification(AUTOMATIC, f"delivery report: {action}", failed_recipient="")
        return Classification(
            BOUNCE,
            "delivery status notification (multipart/report)" + (f", action {action}" if action else ""),
            bounced_message_id=_returned_message_id(report.returned_headers),
            failed_recipient=recipient,
            status=fields.get("status", ""),
            diagnostic=_one_line(fields.get("diagnostic-code", "").split(";", 1)[-1]),
        )
    daemon = _is_daemon(parsed.from_address) or _null_sender(parsed, envelope_sender)
    text = parsed.text
    if daemon and (_BOUNCE_SUBJECT.search(parsed.subject) or _BOUNCE_BODY.search(text)):
        failed = _first(parsed, "x-failed-recipients").lower() or _plain_bounce_recipient(text)
        status = re.search(r"\b([45]\.\d{1,3}\.\d{1,3})\b", text)
        return Classification(
            BOUNCE,
            "plain-text bounce from " + (parsed.from_address or "a null sender"),
            bounced_message_id=_returned_message_id(text),
            failed_recipient=failed,
            status=status.group(1) if status else "",
            diagnostic=_plain_bounce_diagnostic(text),
        )
    return None


def classify(
    parsed: ParsedEmail, *, envelope_sender: str | None, is_own_address: Callable[[str], bool]
) -> Classification:
    """Classify one parsed message. `envelope_sender` is the SMTP MAIL FROM when known (LMTP gives
    it; "" or "<>" is the null sender of bounces and RFC 3834 replies; None = unknown, as for
    IMAP). `is_own_address` says whether an address is one of the shop's own (its mailboxes and
    domains): mail from them is never answered. An unreadable message is genuine: a human looks."""
    if not parsed.is_readable:
        return Classification(GENUINE, "unreadable: shown to an agent")

    bounce = _bounce(parsed, envelope_sender)
    if bounce is not None:
        return bounce

    auto_submitted = _first(parsed, "auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return Classification(AUTOMATIC, f"Auto-Submitted: {auto_submitted}")
    precedence = _first(parsed, "precedence").lower()
    if precedence in _PRECEDENCE_AUTOMATIC:
        return Classification(AUTOMATIC, f"Precedence: {precedence}")
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated"):
        value = _first(parsed, name)
        if value and value.lower() not in {"no", "false", "0"}:
            return Classification(AUTOMATIC, f"{name}: {value}")
    suppress = {v.strip().lower() for v in _first(parsed, "x-auto-response-suppress").split(",")}
    if suppress & _SUPPRESS_AUTOMATIC:
        return Classification(AUTOMATIC, "X-Auto-Response-Suppress: " + ", ".join(sorted(suppress - {""})))
    if _first(parsed, "x-loop"):
        return Classification(AUTOMATIC, f"X-Loop: {_first(parsed, 'x-loop')}")
    for name in ("list-id", "list-unsubscribe"):
        if _first(parsed, name):
            return Classification(AUTOMATIC, f"mailing list ({name})")
    if _null_sender(parsed, envelope_sender):
        return Classification(AUTOMATIC, "null Return-Path (<>)")
    for address in (parsed.from_address, envelope_sender or ""):
        if address and _is_daemon(address.strip("<>")):
            return Classification(AUTOMATIC, f"sent by {address.strip('<>').lower()}")
    if _first(parsed, "x-ricevuta"):
        return Classification(AUTOMATIC, f"PEC receipt ({_first(parsed, 'x-ricevuta')})")
    if parsed.from_address and is_own_address(parsed.from_address):
        return Classification(AUTOMATIC, "from the shop's own address")
    if _OOO.search(parsed.subject):
        return Classification(AUTOMATIC, f"out-of-office subject: {parsed.subject}")
    return Classification(GENUINE, "no automatic marker")


LOOP_WINDOW = dt.timedelta(minutes=10)
LOOP_LIMIT = 3


def is_mail_loop(
    automatic_times: Iterable[dt.datetime],
    *,
    now: dt.datetime,
    window: dt.timedelta = LOOP_WINDOW,
    limit: int = LOOP_LIMIT,
) -> bool:
    """Whether a mail loop is running between a pair of addresses: `automatic_times` are when the
    automatic messages between the pair (both directions) were received or sent; more than `limit`
    within `window` of `now` is a loop, and the caller then stops answering that pair."""
    return sum(1 for t in automatic_times if now - window <= t <= now) > limit


# --- Vacation replies with no automatic header (RFC 3834 §3.1.5 asks for Auto-Submitted; old
# vacation programs and webmail responders send none). The words alone are not enough: a customer
# may well write "sono in ferie fino al 20, consegnate dopo". The caller also requires that the
# message names no earlier message (no In-Reply-To, no References) and that we wrote to its sender
# within VACATION_WINDOW before it arrived: responders answer the mail that woke them, at once
# (the window leaves room for our outbox's retries and the responder's server's greylisting).

VACATION_WINDOW = dt.timedelta(hours=12)

# "I am away" statements, matched anywhere in the subject or the visible text, in it/en/de/fr/es.
_ABSENT = re.compile(
    r"""
      \b(?:sono|sar[òo]|resto|rester[òo])\s+(?:attualmente\s+|ora\s+)?
        (?:in\s+ferie|in\s+vacanza|fuori\s+(?:sede|ufficio)|assente|in\s+congedo|in\s+maternit[àa])\b
    | \bassente\s+dall['’]\s?ufficio\b | \bchius[oi]\s+per\s+ferie\b | \bchiusura\s+(?:estiva|per\s+ferie)\b
    | \bI(?:\s+am|['’]m|\s+will\s+be)\s+(?:currently\s+|now\s+)?
        (?:on\s+(?:vacation|holidays?|leave|annual\s+leave|parental\s+leave|maternity\s+leave)
         | out\s+of\s+(?:the\s+)?office | away\s+(?:from|until|till|on) | off\s+work)\b
    | \bich\s+bin\s+(?:\S+\s+){0,6}?
        (?:im\s+urlaub|in\s+urlaub|nicht\s+im\s+b(?:ü|ue)ro|abwesend|au(?:ß|ss)er\s+haus)
    | \bje\s+(?:suis|serai)\s+(?:actuellement\s+)?
        (?:en\s+(?:cong[ée]s?|vacances)|absente?|en\s+dehors\s+du\s+bureau)\b
    | \b(?:estoy|estar[ée])\s+(?:actualmente\s+)?
        (?:de\s+vacaciones|fuera\s+de\s+(?:la\s+)?oficina|ausente)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A subject that is nothing but "away", perhaps with its dates: "Ferie", "In vacanza dal 1 al 20
# agosto", "Away until Monday", "Vacaciones"; not "Holiday gift wrapping".
_AWAY_SUBJECT = re.compile(
    r"""^(?:in\s+)?(?:ferie|vacanz[ae]|vacation|holidays?|away|urlaub|cong[ée]s?|vacances|vacaciones)
        (?:\s+(?:dal|fino|sino|until|till|from|bis|ab|vom|du|jusqu|hasta|desde)\b.* | \s*[\d(:\-–].*)?$""",
    re.IGNORECASE | re.VERBOSE,
)
# What a person writing to a shop mentions and a responder does not: their order, parcel, delivery,
# refund, return. Any of them makes the message a customer's, whatever else it says.
_PURCHASE = re.compile(
    r"""\b(?:ordin[ei]|pacc(?:o|hi)|spedizion[ei]|consegn\w*|rimbors\w*|res[oi]\b
         | (?:my|an|the|your)\s+order | orders?\s+(?:number|no\.?|\#) | parcels? | packages? | deliver\w*
         | refund\w* | bestellung\w* | paket\w* | liefer\w* | rückerstattung | r(?:ü|ue)cksendung
         | commande\w* | colis | livr\w* | rembours\w* | pedido\w* | paquetes? | entreg\w* | reembols\w*)""",
    re.IGNORECASE | re.VERBOSE,
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Longer than any responder's text; a customer's story.
_VACATION_MAX_CHARS = 1500


def vacation_cue(parsed: ParsedEmail) -> str:
    """The words that make a message without automatic headers read as a vacation reply ("sono in
    ferie", "I am on vacation", a subject that is just "Ferie"), or "" when there are none or when
    something says a person wrote it: a question (a "?" outside links), a file attached, an order,
    parcel, delivery or refund mentioned, or a text longer than a responder's. The caller decides
    with the rest of the evidence (no threading headers, our recent mail to the sender)."""
    text = visible_text(parsed.text).strip() if parsed.text else ""
    if len(text) > _VACATION_MAX_CHARS or any(not a.inline for a in parsed.attachments):
        return ""
    subject = parsed.subject.strip()
    words = _URL.sub(" ", f"{subject}\n{text}")
    if "?" in words or "¿" in words or _PURCHASE.search(words):
        return ""
    found = _ABSENT.search(subject) or _ABSENT.search(text) or _AWAY_SUBJECT.match(subject)
    return " ".join(found.group(0).split()) if found else ""
