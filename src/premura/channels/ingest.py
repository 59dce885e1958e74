"""From a stored inbound e-mail to a case message: `process_inbound` (docs/architecture.md, "E-mail in").

`accept_inbound` stores the raw bytes and rings `tasks.process_inbound_task` on commit; the
sweeper (`process_waiting`, every minute) picks up whatever a lost doorbell or a dead worker left.

Processing one row:
1. claim it with a conditional UPDATE (received → processing; a processing row whose claim is older
   than CLAIM_TIMEOUT is claimed again: its worker died), so two workers never file it twice;
2. parse and classify (pure functions, channels/email/); a message that cannot be read goes to
   `unreadable` with the error and stays, bytes and all, for the "could not read" view;
3. in ONE transaction, at the time we received it (`clock.frozen_at(received_at)`, so a case orders
   its messages by arrival, not by the sender's `Date`): identify the customer, thread
   (`find_case`), append or open, store the attachments, link the row and mark it processed.
   The first genuine message of a new case (or of a solved case it reopens) is acknowledged
   (acknowledgements.acknowledge, to the Reply-To, else From). Automatic mail and bounces are
   never a customer message: they never reopen a case and are never acknowledged; when they
   thread, the case gets an audit event.

A crash anywhere in 3 rolls the whole step back: the row stays `processing` with the error, and
the sweeper claims it again after CLAIM_TIMEOUT. After MAX_ATTEMPTS claims it goes to `unreadable`
with the last error, so one poisonous message cannot keep a worker busy forever.
"""

import datetime
import enum
import functools
import logging
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from premura.channels import acknowledgements, mailboxes, outbox
from premura.channels.email.classify import (
    BOUNCE,
    GENUINE,
    LOOP_WINDOW,
    Classification,
    classify,
    is_mail_loop,
)
from premura.channels.email.parse import ParsedEmail, parse_message
from premura.channels.email.quotes import visible_text
from premura.channels.models import InboundEmail, InboundState, Mailbox, OutboundEmail, OutboundKind
from premura.channels.vacation import vacation_reply
from premura.commerce.models import Order
from premura.conversations import routing
from premura.conversations.attachments import attach_upload, sniff_content_type
from premura.conversations.models import Case, CasePhase, CaseStatus, Message
from premura.conversations.services import open_case, receive_message
from premura.core import bulk, clock
from premura.core.audit import record_event
from premura.core.models import Channel
from premura.customers.exceptions import CustomerError, IdentityTaken
from premura.customers.models import Customer, IdentityKind, Language
from premura.customers.services import (
    NewIdentity,
    clear_identity_failing,
    create_customer,
    find_customer,
    find_identities,
    mark_identity_failing,
    normalise_email,
)
from premura.shop.queries import shop_settings
from premura.sla.services import pinned_policies

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: longer than any message takes to file.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 5
SWEEP_BATCH = 100
# Fresh rows filed in one transaction (decision 0025): enough to share the per-transaction and
# per-configuration costs (50 cost no less CPU a message than 20), few enough that the writer
# lock (SQLite: the LMTP listener's 250 waits for it) and the agents' row locks (choose_owner,
# PostgreSQL) are held for well under a second.
BATCH_SIZE = 20
# How many of a reply's Message-IDs are looked up, In-Reply-To and then the newest References: a
# real thread names its last messages, and a header of thousands (hostile, or a client that never
# trims) would otherwise make one statement past the database's limit on parameters.
REFERENCES_LOOKED_UP = 50
# The case token our replies put in the subject (outbox.case_token): "[#1234]", never a bare "#1234".
_CASE_TOKEN = re.compile(r"\[#(\d{1,12})\]")


# --- Threading ---------------------------------------------------------------------------------


class Thread(NamedTuple):
    """Where a message belongs. `case` None: a new case. `how` names the rule that matched:
    references, plus_address, subject_token, order, or new. `linked` is a case the new one must
    point to: the case a stranger named with its token in the subject (rule 3)."""

    case: Case | None
    how: str
    linked: Case | None = None


