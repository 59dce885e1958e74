"""The outbox: the one way mail reaches a customer (docs/architecture.md, "Anything out: the outbox").

`send` writes the row in the caller's transaction and rings Huey on commit; `deliver` claims the
row with a conditional UPDATE, commits, talks SMTP with no transaction open, and records the
server's answer; `deliver_due` (every minute) delivers whatever a lost doorbell, a retry or a dead
worker left behind. Decision 0008: a worker that dies after the server accepted the mail and
before the row says so causes one resend, under the same Message-ID, counted on the row.
"""

import datetime
import random
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from premura.channels.email import smtp
from premura.channels.email.compose import OutgoingMail, compose
from premura.channels.exceptions import NoRecipient, UnreadableCredential
from premura.channels.mailboxes import all_mailboxes
from premura.channels.models import (
    AttemptResult,
    EmailDeliveryAttempt,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
)
from premura.conversations.models import Case, Direction, Message
from premura.core import bulk, clock
from premura.core.models import Channel
from premura.core.text import is_ascii_number
from premura.customers.queries import email_address_for
from premura.shop.queries import shop_settings

# How long a claimed row may stay "sending" before the sweeper takes it back: longer than any
# SMTP conversation (EMAIL_TIMEOUT per step), so a slow worker is not raced by a resend.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
# Transient failures back off 1, 2, 4... minutes (at most 4 hours), ±25% jitter so rows that
# failed together do not retry together; after MAX_ATTEMPTS the row fails for good.
RETRY_BASE = datetime.timedelta(minutes=1)
RETRY_CAP = datetime.timedelta(hours=4)
MAX_ATTEMPTS = 10
SWEEP_BATCH = 200
# References keep the thread's first id and the latest ones (RFC 5322 §3.6.4 allows trimming).
MAX_REFERENCES = 20

# Channels whose customer reads our answers by e-mail: mail, and the web form (they left an address).
EMAIL_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB_FORM})


# --- Queueing ----------------------------------------------------------------------------------


def mailbox_for(case: Case) -> Mailbox | None:
    """The mailbox that answers `case`: the active one of the case's team, else the first active."""
    mailboxes = [mailbox for mailbox in all_mailboxes() if mailbox.is_active]
    for mailbox in mailboxes:
        if case.team_id and mailbox.default_team_id == case.team_id:
            return mailbox
    return mailboxes[0] if mailboxes else None


def sender_name(mailbox: Mailbox | None) -> str:
    """The name the shop's mail to a customer is sent and signed with: the mailbox's, else the shop's."""
    return (mailbox.display_name if mailbox else "") or shop_settings().name


def sender_address(mailbox: Mailbox | None) -> str:
    """The address it is sent from: the mailbox's, else the shop's support address or the default."""
    return mailbox.address if mailbox else (shop_settings().support_email or settings.DEFAULT_FROM_EMAIL)


def plus_token(case_id: int) -> str:
    """The case's token in a plus address (`assistenza+<token>@`): the number and a short MAC, so
    that nobody can write into a case by guessing its number."""
    mac = salted_hmac("premura.channels.plus_token", str(case_id)).hexdigest()[:10]
    return f"{case_id}-{mac}"


def case_id_from_plus_token(token: str) -> int | None:
    """The case number a plus-address token names, or None if the token is not one of ours."""
    number, _, mac = token.partition("-")
    if not is_ascii_number(number) or not mac:
        return None
    return int(number) if constant_time_compare(plus_token(int(number)), token) else None


def reply_address(mailbox: Mailbox, case: Case) -> str:
    if not mailbox.plus_addressing:
        return mailbox.address
    local, _, domain = mailbox.address.rpartition("@")
    return f"{local}+{plus_token(case.pk)}@{domain}"


def case_token(case: Case) -> str:
    return f"[#{case.pk}]"


def subject_for(case: Case, subject: str) -> str:
    """`subject` with the case token once at the end, whatever Re: chains it went through."""
    subject = " ".join(subject.split())
    token = case_token(case)
    return subject if token in subject else f"{subject} {token}".strip()


