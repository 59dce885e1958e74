"""An inbound e-mail as the agent sees it beyond its case message (docs/architecture.md, "Showing
an e-mail"): the full text, the sanitised HTML and the inline images it names.

The case message holds the visible text (quotes and signature stripped). Everything here is read
again from the stored raw bytes, on demand, when the agent opens the full message: nothing the
parser may later do better is frozen in the database, and the case page never reads raw bytes.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from premura.channels.email.parse import ParsedEmail, parse_message, sanitize_html
from premura.channels.models import InboundEmail
from premura.conversations.attachments import INLINE_TYPES, sniff_content_type


@dataclass(frozen=True)
class ShownEmail:
    """What the "full message" view shows of one stored e-mail."""

    from_name: str
    from_address: str
    to: tuple[str, ...]
    subject: str
    text: str  # the whole text, quotes and signature included
    html: str  # sanitised, `cid:` images pointing at `inline_image`; "" when the mail had no HTML
    has_remote_images: bool
    remote_images_shown: bool


@dataclass(frozen=True)
class InlineImage:
    content: bytes
    content_type: str


def _parsed(row: InboundEmail, *, remote_images: bool = False) -> ParsedEmail:
    return parse_message(
        bytes(row.raw), attachment_max_bytes=settings.ATTACHMENT_MAX_BYTES, allow_remote_images=remote_images
    )


def _image_type(content: bytes | None, declared: str) -> str:
    """The type of an inline part we may serve as an image: PNG, JPEG, GIF or WebP, told by its
    bytes and declared the same by the sender (never SVG, HTML or a mislabelled file); else ""."""
    if content is None:
        return ""
    sniffed = sniff_content_type(content[:16])
    return sniffed if sniffed in INLINE_TYPES and declared == sniffed else ""


def shown_email(row: InboundEmail, *, remote_images: bool = False) -> ShownEmail:
    """The stored message `row` read for display. Remote images stay out unless `remote_images`
    (the agent asked: loading them tells the sender the mail was opened). An inline image named
    by `cid:` gets the URL of `inline_image` when it is one we serve, else no source at all."""
    parsed = _parsed(row, remote_images=remote_images)
    if not parsed.is_readable:
        return ShownEmail("", "", (), "", "", "", has_remote_images=False, remote_images_shown=False)
    served = {
        part.content_id: reverse("mail:inline_image", args=[row.pk, index])
        for index, part in enumerate(parsed.attachments)
        if part.content_id and _image_type(part.content, part.content_type)
    }
    html = (
        sanitize_html(parsed.html, allow_remote_images=remote_images, cid_src=served.get)
        if parsed.html
        else ""
    )
    return ShownEmail(
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to=parsed.to,
        subject=parsed.subject,
        text=parsed.text,
        html=html,
        has_remote_images=parsed.html_has_remote_images,
        remote_images_shown=remote_images and parsed.html_has_remote_images,
    )


def inline_image(row: InboundEmail, index: int) -> InlineImage | None:
    """The `index`-th part of the stored message (the numbering `shown_email` links to) when it is
    an inline image with a Content-ID that we serve (`_image_type`); None otherwise."""
    parts = _parsed(row).attachments
    if not 0 <= index < len(parts) or not parts[index].content_id:
        return None
    part = parts[index]
    content_type = _image_type(part.content, part.content_type)
    if not content_type or part.content is None:
        return None
    return InlineImage(part.content, content_type)
