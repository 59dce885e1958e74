"""The e-mail channel's pages in the console (mounted under /console/mail/): the messages that
could not be read, and the exact bytes of any stored inbound message. Agents only, like the console."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.channels.queries import access_inbound_email, unreadable_emails

# Nobody pages further than this; beyond it an OFFSET costs more than it is worth.
MAX_PAGE = 10_000


def _page(value: str | None) -> int:
    """A page number from 1 to MAX_PAGE; anything else is the first page."""
    if value is None or not value.isdigit() or len(value) > 6:
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