class _Lookup(enum.Enum):
    SENDER = "look the sender's customer up"


# find_case's default: it looks the sender up itself when a rule needs them.
LOOKUP_SENDER = _Lookup.SENDER


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _by_references(parsed: ParsedEmail) -> Case | None:
    """The case of the most recent message this one replies to: In-Reply-To first, then References
    from the last (newest) to the first, against our outbound Message-IDs and the customers' inbound
    ones."""
    ordered: list[str] = []
    for message_id in [parsed.in_reply_to, *reversed(parsed.references)]:
        message_id = _bare(message_id)
        if message_id and message_id not in ordered:
            ordered.append(message_id)
            if len(ordered) == REFERENCES_LOOKED_UP:
                break
    if not ordered:
        return None
    case_by_id: dict[str, int] = {}
    outbound_ids = [f"<{i}>" for i in ordered] + ordered
    with connection.cursor() as cursor:
        cursor.execute(
            _referenced_cases_sql(len(outbound_ids), len(ordered)),
            [*outbound_ids, Channel.EMAIL.value, *ordered],
        )
        for message_id, case_id, _ours_first in cursor.fetchall():
            case_by_id.setdefault(_bare(message_id), case_id)
    for message_id in ordered:
        if message_id in case_by_id:
            return Case.objects.select_related("customer").get(pk=case_by_id[message_id])
    return None


@functools.lru_cache(maxsize=REFERENCES_LOOKED_UP)
def _referenced_cases_sql(outbound_count: int, inbound_count: int) -> str:
    """(Message-ID, case id) of our outbox rows and the customers' e-mail messages with one of the
    ids given, ours first: one plain statement (decision 0036), asked by every reply. The inbound
    half repeats, word for word as the migration wrote it, `NOT (external_id = '')`, the condition
    of the partial unique index on (channel, external_id): SQLite uses a partial index only when
    the query states its condition, and would otherwise scan every message of the desk
    (`external_id <> ''` is not enough)."""
    ours_id, ours_case = bulk.column(OutboundEmail, "message_id_header"), bulk.column(OutboundEmail, "case")
    theirs_id, theirs_case = bulk.column(Message, "external_id"), bulk.column(Message, "case")
    return (
        f"SELECT {ours_id}, {ours_case}, 0 FROM {bulk.table(OutboundEmail)}"
        f" WHERE {ours_id} IN ({', '.join(['%s'] * outbound_count)})"
        f" UNION ALL SELECT {theirs_id}, {theirs_case}, 1 FROM {bulk.table(Message)}"
        f" WHERE {bulk.column(Message, 'channel')} = %s"
        f" AND {theirs_id} IN ({', '.join(['%s'] * inbound_count)}) AND NOT ({theirs_id} = '') ORDER BY 3"
    )


def _by_plus_address(mailbox: Mailbox, recipients: Iterable[str]) -> Case | None:
    """The case named by a `local+<token>@domain` recipient of this mailbox (the token is MAC'd:
    outbox.plus_token), when the mailbox uses plus addressing."""
    if not mailbox.plus_addressing:
        return None
    local, _at, domain = mailbox.address.lower().rpartition("@")
    for address in recipients:
        address = address.strip().strip("<>").strip().lower()
        rcpt_local, at, rcpt_domain = address.rpartition("@")
        base, plus, token = rcpt_local.partition("+")
        if not at or not plus or base != local or rcpt_domain != domain:
            continue
        case_id = outbox.case_id_from_plus_token(token)
        if case_id is not None:
            case = Case.objects.select_related("customer").filter(pk=case_id).first()
            if case is not None:
                return case
    return None


