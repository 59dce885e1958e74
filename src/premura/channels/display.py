"""An inbound e-mail as the agent sees it beyond its case message (docs/architecture.md, "Showing
an e-mail"): the full text and the sanitised HTML, with its inline images.

The case message holds the visible text (quotes and signature stripped). The rest is read again
from the stored raw bytes, on demand, when the agent opens the full message: nothing the parser
may later do better is frozen in the database, and the case page never reads raw bytes.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from premura.channels.email.parse import parse_message, sanitize_html
from premura.channels.models import InboundEmail
from premura.conversations.attachments import INLINE_TYPES
from premura.conversations.models import Attachment


@dataclass(frozen=True)
class ShownEmail:
    """What the "full message" view shows of one stored e-mail."""

    from_name: str
    from_address: str
    to: tuple[str, ...]
    subject: str
    text: str  # the whole text, quotes and signature included
    html: str  # sanitised, `cid:` images pointing at the case's attachments; "" when no HTML
    has_remote_images: bool


def inline_image_urls(row: InboundEmail) -> dict[str, str]:
    """{Content-ID: URL} of the images the mail's HTML may show inline: the parts ingest stored
    on the case message with their Content-ID, when their bytes made them a PNG, JPEG, GIF or
    WebP. They are served by the console's attachment view, behind the case's access check, like
    the timeline's previews (never SVG or HTML, nosniff, a sandbox policy)."""
    if row.case_message_id is None:
        return {}
    parts = Attachment.objects.filter(message_id=row.case_message_id, content_type__in=INLINE_TYPES).exclude(
        content_id=""
    )
    return {
        part.content_id: reverse("console:attachment", args=[row.case_id, part.pk])
        for part in parts.only("pk", "content_id").order_by("pk")
    }


def shown_email(row: InboundEmail, *, remote_images: bool = False) -> ShownEmail:
    """The stored message `row` read for display. Remote images stay out unless `remote_images`
    (the agent asked: loading them tells the sender the mail was opened). A `cid:` image gets
    its URL from `inline_image_urls`, else no source at all."""
    parsed = parse_message(
        bytes(row.raw),
        attachment_max_bytes=settings.ATTACHMENT_MAX_BYTES,
        allow_remote_images=remote_images,
        keep_styles=True,
    )
    html = ""
    if parsed.html:
        html = sanitize_html(
            parsed.html,
            allow_remote_images=remote_images,
            cid_src=inline_image_urls(row).get,
            keep_styles=True,
        )
    return ShownEmail(
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to=parsed.to,
        subject=parsed.subject,
        text=parsed.text,
        html=html,
        has_remote_images=parsed.html_has_remote_images,
    )
