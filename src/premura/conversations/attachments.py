"""Files on messages: which types we accept, how an upload is named and stored, what is shown inline.

Shared by every way a file arrives (the portal's contact form, an agent's reply), so the rules on
names and types are written once (docs/architecture.md, "Attachments").
"""

import os
import re
from dataclasses import dataclass

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.utils.text import get_valid_filename

from premura.conversations.models import Attachment, Message

# What may be attached, told apart by the file's first bytes, never by the name or by the content
# type the browser sends: both are whatever the sender says. Extension -> content type.
ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
}

# Images a browser may show inside our pages. Never SVG or HTML: they can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")


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


def accepted_content_type(upload: File) -> str:
    """The type of an uploaded file if we accept it: its bytes show one of ATTACHMENT_TYPES and its
    extension names that same type. "" otherwise (a PNG called .pdf, HTML called .png)."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if not content_type or ATTACHMENT_TYPES.get(extension) != content_type:
        return ""
    return content_type


def safe_filename(name: str, content_type: str) -> str:
    """A name safe on disk and in a Content-Disposition header: no directories, no "..", no
    CR/LF or other control characters, at most 200 characters (the end, with the extension, kept)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    try:
        return get_valid_filename(base)[-200:]
    except SuspiciousFileOperation:
        return "attachment." + content_type.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class NewAttachment:
    """An uploaded file to store, with the content type its caller checked (accepted_content_type)."""

    upload: File
    content_type: str


def attach_upload(message: Message, upload: File, *, content_type: str, content_id: str = "") -> Attachment:
    """Store an uploaded file on a message. The caller has checked its size and `content_type`.
    `content_id`: an e-mail part's Content-ID (without <>), how the mail's HTML names it."""
    filename = safe_filename(upload.name, content_type)
    attachment = Attachment(
        message=message, filename=filename, content_type=content_type, size=upload.size, content_id=content_id
    )
    attachment.file.save(filename, upload, save=False)
    attachment.save()
    return attachment


def shows_inline(attachment: Attachment) -> bool:
    """Whether the file may be shown in the browser (an image preview) rather than downloaded:
    its stored type is a safe image type and its bytes say the same."""
    if attachment.content_type not in INLINE_TYPES:
        return False
    with attachment.file.open("rb") as file:
        return sniff_content_type(file.read(16)) == attachment.content_type


def served_content_type(attachment: Attachment) -> str:
    """The Content-Type to serve a download with: the stored one when it is a plain type/subtype,
    else application/octet-stream (a type from elsewhere never reaches a header unchecked)."""
    content_type = attachment.content_type.strip().lower()
    return content_type if _CONTENT_TYPE.fullmatch(content_type) else "application/octet-stream"