def _names_order(subject: str, number: str) -> bool:
    """Whether `subject` names the order `number` as a whole word ("PRM-100001"), or its trailing
    group of four or more digits ("ordine 100001"), also as a whole word."""
    if re.search(rf"(?<![\w-]){re.escape(number)}(?![\w-])", subject, re.IGNORECASE):
        return True
    digits = re.search(r"(\d{4,})$", number)
    return bool(digits) and re.search(rf"(?<!\d){digits.group(1)}(?!\d)", subject) is not None


def _by_order(subject: str, customer: Customer | None) -> Case | None:
    """The sender's open case (not solved or closed) about an order of theirs named in the subject."""
    if customer is None or not subject:
        return None
    open_cases = (
        Case.objects.filter(customer=customer, order__isnull=False)
        .exclude(phase=CasePhase.DONE)
        .select_related("order", "customer")
        .order_by("-last_activity_at", "-pk")
    )
    for case in open_cases:
        if _names_order(subject, case.order.number):
            return case
    return None


def sender_customer(parsed: ParsedEmail) -> Customer | None:
    """The customer whose e-mail identity is the From address (PEC: the inner message's)."""
    return find_customer(IdentityKind.EMAIL, parsed.from_address) if parsed.from_address else None


def find_case(
    parsed: ParsedEmail,
    mailbox: Mailbox,
    recipients: Sequence[str],
    *,
    sender: Customer | None | _Lookup = LOOKUP_SENDER,
) -> Thread:
    """Thread one message, rules in this order (the first that matches wins):

    1. references: In-Reply-To / References name a stored Message-ID, ours (OutboundEmail) or the
       customer's (an e-mail Message's external id); whoever sends it, it joins that case;
    2. plus_address: a recipient (envelope, To or Cc) is `<mailbox local>+<case token>@<domain>`
       and the mailbox has plus addressing;
    3. subject_token: `[#1234]` in the subject, and the sender is an e-mail identity of that case's
       customer. From anyone else: a new case, `linked` to the named one (never joined: the number
       is easy to guess, the case is not theirs);
    4. order: the sender, a known customer, names one of their orders in the subject while a case
       on it is open (not solved or closed);
    5. new: a new case.

    Never on a bare "#123456" or "n. 10482" in the text: customers write order numbers that way.
    `sender` is the sender's customer (`sender_customer`) when the caller has it already.
    """
    case = _by_references(parsed)
    if case is not None:
        return Thread(case, "references")
    case = _by_plus_address(mailbox, [*recipients, *parsed.to, *parsed.cc])
    if case is not None:
        return Thread(case, "plus_address")
    customer = sender_customer(parsed) if sender is LOOKUP_SENDER else sender
    token = _CASE_TOKEN.search(parsed.subject)
    named = Case.objects.select_related("customer").filter(pk=int(token.group(1))).first() if token else None
    if named is not None:
        if customer is not None and customer.pk == named.customer_id:
            return Thread(named, "subject_token")
        return Thread(None, "new", linked=named)
    case = _by_order(parsed.subject, customer)
    if case is not None:
        return Thread(case, "order")
    return Thread(None, "new")


# --- Processing ---------------------------------------------------------------------------------


def _waiting(now: datetime.datetime) -> Q:
    """Rows to process: received ones, and processing ones whose claim expired (a dead worker)."""
    return Q(state=InboundState.RECEIVED) | Q(
        state=InboundState.PROCESSING, claimed_at__lt=now - CLAIM_TIMEOUT
    )


def _claim(inbound_ids: Sequence[int], now: datetime.datetime) -> list[InboundEmail]:
    """Claim the rows of `inbound_ids` still waiting with one conditional UPDATE (committed at
    once: a worker that dies keeps its claims until CLAIM_TIMEOUT) and read back those this
    claim took, in the order given."""
    InboundEmail.objects.filter(_waiting(now), pk__in=inbound_ids).update(
        state=InboundState.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
    )
    rows = InboundEmail.objects.select_related("mailbox__default_team").filter(
        pk__in=inbound_ids, state=InboundState.PROCESSING, claimed_at=now
    )
    order = {inbound_id: n for n, inbound_id in enumerate(inbound_ids)}
    return sorted(rows, key=lambda row: order[row.pk])


