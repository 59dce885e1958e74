"""What the portal writes: a case opened from the contact form, with its optional attachment."""

import os

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from premura.commerce.models import Order
from premura.conversations.models import Attachment, Case, Message
from premura.conversations.services import open_case
from premura.core.models import Channel
from premura.portal.forms import Category


def _safe_filename(name: str, content_type: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    try:
        return get_valid_filename(base)[-200:]
    except SuspiciousFileOperation:
        return "attachment." + content_type.rsplit("/", 1)[-1]


def attach_upload(message: Message, upload: UploadedFile, *, content_type: str) -> Attachment:
    """Store an uploaded file on a message. The caller has checked its size and `content_type`."""
    filename = _safe_filename(upload.name, content_type)
    attachment = Attachment(message=message, filename=filename, content_type=content_type, size=upload.size)
    attachment.file.save(filename, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def open_case_from_portal(
    *, order: Order, category: str, body: str, upload: UploadedFile | None = None, content_type: str = ""
) -> Case:
    """Open a web-form case on the order for its customer, the upload on the first message.

    `category` is a forms.Category value. Not idempotent: two submissions open two cases.
    Raises what `open_case` raises (CaseError).
    The subject is written in the customer's language, as the case is (Case.language).
    """
    customer = order.customer
    with translation.override(customer.language):
        label = str(Category(category).label)
        subject = _("%(category)s, order %(number)s") % {"category": label, "number": order.number}
    case = open_case(customer=customer, order=order, channel=Channel.WEB_FORM, subject=subject, body=body)
    if upload is not None:
        attach_upload(case.messages.get(), upload, content_type=content_type)
    return case
