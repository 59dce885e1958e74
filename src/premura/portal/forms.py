"""The customer's forms: write to us about an order, answer on a case."""

from django import forms
from django.utils.translation import gettext_lazy as _

from premura.conversations.models import CaseReason

MESSAGE_MAX_LENGTH = 5000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# What a customer may attach, told apart by the file's first bytes, never by the name or by the
# content type the browser sends: both are whatever the sender says. Extension -> content type.
ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
}


def sniff_content_type(head: bytes) -> str:
    """The content type that the first bytes of a file show, or "" when not one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return ""


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
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        upload.seek(0)
        content_type = sniff_content_type(upload.read(16))
        upload.seek(0)
        if not content_type or ATTACHMENT_TYPES.get(extension) != content_type:
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