def _finish(row: InboundEmail, claimed_at: datetime.datetime, state: str, **fields) -> bool:
    """Move our claimed row to `state`: a conditional UPDATE, so a worker whose claim expired and
    was taken over writes nothing. `fields` by name (`case=`, `error=`...). A plain statement
    (decision 0036): every message ends here, and the ORM's update cost a multiple of it."""
    values = {"state": state, "processed_at": clock.now(), **fields}
    columns, parameters = [], []
    for name, value in values.items():
        field = InboundEmail._meta.get_field(name)
        columns.append(f"{bulk.column(InboundEmail, name)} = %s")
        parameters.append(field.get_db_prep_save(getattr(value, "pk", value), connection))
    claimed = InboundEmail._meta.get_field("claimed_at").get_db_prep_save(claimed_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_INBOUND} SET {', '.join(columns)} WHERE id = %s AND state = %s AND claimed_at = %s",
            [*parameters, row.pk, InboundState.PROCESSING.value, claimed],
        )
        return cursor.rowcount == 1


_INBOUND = bulk.table(InboundEmail)


def process_inbound(inbound_id: int) -> str:
    """File one stored inbound message; return the row's state afterwards ("" when it was not
    ours to process: already processed, or claimed by a live worker).

    Idempotent: a processed row is never filed again, and the same Message-ID already filed as a
    case message (delivered to two of our mailboxes) links to that message instead of adding it
    twice. Raises what filing raised, after recording it on the row (the sweeper retries).
    """
    now = clock.now()
    outcome = _process(_claim([inbound_id], now), now)
    if inbound_id in outcome.failed:
        raise outcome.failed[inbound_id]
    return outcome.states.get(inbound_id, "")


def process_arrived(inbound_id: int, size: int = BATCH_SIZE) -> int:
    """The doorbell of a stored message (tasks.process_inbound_task): file it and, in the same
    batch, up to `size` - 1 other messages received and not yet claimed, oldest first (decision
    0025); how many rows were filed. Nothing when the row is no longer waiting: an earlier
    doorbell's batch took it, or a live worker holds it. A row that fails is recorded and left
    for the sweeper; the others of its batch go on."""
    now = clock.now()
    if not InboundEmail.objects.filter(_waiting(now), pk=inbound_id).exists():
        return 0
    others = (
        InboundEmail.objects.filter(state=InboundState.RECEIVED)
        .exclude(pk=inbound_id)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[: size - 1]
    )
    outcome = _process(_claim([inbound_id, *others], now), now)
    for failed_id, exc in outcome.failed.items():
        logger.error("inbound e-mail %s could not be processed; retried later: %r", failed_id, exc)
    return len(outcome.states)


class _Outcome(NamedTuple):
    states: dict[int, str]  # row id: its state when filed (processed, unreadable)
    failed: dict[int, Exception]  # row id: what filing it raised (recorded on the row)


def _process(rows: list[InboundEmail], now: datetime.datetime) -> _Outcome:
    """Parse the claimed `rows`, then file them one after the other in ONE transaction (decision
    0025), each in a savepoint of its own: a message that raises is rolled back alone, its error
    recorded on its row (still `processing`: the sweeper retries it after CLAIM_TIMEOUT), and the
    others are filed. Those claimed before (a worker died holding them) are each filed alone,
    so one poisonous message can only ever take itself to MAX_ATTEMPTS."""
    outcome = _Outcome({}, {})
    readable = []
    for row in rows:
        if row.attempts > MAX_ATTEMPTS:
            # Errors on the row are technical and in English, like the parser's.
            error = f"Gave up after {MAX_ATTEMPTS} failed attempts: {row.error}"
            _finish(row, now, InboundState.UNREADABLE, error=error)
            outcome.states[row.pk] = InboundState.UNREADABLE
            continue
        parsed = parse_message(bytes(row.raw), attachment_max_bytes=settings.ATTACHMENT_MAX_BYTES)
        if not parsed.is_readable:
            _finish(row, now, InboundState.UNREADABLE, error=parsed.error)
            outcome.states[row.pk] = InboundState.UNREADABLE
            continue
        readable.append((row, parsed))
    fresh = [(row, parsed) for row, parsed in readable if row.attempts == 1]
    batches = [fresh] if fresh else []
    batches += [[(row, parsed)] for row, parsed in readable if row.attempts > 1]
    for batch in batches:
        _file_batch(batch, now, outcome)
    return outcome


