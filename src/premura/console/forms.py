"""The console's forms, and the parsing of ids and numbers that come from a request."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from premura.commerce.models import Order
from premura.conversations.attachments import NewAttachment, accepted_content_type
from premura.conversations.models import CaseReason, Priority
from premura.core.models import Channel
from premura.customers.models import CustomerIdentity, IdentityKind

# Ids are 64-bit in the database; anything larger cannot name a row and would overflow the query.
MAX_ID = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """A positive id written in ASCII digits, or None for anything else.

    str.isdigit() accepts "²" and "١٢" (int() refuses the first) and 20-digit numbers overflow the
    database's integers: a value from a request goes through here before it reaches a query.
    """
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_page(value: str | None, *, maximum: int) -> int:
    """A page number from 1 to `maximum`; anything else is the first page."""
    number = parse_id(value)
    return number if number is not None and number <= maximum else 1


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files from one <input type="file" multiple> (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files if file]


class ReplyForm(forms.Form):
    """A reply to the customer. An empty body is refused by the service (conversations.services)."""

    body = forms.CharField(required=False, strip=False)
    status = forms.CharField(required=False, max_length=32)
    attachments = MultipleFileField(required=False)

    def clean_attachments(self) -> list[NewAttachment]:
        uploads = self.cleaned_data["attachments"]
        if len(uploads) > settings.ATTACHMENT_MAX_COUNT:
            raise forms.ValidationError(
                ngettext(
                    "At most %(count)d file can be attached to a reply.",
                    "At most %(count)d files can be attached to a reply.",
                    settings.ATTACHMENT_MAX_COUNT,
                )
                % {"count": settings.ATTACHMENT_MAX_COUNT},
                code="too_many",
            )
        attachments = []
        for upload in uploads:
            if upload.size > settings.ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)s.")
                    % {"name": upload.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
                    code="too_large",
                )
            content_type = accepted_content_type(upload)
            if not content_type:
                raise forms.ValidationError(
                    _("%(name)s cannot be attached: only photos (JPEG, PNG, GIF, WebP, HEIC) and PDF files.")
                    % {"name": upload.name},
                    code="file_type",
                )
            attachments.append(NewAttachment(upload, content_type))
        return attachments


class NoteForm(forms.Form):
    """An internal note. An empty body is refused by the service."""

    body = forms.CharField(required=False, strip=False)


class NewCaseForm(forms.Form):
    """A case an agent opens for a customer: a phone call, a message from another channel."""

    email = forms.EmailField(label=_("Customer e-mail"))
    order_number = forms.CharField(label=_("Order number"), required=False, max_length=32)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    reason = forms.ChoiceField(
        label=_("Contact reason"), choices=[("", "—"), *CaseReason.choices], required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        identity = (
            CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL, value=email)
            .select_related("customer")
            .first()
        )
        if identity is None:
            raise forms.ValidationError(_("No customer has this e-mail address."))
        self.cleaned_data["customer"] = identity.customer
        return email

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("order_number") or "").strip().upper()
        cleaned["order"] = None
        customer = cleaned.get("customer")
        if number and customer is not None:
            order = Order.objects.filter(number=number).first()
            if order is None:
                self.add_error("order_number", _("No order has this number."))
            elif order.customer_id != customer.pk:
                self.add_error("order_number", _("This order belongs to another customer."))
            else:
                cleaned["order"] = order
        return cleaned
