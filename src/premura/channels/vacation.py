"""Vacation replies with no automatic header (docs/architecture.md, "E-mail in").

An RFC 3834 responder should say `Auto-Submitted: auto-replied`; old vacation programs and many
webmail responders say nothing: they send "Sono in ferie fino al 10 agosto" to the envelope sender
of the mail that woke them (our mailbox), under a subject of their own, naming no earlier message.
Filed as genuine, such a reply would open a case and be acknowledged, waking the responder again.
It is recognised from three pieces of evidence together: the words (`classify.vacation_cue`, which
also refuses anything that reads like a customer's request), no In-Reply-To or References, and a
mail of ours to its sender within `classify.VACATION_WINDOW` before it arrived. It is then filed as
automatic mail on the case of that mail of ours.
"""

import datetime

from premura.channels.email.classify import AUTOMATIC, VACATION_WINDOW, Classification, vacation_cue
from premura.channels.email.parse import ParsedEmail
from premura.channels.models import OutboundEmail
from premura.core import text


def vacation_reply(parsed: ParsedEmail, *, received_at: datetime.datetime) -> Classification | None:
    """The classification of `parsed` as a vacation reply to our latest mail to its sender, or None
    when it is not one (it threads, its words do not say so, or we had not written to the sender
    within VACATION_WINDOW before `received_at`). Reads one index range of the outbox, and only
    for a message whose words already read as a vacation reply."""
    if parsed.in_reply_to or parsed.references or not parsed.from_address:
        return None
    cue = vacation_cue(parsed)
    if not cue:
        return None
    try:
        sender = text.normalise_email(parsed.from_address)
    except text.InvalidText:
        return None
    ours = (
        OutboundEmail.objects.filter(
            to_address=sender, created_at__gte=received_at - VACATION_WINDOW, created_at__lte=received_at
        )
        .order_by("-created_at", "-pk")
        .values_list("message_id_header", flat=True)
        .first()
    )
    if ours is None:
        return None
    ours = ours.strip().strip("<>")
    return Classification(
        AUTOMATIC,
        f"vacation reply without automatic headers ({cue!r}) to our mail <{ours}>",
        replies_to_message_id=ours,
    )