def _file_batch(
    batch: list[tuple[InboundEmail, ParsedEmail]], now: datetime.datetime, outcome: _Outcome
) -> None:
    # The configuration a batch reads throughout, each read once: the shop's settings before the
    # transaction (the cache is filled only outside one: shop.queries), the mailboxes and the SLA
    # policies pinned for the batch, as of its start, and each team's eligible agents (locked
    # until the batch commits) as of the batch's first case for that team.
    shop_settings()
    with mailboxes.pinned(), transaction.atomic(), pinned_policies(), routing.pinned_agents() as agents:
        # Under the rows' locks: a row whose claim expired and was taken over is not ours.
        ours = set(
            InboundEmail.objects.select_for_update()
            .filter(pk__in=[row.pk for row, _parsed in batch], state=InboundState.PROCESSING, claimed_at=now)
            .values_list("pk", flat=True)
        )
        known = _Known([parsed for row, parsed in batch if row.pk in ours])
        for row, parsed in batch:
            if row.pk not in ours:
                continue
            try:
                with transaction.atomic():
                    outcome.states[row.pk] = _file_one(row, parsed, now, known)
            except UnfileableEmail as exc:
                known.forget()
                agents.forget()
                _finish(row, now, InboundState.UNREADABLE, error=str(exc)[:2000])
                outcome.states[row.pk] = InboundState.UNREADABLE
            except Exception as exc:
                InboundEmail.objects.filter(pk=row.pk, state=InboundState.PROCESSING, claimed_at=now).update(
                    error=f"{exc.__class__.__name__}: {exc}"[:2000]
                )
                known.forget()
                agents.forget()
                outcome.failed[row.pk] = exc
            else:
                known.filed_ok()


def _file_one(row: InboundEmail, parsed: ParsedEmail, now: datetime.datetime, known: "_Known") -> str:
    """Classify and file one message of a batch, at the time we received it (`clock.frozen_at`, so
    a case orders its messages by arrival, not by the sender's `Date`), and mark its row
    processed. Raises UnfileableEmail for a readable message that names no sender."""
    classification = classify(
        parsed, envelope_sender=_envelope_sender(row), is_own_address=acknowledgements.is_own_address
    )
    if classification.kind == GENUINE:
        classification = vacation_reply(parsed, received_at=row.received_at) or classification
    with clock.frozen_at(row.received_at):
        case, message = _file(row, parsed, classification, known)
    finished = _finish(
        row,
        now,
        InboundState.PROCESSED,
        case=case,
        case_message=message,
        classification=classification.kind,
        classification_reason=classification.reason[:2000],
        error="",
    )
    if not finished:  # cannot happen under the row lock; never file twice if it does
        raise RuntimeError(f"inbound e-mail {row.pk} changed under its lock")
    return InboundState.PROCESSED