def reply_subject(case: Case) -> str:
    """Re: the case's subject, or a neutral one when the desk wrote the subject (the customer never
    reads the desk's own words, as in the portal)."""
    if case.is_subject_internal:
        with override(case.language):
            return _("Your request")
    subject = case.subject.strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _angle(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def _thread_ids_sql() -> str:
    column, message, outbound = bulk.column, Message, OutboundEmail
    return (
        f"SELECT {column(message, 'created_at')}, 0, {column(message, 'external_id')}"
        f" FROM {bulk.table(message)} WHERE {column(message, 'case')} = %s"
        f" AND {column(message, 'direction')} = %s AND {column(message, 'channel')} = %s"
        f" AND {column(message, 'external_id')} <> ''"
        f" UNION ALL SELECT {column(outbound, 'created_at')}, 1, {column(outbound, 'message_id_header')}"
        f" FROM {bulk.table(outbound)} WHERE {column(outbound, 'case')} = %s"
        " ORDER BY 1, 2, 3"
    )


def thread_ids(case: Case) -> list[str]:
    """Every Message-ID of the case's e-mail so far, oldest first: the customer's (the inbound
    messages' external ids) and ours (the outbox rows'). One plain statement: every queued mail
    asks, and two ORM queries cost several times their reads."""
    with connection.cursor() as cursor:
        cursor.execute(_thread_ids_sql(), [case.pk, Direction.INBOUND, Channel.EMAIL, case.pk])
        stamped = cursor.fetchall()
    ids: list[str] = []
    for _at, _order, message_id in stamped:
        message_id = _angle(message_id)
        if message_id not in ids:
            ids.append(message_id)
    return ids


def _new_message_id(from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def _ring(outbound_id: int) -> None:
    from premura.channels.tasks import deliver_outbound_task

    deliver_outbound_task(outbound_id)


def send(
    case: Case,
    kind: str,
    *,
    subject: str,
    body: str,
    message: Message | None = None,
    from_name: str = "",
    to_address: str = "",
    body_html: str = "",
    not_before: datetime.datetime | None = None,
    dedupe_key: str = "",
) -> OutboundEmail:
    """Queue one e-mail about `case` to its customer; return its outbox row.

    Idempotent on `dedupe_key` (default "<kind>:message:<message id>"; required without a
    message): queuing the same notice again returns the row already there and writes nothing.
    Runs in the caller's transaction; the row is delivered after it commits (the Huey doorbell,
    and the sweeper if that is lost), not before `not_before`. The Message-ID, threading headers,
    subject (with the case token) and body are fixed now, so every retry sends the same mail.
    Without `to_address` the mail goes to the customer's primary e-mail, or to another of their
    addresses when mail to the primary one comes back (customers.queries.email_address_for).
    Raises NoRecipient when the customer has no e-mail address.
    """
    if not dedupe_key:
        if message is None:
            raise ValueError("send() needs a dedupe_key when no message is given")
        dedupe_key = f"{kind}:message:{message.pk}"
    # No look for a row under the key first: the unique key finds it when there is one (below),
    # and nearly every call queues a new notice.
    to_address = to_address or email_address_for(case.customer)
    if not to_address:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        raise NoRecipient(_("The customer has no e-mail address."))
    mailbox = mailbox_for(case)
    shop = shop_settings()
    from_address = sender_address(mailbox)
    references = thread_ids(case)[-MAX_REFERENCES:]
    now = clock.now()
    row = OutboundEmail(
        case=case,
        message=message,
        mailbox=mailbox,
        kind=kind,
        from_name=from_name or sender_name(mailbox),
        from_address=from_address,
        reply_to=reply_address(mailbox, case) if mailbox else "",
        to_address=to_address,
        subject=subject_for(case, subject),
        body_text=_with_footer(body, shop.legal_footer),
        body_html=body_html,
        message_id_header=_new_message_id(from_address),
        in_reply_to=references[-1] if references else "",
        references=" ".join(references),
        dedupe_key=dedupe_key,
        next_attempt_at=max(now, not_before) if not_before else now,
        created_at=now,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Queued already (by an earlier call, or a concurrent one): that row is the one.
        return OutboundEmail.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(lambda: _ring(row.pk))
    return row


def _with_footer(body: str, footer: str) -> str:
    footer = footer.strip()
    return f"{body.rstrip()}\n\n-- \n{footer}\n" if footer else f"{body.rstrip()}\n"


def wants_email(case: Case) -> bool:
    """Whether the customer of `case` reads our replies by e-mail."""
    return case.channel in EMAIL_CHANNELS and bool(case.customer.primary_email)


def reply_by_email(case: Case, message: Message) -> OutboundEmail | None:
    """Queue the agent's reply `message` (already signed by conversations.services.reply) as an
    e-mail, when the case is an e-mail or web-form case and the customer has an address; else None.

    Call it in the reply's transaction, so the reply and its outbox row commit together.
    Idempotent per message.
    """
    if not wants_email(case):
        return None
    agent = message.author_agent
    return send(
        case,
        OutboundKind.REPLY,
        message=message,
        subject=reply_subject(case),
        body=message.body,
        from_name=agent.display_name if agent else message.author_name,
    )


# --- Delivery ----------------------------------------------------------------------------------


def smtp_server_for(mailbox: Mailbox | None) -> smtp.SmtpServer | None:
    """The mailbox's own SMTP server, else the installation's EMAIL_* settings; None when neither
    names a host (the mail stays queued, shown as not sent). Raises UnreadableCredential when the
    mailbox's stored password cannot be decrypted."""
    if mailbox is not None and mailbox.smtp_host:
        return smtp.SmtpServer(
            host=mailbox.smtp_host,
            port=mailbox.smtp_port or 587,
            use_tls=mailbox.smtp_use_tls,
            username=mailbox.smtp_username,
            password=mailbox.smtp_password,
            timeout=settings.EMAIL_TIMEOUT,
        )
    if settings.EMAIL_HOST:
        return smtp.SmtpServer(
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            use_tls=settings.EMAIL_USE_TLS,
            username=settings.EMAIL_HOST_USER,
            password=settings.EMAIL_HOST_PASSWORD,
            timeout=settings.EMAIL_TIMEOUT,
        )
    return None


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th transient failure: exponential, capped, with jitter."""
    delay = min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)
    return delay * random.uniform(0.75, 1.25)


def _claim(row: OutboundEmail, now: datetime.datetime) -> EmailDeliveryAttempt | None:
    """Take the row for one attempt, or None if another worker has it or it is not due.

    The UPDATE matches only the status and attempt count we read, so of two workers exactly one
    changes the row (works on SQLite and PostgreSQL alike, no row lock needed). A row found in
    "sending" is one whose claim expired: its worker died, perhaps after the server took the mail.
    """
    if not row.can_move_to(OutboundStatus.SENDING):
        return None
    reclaimed = row.status == OutboundStatus.SENDING
    with transaction.atomic():
        taken = OutboundEmail.objects.filter(
            pk=row.pk, status=row.status, attempts=row.attempts, next_attempt_at__lte=now
        ).update(
            status=OutboundStatus.SENDING,
            attempts=F("attempts") + 1,
            reclaimed_count=F("reclaimed_count") + (1 if reclaimed else 0),
            next_attempt_at=now + CLAIM_TIMEOUT,
        )
        if taken != 1:
            return None
        if reclaimed:
            EmailDeliveryAttempt.objects.filter(outbound=row, finished_at__isnull=True).update(
                finished_at=now, result=AttemptResult.ABANDONED
            )
        return EmailDeliveryAttempt.objects.create(outbound=row, number=row.attempts + 1, started_at=now)


def _outgoing(row: OutboundEmail) -> OutgoingMail:
    return OutgoingMail(
        from_name=row.from_name,
        from_address=row.from_address,
        to_address=row.to_address,
        reply_to=row.reply_to,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id_header,
        in_reply_to=row.in_reply_to,
        references=tuple(row.references.split()),
        # The time it was queued: a resend is byte for byte the same mail.
        date=row.created_at,
        auto_submitted="auto-replied" if row.kind == OutboundKind.ACKNOWLEDGEMENT else "",
    )


@transaction.atomic
def _record_sent(row: OutboundEmail, attempt: EmailDeliveryAttempt, answer: str) -> None:
    now = clock.now()
    # Whoever holds the claim now, the mail has reached the server: the row is sent.
    OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.SENT, sent_at=now, smtp_response=answer, last_error=""
    )
    EmailDeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now, result=AttemptResult.SENT, server_answer=answer
    )


@transaction.atomic
def _record_failure(row: OutboundEmail, attempt: EmailDeliveryAttempt, error: smtp.DeliveryError) -> str:
    now = clock.now()
    give_up = error.permanent or attempt.number >= MAX_ATTEMPTS
    status = OutboundStatus.FAILED if give_up else OutboundStatus.RETRY_WAIT
    reason = error.answer if error.permanent or not give_up else _gave_up(attempt.number, error.answer)
    # Only while our claim holds: a reclaimed row belongs to the worker that took it back.
    OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.SENDING, attempts=attempt.number).update(
        status=status,
        last_error=reason,
        smtp_response=error.answer,
        next_attempt_at=now if give_up else now + retry_delay(attempt.number),
    )
    EmailDeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now,
        result=AttemptResult.PERMANENT if error.permanent else AttemptResult.TRANSIENT,
        server_answer=error.answer,
    )
    return status


def _gave_up(attempts: int, answer: str) -> str:
    return f"No delivery after {attempts} attempts; last answer: {answer}"


def deliver(outbound_id: int) -> str:
    """Try to send one outbox row now; return its status afterwards (or "not_due", "taken",
    "no_server" when nothing was tried).

    Safe to call any number of times, from any number of workers: a sent or failed row is left
    alone, and only the worker whose claim succeeds talks to the server. Must be called outside a
    transaction: the claim commits before the SMTP conversation and the answer is recorded after.
    """
    now = clock.now()
    row = OutboundEmail.objects.select_related("mailbox").filter(pk=outbound_id).first()
    if row is None or row.status in (OutboundStatus.SENT, OutboundStatus.FAILED, OutboundStatus.WITHDRAWN):
        return row.status if row else "missing"
    if row.next_attempt_at > now:
        return "not_due"
    try:
        server, unusable = smtp_server_for(row.mailbox), None
    except UnreadableCredential as error:  # SECRET_KEY changed: retried until the password is typed again
        server, unusable = None, smtp.DeliveryError(str(error), permanent=False)
    if server is None and unusable is None:
        return "no_server"
    attempt = _claim(row, now)
    if attempt is None:
        return "taken"
    if unusable is not None:
        return _record_failure(row, attempt, unusable)
    raw = compose(_outgoing(row))
    try:
        answer = smtp.send(server, envelope_from=row.from_address, recipient=row.to_address, raw=raw)
    except smtp.DeliveryError as error:
        return _record_failure(row, attempt, error)
    _record_sent(row, attempt, answer)
    return OutboundStatus.SENT


def withdraw(row: OutboundEmail) -> bool:
    """Take back a queued row that was never tried (a notice held for the customer's quiet hours
    that newer news replaces); whether it was withdrawn. A row a worker has claimed, or sent,
    stays as it is: the conditional UPDATE matches only a queued row with no attempt."""
    withdrawn = OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.QUEUED, attempts=0).update(
        status=OutboundStatus.WITHDRAWN
    )
    if withdrawn:
        row.status = OutboundStatus.WITHDRAWN
    return withdrawn == 1


def deliver_due(batch: int = SWEEP_BATCH) -> int:
    """Deliver the unsent rows whose time has come (a lost doorbell, a retry, an expired claim),
    oldest due first; return how many were sent. Reads the partial index of unsent rows only."""
    due = list(
        OutboundEmail.objects.filter(
            status__in=[OutboundStatus.QUEUED, OutboundStatus.RETRY_WAIT, OutboundStatus.SENDING],
            next_attempt_at__lte=clock.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for outbound_id in due if deliver(outbound_id) == OutboundStatus.SENT)


def deliveries_by_message(case: Case) -> dict[int, OutboundEmail]:
    """The outbox row of each message of the case that went out by e-mail, by message id."""
    return {row.message_id: row for row in OutboundEmail.objects.filter(case=case, message__isnull=False)}
