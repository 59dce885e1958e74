"""The acknowledgement: one e-mail that tells a customer their request reached a person
(docs/architecture.md, "Acknowledgement").

It names the case number, who looks after it (the owner, else the team) and the shop; it goes out
once per case, and once more each time a solved case is reopened. Its text comes from two templates
the shop can override (`channels/emails/acknowledgement_subject.txt` and `..._body.txt`, in a
`TEMPLATE_OVERRIDES_DIR`), rendered in the customer's language.

The acknowledgement is stored as an outbound case message written by the shop (no agent), so the
console shows it in the timeline with its delivery state and the portal shows the customer the
same words they got by e-mail; the outbox row points at that message.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from premura.channels import outbox
from premura.channels.mailboxes import all_mailboxes
from premura.channels.models import OutboundEmail, OutboundKind
from premura.channels.rendering import render_mail
from premura.conversations.models import Case, CaseStatus, Direction, Message
from premura.core import clock
from premura.core.audit import events_for, record_event
from premura.core.models import Channel
from premura.customers.queries import email_address_for
from premura.shop.queries import shop_settings
from premura.sla.display import deadline_phrase
from premura.sla.services import promised_time

SUBJECT_TEMPLATE = "channels/emails/acknowledgement_subject.txt"
BODY_TEMPLATE = "channels/emails/acknowledgement_body.txt"


def is_own_address(address: str) -> bool:
    """Whether `address` is one of the shop's: any mailbox's address or own addresses/domains, or
    the shop's support address. Mail to those would have the shop answer itself."""
    address = address.strip().lower()
    if address == shop_settings().support_email.strip().lower():
        return True
    return any(mailbox.is_own_address(address) for mailbox in all_mailboxes())


def reopen_count(case: Case) -> int:
    """How many times the case left "solved" for a status that waits on the desk or the customer
    (a customer who wrote again, or an agent who reopened it): the acknowledgement round."""
    return (
        events_for(case)
        .filter(action="case.status_changed", data__old=CaseStatus.SOLVED)
        .exclude(data__new=CaseStatus.CLOSED)
        .count()
    )


def dedupe_key(case: Case, *, new_case: bool = False) -> str:
    """`acknowledgement:case:<id>` for the case's first acknowledgement; after the n-th reopening
    `acknowledgement:case:<id>:reopened:<n>`, so each reopened round is acknowledged once.
    `new_case`: the caller opened the case in its transaction, so it was never reopened (no need
    to count)."""
    rounds = 0 if new_case else reopen_count(case)
    key = f"acknowledgement:case:{case.pk}"
    return f"{key}:reopened:{rounds}" if rounds else key


def language_of(case: Case) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return case.language if case.language in languages else settings.LANGUAGE_CODE


def context_for(case: Case) -> dict:
    """What the templates may use. `promised_by` is the time by which a person will answer, in
    words in the case's language ("lunedì 7 dicembre alle 13:00"): the case's stored response
    deadline (sla.services.promised_time), None when no SLA policy sets one."""
    mailbox = outbox.mailbox_for(case)
    promise = promised_time(case)
    # The customer's own subject for an e-mail case ("Re: ..." keeps the thread in their client);
    # a web form or a desk-written subject gets the neutral "We have received your request".
    reply_subject = (
        outbox.reply_subject(case) if case.channel == Channel.EMAIL and not case.is_subject_internal else ""
    )
    return {
        "case": case,
        "number": case.number,
        "customer_name": case.customer.full_name.strip(),
        "owner_name": case.owner.display_name if case.owner_id else "",
        "team_name": case.team.name if case.team_id else "",
        "shop_name": outbox.sender_name(mailbox),
        "support_address": outbox.sender_address(mailbox),
        "reply_subject": reply_subject,
        "promised_by": deadline_phrase(promise, language_of(case)) if promise else None,
    }


def render(context: dict, language: str) -> tuple[str, str]:
    """(subject, body) of the acknowledgement in `language` (rendering.render_mail)."""
    return render_mail(SUBJECT_TEMPLATE, BODY_TEMPLATE, context, language)


def recipient(case: Case, to_address: str | None) -> str:
    """The address the acknowledgement goes to, or "" when there is none we may write to: no
    address, one that is not an address, or one of the shop's own. A customer's address that is
    failing (our mail to it came back) gives way to one of theirs that is not."""
    address = email_address_for(case.customer, to_address or "").strip()
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        return ""
    # Lower-cased as every address Premura stores, so the loop check finds it by index (ingest).
    return "" if is_own_address(address) else address.lower()


def acknowledge(case: Case, *, to_address: str | None = None, new_case: bool = False) -> OutboundEmail | None:
    """Queue the acknowledgement of `case` and store it as a case message; return its outbox row,
    or None when nothing was queued.

    Nothing is queued when the case is not an e-mail or web-form case (a phone call was answered
    by a person already), when this round was acknowledged already (once per case, once more
    after each reopening: `dedupe_key`), or when `recipient` finds no address we may write to.
    `to_address` is the Reply-To of the customer's mail when it had one; else the customer's
    primary e-mail (either gives way to a working address of theirs when it fails: `recipient`).
    `new_case`: the caller opened `case` in this transaction (see `dedupe_key`). The caller
    decides that the message deserves one: never call it for automatic mail, lists or bounces
    (channels.email.classify).

    Runs in the caller's transaction (call it in the one that opened the case or stored the
    message, holding the case's row lock; called outside one, its writes are one transaction of
    their own, its reads before them are not); the mail goes out after the commit, with
    `Auto-Submitted: auto-replied`. Writes an outbound Message (author: the shop), the outbox
    row and a `case.acknowledged` audit event, or nothing.
    """
    if case.channel not in outbox.EMAIL_CHANNELS:
        return None
    key = dedupe_key(case, new_case=new_case)
    # A case opened in this transaction has no acknowledgement yet. The look only spares the
    # rendering: outbox.send returns a row already queued under the key and writes nothing.
    if not new_case and OutboundEmail.objects.filter(dedupe_key=key).exists():
        return None
    address = recipient(case, to_address)
    if not address:
        return None
    context = context_for(case)
    subject, body = render(context, language_of(case))
    with transaction.atomic():
        message = Message.objects.create(
            case=case,
            direction=Direction.OUTBOUND,
            channel=case.channel,
            author_name=context["shop_name"],
            body=body.rstrip(),
            created_at=clock.now(),
        )
        row = outbox.send(
            case,
            OutboundKind.ACKNOWLEDGEMENT,
            subject=subject,
            body=body,
            message=message,
            from_name=context["shop_name"],
            to_address=address,
            dedupe_key=key,
        )
        if row.message_id != message.pk:
            # A concurrent call queued this round first: undo our message, theirs stands.
            transaction.set_rollback(True)
            return None
        record_event(case, "case.acknowledged", message_id=message.pk, outbound_id=row.pk, to=address)
    return row