class _Known:
    """What a batch reads once for all its messages (decision 0025): the case messages already
    filed under the batch's Message-IDs, and its senders' identities (their customers, and which
    addresses are failing). Kept true as the batch goes on: what a message files or creates is
    added once its savepoint is released (`filed_ok`), and dropped if it is rolled back
    (`forget`); an address a bounce of the batch marks failing is added at once (a failing
    address costs only the UPDATE that clears it)."""

    def __init__(self, parsed: Sequence[ParsedEmail]):
        message_ids = {p.message_id for p in parsed if p.message_id}
        # The exclude lets SQLite use the partial unique index (see _by_references).
        self.messages: dict[str, Message] = {
            message.external_id: message
            for message in Message.objects.filter(channel=Channel.EMAIL, external_id__in=message_ids)
            .exclude(external_id="")
            .select_related("case")
        }
        identities = find_identities(IdentityKind.EMAIL, [p.from_address for p in parsed if p.from_address])
        self.customers: dict[str, Customer] = {value: i.customer for value, i in identities.items()}
        # Only bounces mark an address failing (_file_automatic): one of another worker's batch
        # that commits meanwhile is as if filed after this batch.
        self.failing = {value for value, identity in identities.items() if identity.is_failing}
        self._pending: list[tuple[dict, str, Message | Customer]] = []

    def filed_message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id) if message_id else None

    def sender(self, parsed: ParsedEmail) -> Customer | None:
        """`sender_customer(parsed)`, from what the batch read."""
        address = _normalised(parsed.from_address)
        return self.customers.get(address) if address else None

    def is_failing(self, address: str) -> bool:
        return _normalised(address) in self.failing

    def marked_failing(self, address: str) -> None:
        self.failing.add(_normalised(address))

    def add_message(self, message: Message) -> None:
        if message.external_id:
            self._pending.append((self.messages, message.external_id, message))

    def add_customer(self, address: str, customer: Customer) -> None:
        self._pending.append((self.customers, address, customer))

    def filed_ok(self) -> None:
        for mapping, key, value in self._pending:
            mapping[key] = value
        self._pending.clear()

    def forget(self) -> None:
        self._pending.clear()


def _normalised(address: str) -> str:
    """The stored form of an e-mail address, or "" when it is none."""
    try:
        return normalise_email(address) if address else ""
    except CustomerError:
        return ""


def _envelope_sender(row: InboundEmail) -> str | None:
    """The SMTP MAIL FROM for classify: LMTP knows it ("" is the null sender); IMAP does not."""
    return row.envelope_sender if row.source == "lmtp" else None


def _body(parsed: ParsedEmail) -> str:
    body = visible_text(parsed.text).strip() if parsed.text else ""
    return body or parsed.text.strip() or parsed.subject.strip() or _("(no text)")


def _create_customer(parsed: ParsedEmail, mailbox: Mailbox) -> tuple[Customer, bool]:
    """(customer, True) for a sender whose address `sender_customer` found unknown, created now
    (name from the display name, else the address's local part; language the mailbox's default);
    (customer, False) when another worker created them a moment ago. Raises CustomerError when the
    From address is not an address."""
    address = normalise_email(parsed.from_address)
    language = mailbox.default_language if mailbox.default_language in Language.values else Language.ITALIAN
    name = parsed.from_name.strip() or address.partition("@")[0]
    try:
        # create_customer runs in a savepoint of its own: IdentityTaken leaves ours usable.
        customer = create_customer(
            full_name=name,
            identities=[NewIdentity(IdentityKind.EMAIL, address, is_primary=True)],
            language=language,
        )
    except IdentityTaken:
        customer = find_customer(IdentityKind.EMAIL, address)
        if customer is None:
            raise
        return customer, False
    return customer, True


