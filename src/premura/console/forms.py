"""The console's forms, and the parsing of ids and numbers that come from a request."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from premura.agents.models import Agent
from premura.commerce.models import Order
from premura.conversations.attachments import NewAttachment, accepted_content_type
from premura.conversations.models import CaseReason, Priority
from premura.core.models import Channel
from premura.core.text import validate_single_line
from premura.customers.models import Customer, IdentityKind
from premura.customers.services import CustomerError, NewIdentity, normalise_identity

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


class AgentChoiceField(forms.ModelChoiceField):
    """An agent by id, named with "(away)" when not available; an id that cannot be one is an
    invalid choice before it reaches a query."""

    def to_python(self, value):
        if value not in self.empty_values and parse_id(str(value)) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def label_from_instance(self, agent: Agent) -> str:
        if agent.is_available:
            return agent.display_name
        return _("%(name)s (away)") % {"name": agent.display_name}


class NewCaseForm(forms.Form):
    """A case an agent opens for a customer: a phone call, a message from another channel.

    The customer is either one found by the search (`customer`, an id) or a new one entered on
    the spot: a name plus an e-mail address or a phone number (`new_*`), created by
    customers.services when the case is opened (console.views.new_case).
    """

    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    customer_query = forms.CharField(label=_("Find the customer"), required=False, max_length=200)
    new_name = forms.CharField(
        label=_("Name"), required=False, max_length=200, validators=[validate_single_line]
    )
    new_email = forms.CharField(label=_("E-mail"), required=False, max_length=254, widget=forms.EmailInput)
    new_phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    order_number = forms.CharField(
        label=_("Order number"), required=False, max_length=32, validators=[validate_single_line]
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    reason = forms.ChoiceField(
        label=_("Contact reason"), choices=[("", "—"), *CaseReason.choices], required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, validators=[validate_single_line])
    body = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))
    # Left empty, the assignment rules choose (conversations.routing); the view offers the agent.
    owner = AgentChoiceField(
        label=_("Owner"),
        queryset=Agent.objects.order_by("display_name", "pk"),
        required=False,
        empty_label=_("By the rules: the customer's usual agent, else the least busy of the team"),
    )

    def clean_customer(self) -> Customer | None:
        value = self.cleaned_data["customer"]
        if not value:
            return None
        customer = Customer.objects.filter(pk=parse_id(value)).first() if parse_id(value) else None
        if customer is None:
            raise forms.ValidationError(_("This customer does not exist any more: search again."))
        return customer

    def clean_new_email(self) -> str:
        return self._identity(IdentityKind.EMAIL, self.cleaned_data["new_email"])

    def clean_new_phone(self) -> str:
        return self._identity(IdentityKind.PHONE, self.cleaned_data["new_phone"])

    def _identity(self, kind: str, value: str) -> str:
        """The identity as customers.services stores it; its error is the field's."""
        if not value:
            return ""
        try:
            return normalise_identity(kind, value)
        except CustomerError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        is_new = any(self.data.get(f"new_{field}", "").strip() for field in ("name", "email", "phone"))
        if customer is not None and is_new:
            raise forms.ValidationError(
                _("You chose a customer from the list and also entered a new one: clear one of the two.")
            )
        if customer is None and not is_new and "customer" not in self.errors:
            raise forms.ValidationError(
                _("Find the customer, or enter a new one with a name and an e-mail or phone.")
            )
        if is_new:
            if not cleaned.get("new_name", "").strip():
                self.add_error("new_name", _("Enter the new customer's name."))
            if not (self.data.get("new_email", "").strip() or self.data.get("new_phone", "").strip()):
                self.add_error("new_email", _("Enter an e-mail address or a phone number."))
        number = (cleaned.get("order_number") or "").strip().upper()
        cleaned["order"] = None
        if number and (customer is not None or is_new):
            order = Order.objects.filter(number=number).first()
            if order is None:
                self.add_error("order_number", _("No order has this number."))
            elif customer is None or order.customer_id != customer.pk:
                self.add_error("order_number", _("This order belongs to another customer."))
            else:
                cleaned["order"] = order
        return cleaned

    def new_identities(self) -> list[NewIdentity]:
        """The new customer's e-mail and phone, for customers.services.create_customer."""
        data = self.cleaned_data
        return [
            NewIdentity(kind, data[field])
            for kind, field in ((IdentityKind.EMAIL, "new_email"), (IdentityKind.PHONE, "new_phone"))
            if data.get(field)
        ]
