"""What the apps above channels call to tell a customer something (docs/architecture.md,
"Channels: the send seam").

`send` renders a notice from the shop's overridable templates in the customer's language, stores
it as an outbound case message written by the shop (the timeline and the portal show the words the
customer got) and queues it on the customer's channel. E-mail is the only channel that sends
today: the case's e-mail outbox row carries the message, held until `not_before`.
"""

import datetime

from django.db import transaction

from premura.channels import outbox
from premura.channels.acknowledgements import language_of
from premura.channels.models import OutboundEmail
from premura.channels.rendering import render_mail
from premura.conversations.models import Case, Direction, Message
from premura.core import clock
from premura.core.models import Channel


@transaction.atomic
def send(
    case: Case,
    kind: str,
    template: str,
    context: dict,
    *,
    not_before: datetime.datetime | None = None,
    dedupe_key: str = "",
) -> OutboundEmail:
    """Tell the customer of `case` what `template` says; return the outbox row (its `message` is
    the case message).

    `template` names two templates, `<template>_subject.txt` and `<template>_body.txt`, rendered
    with `context` plus `case`, `number`, `customer_name` and `shop_name` (the caller's keys win).
    Idempotent on `dedupe_key` as `outbox.send` is: a key already queued returns its row and
    writes nothing. Raises NoRecipient when the customer has no e-mail address (nothing written).
    """
    # No look for a row under the key first: outbox.send finds it by the unique key, and nearly
    # every call queues a new one (a replay renders the mail for nothing, then drops its copy).
    name = outbox.sender_name(outbox.mailbox_for(case))
    context = {
        "case": case,
        "number": case.number,
        "customer_name": case.customer.full_name.strip(),
        "shop_name": name,
        **context,
    }
    subject, body = render_mail(f"{template}_subject.txt", f"{template}_body.txt", context, language_of(case))
    message = Message.objects.create(
        case=case,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        author_name=name,
        body=body.rstrip(),
        created_at=clock.now(),
    )
    row = outbox.send(
        case,
        kind,
        subject=subject,
        body=body,
        message=message,
        from_name=name,
        not_before=not_before,
        dedupe_key=dedupe_key,
    )
    if row.message_id != message.pk:
        # A concurrent call queued this key first: theirs stands, our copy goes.
        message.delete()
    return row