def _file(
    row: InboundEmail, parsed: ParsedEmail, classification: Classification, known: _Known
) -> tuple[Case | None, Message | None]:
    """Put the message where it belongs; the row's case and message."""
    already = known.filed_message(parsed.message_id)
    if already is not None:
        return already.case, already
    if classification.kind != GENUINE:
        return _file_automatic(row, parsed, classification, known), None
    if known.is_failing(parsed.from_address):
        # A person wrote from this address: whatever bounced before, it works now.
        clear_identity_failing(IdentityKind.EMAIL, parsed.from_address)
    sender = known.sender(parsed)
    recipients = list(row.envelope_recipients or [])
    thread = find_case(parsed, row.mailbox, recipients, sender=sender)
    body = _body(parsed)
    if thread.case is not None:
        case = thread.case
        if sender is None or sender.pk != case.customer_id:
            # A second address of the customer (or a colleague they forwarded to): it joins, and
            # the agent is offered the address as a new identity.
            record_event(
                case,
                "email.unknown_sender",
                actor_label=parsed.from_address or "?",
                address=parsed.from_address,
                known_customer_id=sender.pk if sender else None,
                threaded_by=thread.how,
            )
        # find_case read the case in this transaction: receive_message changes its status.
        was_solved = case.status == CaseStatus.SOLVED
        message = receive_message(case, body=body, channel=Channel.EMAIL, external_id=parsed.message_id)
        # A follow-up of a closed case is a new case; a solved one the message reopened is a new
        # round: both are acknowledged (acknowledgements.dedupe_key keeps it to once per round).
        if message.case_id != case.pk or was_solved:
            _acknowledge(message.case, _answer_address(parsed), new_case=message.case_id != case.pk)
    else:
        if not parsed.from_address:
            raise UnfileableEmail("The message has no sender address.")
        customer, created = sender, False
        if customer is None:
            try:
                customer, created = _create_customer(parsed, row.mailbox)
            except CustomerError as exc:
                raise UnfileableEmail(str(exc)) from exc
            known.add_customer(normalise_email(parsed.from_address), customer)
        # A customer created just now has no orders to name.
        order = None if created else _named_order(parsed.subject, customer)
        case = open_case(
            customer=customer,
            subject=parsed.subject,
            body=body,
            channel=Channel.EMAIL,
            order=order,
            team=row.mailbox.default_team,
            external_id=parsed.message_id,
        )
        message = case.messages.get()
        _acknowledge(case, _answer_address(parsed), new_case=True)
        if thread.linked is not None:
            record_event(
                case,
                "case.linked",
                actor_label=customer.full_name,
                linked_case=thread.linked.pk,
                why="case token in the subject from a sender who is not that case's customer",
            )
            record_event(
                thread.linked,
                "case.linked",
                actor_label=customer.full_name,
                linked_case=case.pk,
                why="named with its token in the subject by a sender who is not its customer",
            )
    _store_attachments(message, parsed)
    known.add_message(message)
    return message.case, message


def _acknowledge(case: Case, address: str, *, new_case: bool) -> None:
    """Acknowledge, unless we are in a loop with `address`: another helpdesk whose own
    acknowledgements carry no automatic marker and open a new case each time would have us answer
    forever. More than LOOP_LIMIT acknowledgements to the same address within LOOP_WINDOW
    (classify.is_mail_loop) stops them, and the case says why. `new_case`: opened by this
    message (acknowledgements.acknowledge)."""
    now = clock.now()
    # A raw statement on outbound_to_recent_idx (decision 0036): every new case asks.
    since = OutboundEmail._meta.get_field("created_at").get_db_prep_value(now - LOOP_WINDOW, connection)
    recent = OutboundEmail.objects.raw(
        _RECENT_ACKNOWLEDGEMENTS, [address.lower(), since, OutboundKind.ACKNOWLEDGEMENT.value]
    )
    if address and is_mail_loop([row.created_at for row in recent], now=now):
        record_event(case, "email.loop_suspected", actor_label=address, address=address)
        return
    acknowledgements.acknowledge(case, to_address=address, new_case=new_case)


_RECENT_ACKNOWLEDGEMENTS = (
    f"SELECT id, created_at FROM {bulk.table(OutboundEmail)}"
    " WHERE to_address = %s AND created_at >= %s AND kind = %s"
)


def _answer_address(parsed: ParsedEmail) -> str:
    """Where the customer wants answers: the Reply-To when there is one, else the From address."""
    return parsed.reply_to or parsed.from_address


class UnfileableEmail(Exception):
    """A readable message that names no sender address: stored as unreadable, for an agent."""


