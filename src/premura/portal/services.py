"""What the portal writes: a case opened from the contact form, with its optional attachment and
its acknowledgement by e-mail."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from premura.channels.acknowledgements import acknowledge
from premura.commerce.models import Order
from premura.conversations.attachments import attach_upload
from premura.conversations.models import Case
from premura.conversations.services import open_case
from premura.core.models import Channel
from premura.core.text import one_line

# The subject agents read in the inbox: the start of the customer's own message.
SUBJECT_LENGTH = 80


def subject_from(body: str) -> str:
    """The message on one line, cut after a whole word to at most SUBJECT_LENGTH characters."""
    text = one_line(body)
    if len(text) <= SUBJECT_LENGTH:
        return text
    return text[: SUBJECT_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@transaction.atomic
def open_case_from_portal(
    *, order: Order, reason: str, body: str, upload: UploadedFile | None = None, content_type: str = ""
) -> Case:
    """Open a web-form case on the order for its customer, the upload on the first message.

    `reason` (a CaseReason value) becomes the case's field; the subject is the start of the
    customer's message, their own words. Not idempotent: two submissions open two cases.
    Raises what `open_case` raises (CaseError).
    """
    case = open_case(
        customer=order.customer,
        order=order,
        channel=Channel.WEB_FORM,
        subject=subject_from(body),
        body=body,
        reason=reason,
    )
    if upload is not None:
        attach_upload(case.messages.get(), upload, content_type=content_type)
    acknowledge(case, new_case=True)
    return case
