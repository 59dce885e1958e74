"""The e-mail channel's pages in the console (mounted under /console/mail/): the messages that
could not be read, the exact bytes of any stored inbound message, and a case's e-mail shown whole
(full text, sanitised HTML in a sandboxed frame). Agents only, like the console."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.channels import display
from premura.channels.queries import access_case_email, access_inbound_email, unreadable_emails
from premura.core.text import is_ascii_number

# Nobody pages further than this; beyond it an OFFSET costs more than it is worth.
MAX_PAGE = 10_000


def _page(value: str | None) -> int:
    """A page number from 1 to MAX_PAGE; anything else is the first page."""
    if value is None or not is_ascii_number(value) or len(value) > 6:
        return 1
    number = int(value)
    return number if 0 < number <= MAX_PAGE else 1


@require_GET
@agent_required
def unreadable(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The "could not read" list: every message processing could not read, newest first, each with
    its error and a link to its raw bytes. Nothing here is ever dropped: the rows stay."""
    page = _page(request.GET.get("page"))
    size = settings.INBOX_PAGE_SIZE
    rows = list(unreadable_emails()[(page - 1) * size : page * size + 1])
    return render(
        request,
        "channels/unreadable.html",
        {"agent": agent, "emails": rows[:size], "page": page, "has_next": len(rows) > size},
    )


@require_GET
@agent_required
def raw_message(request: HttpRequest, agent: Agent, inbound_id: int) -> HttpResponse:
    """The stored message exactly as it came, byte for byte, as a download (never shown inline)."""
    row = access_inbound_email(agent, inbound_id)
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{row.pk}.eml"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@agent_required
def email_message(request: HttpRequest, agent: Agent, inbound_id: int) -> HttpResponse:
    """The whole e-mail of a case message: the case page loads it into the message when the agent
    opens "Full message" (htmx); without JavaScript it is a page of its own."""
    row = access_case_email(agent, inbound_id)
    context = {"agent": agent, "row": row, "shown": display.shown_email(row)}
    if request.htmx:
        return render(request, "channels/email.html#full_message", context)
    return render(request, "channels/email.html", context)


# The frame's own policy: nothing runs, nothing is fetched but our stylesheet and the inline images
# (and, when the agent asks, remote images), no form goes anywhere; only our pages may frame it.
# Style attributes apply (the mail's look), holding only properties that fetch nothing
# (parse.MAIL_STYLE_PROPERTIES); no <style> element or stylesheet of the mail gets through.
# The sandbox keeps the origin (allow-same-origin) so the inline images' requests carry the
# session: with no script allowed there is nothing that origin could be used for.
_FRAME_POLICY = (
    "default-src 'none'; img-src {images}; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
)


@require_GET
@agent_required
@xframe_options_sameorigin
def email_html(request: HttpRequest, agent: Agent, inbound_id: int) -> HttpResponse:
    """The sanitised HTML of a case's e-mail, as the document of the case page's sandboxed frame.
    `?images=1` (the agent's "Show images") lets remote images load, and only them."""
    row = access_case_email(agent, inbound_id)
    remote_images = request.GET.get("images") == "1"
    shown = display.shown_email(row, remote_images=remote_images)
    if not shown.html:
        raise Http404
    response = render(request, "channels/email_frame.html", {"shown": shown})
    images = "'self' https: http:" if remote_images else "'self'"
    response.headers["Content-Security-Policy"] = _FRAME_POLICY.format(images=images)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