def _named_order(subject: str, customer: Customer) -> Order | None:
    if not subject:
        return None
    for order in Order.objects.filter(customer=customer).order_by("-placed_at")[:50]:
        if _names_order(subject, order.number):
            return order
    return None


def _store_attachments(message: Message, parsed: ParsedEmail) -> None:
    """Every extracted part on the message, with its Content-ID (the full message shows the
    mail's `cid:` images from here); the type is what its bytes show (else a plain download),
    never what the sender declared. Parts over the limit stay in the raw message and
    are listed in an audit event."""
    over_limit = []
    for attachment in parsed.attachments:
        if attachment.content is None:
            over_limit.append({"filename": attachment.filename, "size": attachment.size})
            continue
        content_type = sniff_content_type(attachment.content[:16]) or "application/octet-stream"
        upload = ContentFile(attachment.content, name=attachment.filename or "attachment")
        # A Content-ID too long for the column names no image the console could show.
        content_id = attachment.content_id if len(attachment.content_id) <= 255 else ""
        attach_upload(message, upload, content_type=content_type, content_id=content_id)
    if over_limit:
        record_event(message.case, "email.attachments_not_extracted", message_id=message.pk, files=over_limit)


def _file_automatic(
    row: InboundEmail, parsed: ParsedEmail, classification: Classification, known: _Known
) -> Case | None:
    """Automatic mail and bounces: an audit event on the case they thread into, never a message,
    never a reopening. A bounce belongs to the case of the message it returns, and a permanent one
    marks the address that message went to as failing; a vacation reply without threading
    headers belongs to the case of our mail it answers (channels.vacation)."""
    case = None
    ours = _bare(classification.bounced_message_id or classification.replies_to_message_id)
    if ours:
        outbound = (
            OutboundEmail.objects.filter(message_id_header__in=[f"<{ours}>", ours])
            .select_related("case")
            .first()
        )
        case = outbound.case if outbound is not None else None
        # Only a bounce that returns one of our own Message-IDs: anyone can forge a bounce that
        # names a customer's address, nobody can guess our ids.
        if outbound is not None and classification.is_permanent_failure:
            reason = " ".join(filter(None, [classification.status, classification.diagnostic]))
            mark_identity_failing(IdentityKind.EMAIL, outbound.to_address, reason=reason)
            known.marked_failing(outbound.to_address)
    if case is None:
        thread = find_case(
            parsed, row.mailbox, list(row.envelope_recipients or []), sender=known.sender(parsed)
        )
        case = thread.case
    if case is None:
        return None
    excerpt = visible_text(parsed.text).strip()[:500] if parsed.text else ""
    if classification.kind == BOUNCE:
        record_event(
            case,
            "email.bounced",
            actor_label=parsed.from_address or "MAILER-DAEMON",
            failed_recipient=classification.failed_recipient,
            status=classification.status,
            bounced_message_id=classification.bounced_message_id,
            inbound_email_id=row.pk,
        )
    else:
        record_event(
            case,
            "email.automatic",
            actor_label=parsed.from_address or "?",
            reason=classification.reason,
            mail_subject=parsed.subject,
            excerpt=excerpt,
            inbound_email_id=row.pk,
        )
    return case


def process_waiting(batch: int = SWEEP_BATCH) -> int:
    """Process the rows still waiting, oldest received first: received ones (a lost doorbell), in
    batches of BATCH_SIZE, and processing ones whose claim expired (a dead worker), each alone.
    Return how many were filed. A row that fails is logged and left for the next sweep; the
    others go on."""
    now = clock.now()
    waiting = list(
        InboundEmail.objects.filter(_waiting(now))
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    done = 0
    for start in range(0, len(waiting), BATCH_SIZE):
        outcome = _process(_claim(waiting[start : start + BATCH_SIZE], now), now)
        for inbound_id, exc in outcome.failed.items():
            logger.error("inbound e-mail %s could not be processed; retried later: %r", inbound_id, exc)
        done += len(outcome.states)
    return done
