"""The customer's forms: write to us about an order, answer on a case."""

from django import forms
from django.utils.translation import gettext_lazy as _

from premura.conversations.attachments import accepted_content_type
from premura.conversations.models import CaseReason

MESSAGE_MAX_LENGTH = 5000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class ContactForm(forms.Form):
    # Set by clean_attachment: the type the file's bytes show, the one to store.
    attachment_content_type = ""

    # The case's contact reason (Case.reason); the field keeps its name, "category", in the page.
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=CaseReason.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachment = forms.FileField(
        label=_("Photo or document (optional)"),
        required=False,
        help_text=_("One file up to 10 MB: JPEG, PNG, GIF, WebP, HEIC or PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.gif,.webp,.heic,.pdf"}),
    )
    # A honeypot: hidden from people, filled in by bots. A filled one means "do not open a case".
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."), code="too_large")
        content_type = accepted_content_type(upload)
        if not content_type:
            raise forms.ValidationError(
                _("Only photos (JPEG, PNG, GIF, WebP, HEIC) and PDF files can be attached."),
                code="file_type",
            )
        self.attachment_content_type = content_type
        return upload

    @property
    def is_from_a_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
