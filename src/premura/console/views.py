"""The agent console: the inbox, the case page and the case actions (thin views over services)."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from premura.agents.access import agent_required
from premura.agents.models import Agent, Team
from premura.agents.queries import access_notification, notifications_for
from premura.agents.services import mark_notifications_read
from premura.agents.services import set_availability as set_agent_availability
from premura.care.queries import customer_grants, incident_for_case
from premura.channels.outbox import deliveries_by_message, reply_by_email
from premura.channels.queries import raw_email_ids
from premura.channels.senders import add_sender_identity, sender_offers
from premura.commerce.queries import lifetime_value
from premura.console.forms import NewCaseForm, NoteForm, ReplyForm, parse_id, parse_page
from premura.console.money import money_panel
from premura.console.reports import reports_panel
from premura.conversations import services
from premura.conversations.attachments import (
    ATTACHMENT_TYPES,
    INLINE_TYPES,
    served_content_type,
    shows_inline,
)
from premura.conversations.exceptions import CaseError, EmptyMessage
from premura.conversations.models import Case, CaseStatus, Priority
from premura.conversations.queries import (
    DUE_SORTABLE_VIEWS,
    INBOX_VIEW_SLUGS,
    INBOX_VIEWS,
    SORT_ACTIVITY,
    SORT_DUE,
    InboxFilters,
    access_attachment,
    access_case,
    allowed_statuses,
    customer_cases,
    customer_orders,
    inbox_cases,
    status_outside_view,
    timeline,
    view_cases,
)
from premura.conversations.routing import BY_RULES
from premura.core import clock
from premura.core.exceptions import DomainError
from premura.core.models import Channel
from premura.customers.models import Customer, CustomerIdentity
from premura.customers.queries import email_address_for, matching_customer_ids
from premura.customers.services import CustomerError, create_customer
from premura.shipping.queries import order_with_details
from premura.sla.queries import case_deadlines

# Counts beside the views stop here: "999+" costs a bounded index scan, an exact count does not.
COUNT_CAP = 999
# Nobody pages further than this; beyond it an OFFSET costs more than it is worth.
MAX_PAGE = 10_000


def capped_count(queryset) -> str:
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def _id_filter(value: str) -> str:
    """An id filter as the inbox takes it: a valid id in canonical form, or "" (no filter)."""
    number = parse_id(value)
    return str(number) if number is not None else ""


def _filters_from(request: HttpRequest) -> InboxFilters:
    """The inbox filters from the query string; values that cannot be valid are ignored."""
    view = request.GET.get("view", "open")
    owner = request.GET.get("owner", "")
    return InboxFilters(
        view=view if view in INBOX_VIEW_SLUGS else "open",
        status=request.GET.get("status", ""),
        owner=owner if owner == "none" else _id_filter(owner),
        team=_id_filter(request.GET.get("team", "")),
        channel=request.GET.get("channel", ""),
        priority=request.GET.get("priority", ""),
        q=request.GET.get("q", "")[:200],
        sort=SORT_DUE if request.GET.get("sort") == SORT_DUE else SORT_ACTIVITY,
    )


@agent_required
def inbox(request: HttpRequest, agent: Agent) -> HttpResponse:
    filters = _filters_from(request)
    page = parse_page(request.GET.get("page"), maximum=MAX_PAGE)
    size = settings.INBOX_PAGE_SIZE
    rows = list(inbox_cases(agent, filters)[(page - 1) * size : page * size + 1])
    query = request.GET.copy()
    query.pop("page", None)
    # A status the view never lists: say where those cases are (conversations.queries).
    elsewhere = status_outside_view(filters)
    elsewhere_query = query.copy()
    if elsewhere is not None:
        elsewhere_query["view"] = elsewhere
        if filters.view in ("mine", "unassigned") and not filters.owner:
            elsewhere_query["owner"] = agent.pk if filters.view == "mine" else "none"
    context = {
        "agent": agent,
        "filters": filters,
        "cases": rows[:size],
        "page": page,
        "has_next": len(rows) > size,
        "query": query.urlencode(),
        "agents": Agent.objects.order_by("display_name"),
        "teams": Team.objects.all(),
        "statuses": CaseStatus.choices,
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "elsewhere": next((v for v in INBOX_VIEWS if v.slug == elsewhere), None),
        "elsewhere_query": elsewhere_query.urlencode(),
        "current_view": next((v for v in INBOX_VIEWS if v.slug == filters.view), None),
        "due_sortable": filters.view in DUE_SORTABLE_VIEWS and filters.view != "breached" and not filters.q,
        "now": clock.now(),  # one instant for every badge of the page
    }
    if request.htmx and request.htmx.target == "case-list":
        return render(request, "console/inbox.html#case_list", context)
    context["views"] = [(v, capped_count(view_cases(agent, v.slug))) for v in INBOX_VIEWS if v.slug != "all"]
    context["views"].append((INBOX_VIEWS[-1], ""))
    return render(request, "console/inbox.html", context)


# A customer's identities as pages list them: the primary one of each kind first, then as added
# (without an order PostgreSQL returns them as it finds them, and the list changed between loads).
IDENTITIES_IN_ORDER = Prefetch("identities", queryset=CustomerIdentity.objects.order_by("-is_primary", "pk"))


def _case_context(case, agent: Agent) -> dict:
    """The case page; a refused action replaces the empty forms with its own (_refused)."""
    # The card, the failing-address notice and the reply's address all read the same identities.
    prefetch_related_objects([case.customer], IDENTITIES_IN_ORDER)
    return {
        "agent": agent,
        "case": case,
        "timeline": timeline(case),
        "deliveries": deliveries_by_message(case),
        "raw_emails": raw_email_ids(case.pk),
        "customer": case.customer,
        "identities": case.customer.identities.all(),
        # Where the customer's e-mail goes: another of their addresses while the primary one fails.
        "email_to": email_address_for(case.customer),
        "sender_offers": sender_offers(case),
        "identity_error": "",
        "lifetime_value": lifetime_value(case.customer),
        "past_cases": customer_cases(case.customer),
        "orders": customer_orders(case.customer),
        "order": (order := order_with_details(case.order_id) if case.order_id else None),
        "money": money_panel(case, agent, order),
        "reports": reports_panel(case),
        "incident": incident_for_case(case),
        "grants": customer_grants(case.customer),
        "agents": Agent.objects.order_by("display_name"),
        "statuses": allowed_statuses(case),
        "priorities": Priority.choices,
        "waiting_statuses": [(s, label) for s, label in allowed_statuses(case) if s != case.status],
        "reply_form": ReplyForm(),
        "note_form": NoteForm(),
        "controls_error": "",
        "inline_types": INLINE_TYPES,
        "attachment_accept": ",".join(f".{extension}" for extension in ATTACHMENT_TYPES),
        "deadlines": case_deadlines(case),
        "now": clock.now(),
    }


@agent_required
def case_detail(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case = access_case(agent, case_id)
    return render(request, "console/case.html", _case_context(case, agent))


def _after_action(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    """HTMX gets the refreshed case body in place; a plain POST goes back to the case page."""
    if request.htmx:
        case = access_case(agent, case_id)
        return render(request, "console/case.html#case_body", _case_context(case, agent))
    return redirect("console:case", case_id=case_id)


# The element of the case page that each refused form replaces (see _refused).
_FORM_TARGETS = {
    "case_controls": "#case-controls",
    "reply_form": "#reply-form",
    "note_form": "#note-form",
    "identity_notices": "#identity-notices",
    "incident_panel": "#incident",
}


def _refused(request: HttpRequest, agent: Agent, case_id: int, partial: str, **forms) -> HttpResponse:
    """A refused action answers 422: its error beside its form, what was typed kept.

    With htmx only that form is swapped, so the other boxes keep what they hold; a plain POST gets
    the whole case page. The case is read again: a rolled-back action may have changed the object.
    """
    context = {**_case_context(access_case(agent, case_id), agent), **forms}
    if request.htmx:
        response = render(request, f"console/case.html#{partial}", context, status=422)
        return reswap(retarget(response, _FORM_TARGETS[partial]), "outerHTML")
    return render(request, "console/case.html", context, status=422)


def _run_action(request: HttpRequest, agent: Agent, case_id: int, action) -> HttpResponse:
    """Run a case action on the locked case; a refused one writes nothing and says why."""
    try:
        with transaction.atomic():
            action(access_case(agent, case_id, lock=True))
    except CaseError as error:
        return _refused(request, agent, case_id, "case_controls", controls_error=str(error))
    return _after_action(request, agent, case_id)


def _attempt(form, agent: Agent, case_id: int, action) -> None:
    """Run a form's action on the locked case: its CaseError becomes the form's error (the body's
    when the message is empty) and nothing is written."""
    try:
        with transaction.atomic():
            action(access_case(agent, case_id, lock=True))
    except EmptyMessage as error:
        form.add_error("body", str(error))
    except CaseError as error:
        form.add_error(None, str(error))


@require_POST
@agent_required
def case_reply(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            form,
            agent,
            case_id,
            # The reply and its outbox row commit together: the e-mail goes out after the commit.
            lambda case: reply_by_email(
                case,
                services.reply(
                    case,
                    agent,
                    data["body"],
                    new_status=data["status"] or None,
                    attachments=data["attachments"],
                ),
            ),
        )
    if form.errors:
        return _refused(request, agent, case_id, "reply_form", reply_form=form)
    return _after_action(request, agent, case_id)


@require_POST
@agent_required
def case_note(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        _attempt(form, agent, case_id, lambda case: services.add_note(case, agent, form.cleaned_data["body"]))
    if form.errors:
        return _refused(request, agent, case_id, "note_form", note_form=form)
    return _after_action(request, agent, case_id)


@require_POST
@agent_required
def case_assign(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    owner_id = request.POST.get("owner", "")
    owner_pk = parse_id(owner_id)
    owner = Agent.objects.filter(pk=owner_pk).first() if owner_pk is not None else None
    if owner_id and owner is None:
        return _refused(
            request, agent, case_id, "case_controls", controls_error=_("That agent does not exist.")
        )
    return _run_action(request, agent, case_id, lambda case: services.assign(case, owner, actor=request.user))


@require_POST
@agent_required
def case_status(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    status = request.POST.get("status", "")
    return _run_action(
        request, agent, case_id, lambda case: services.change_status(case, status, actor=request.user)
    )


@require_POST
@agent_required
def case_priority(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    priority = request.POST.get("priority", "")
    return _run_action(
        request, agent, case_id, lambda case: services.change_priority(case, priority, actor=request.user)
    )


@require_POST
@agent_required
def case_add_identity(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    """Add an address that wrote into the case to its customer's (the notice on the case page)."""
    address = request.POST.get("address", "")[:320]
    try:
        with transaction.atomic():
            add_sender_identity(access_case(agent, case_id, lock=True), address, actor=request.user)
    except DomainError as error:
        return _refused(request, agent, case_id, "identity_notices", identity_error=str(error))
    return _after_action(request, agent, case_id)


@require_GET
@agent_required
def attachment(request: HttpRequest, agent: Agent, case_id: int, attachment_id: int) -> HttpResponse:
    """A file of a case the agent may see: safe images inline (the timeline's previews), anything
    else as a download. Never SVG or HTML inline, never sniffed by the browser."""
    file = access_attachment(access_case(agent, case_id), attachment_id)
    try:
        inline = shows_inline(file)
        content = file.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        content,
        as_attachment=not inline,
        filename=file.filename,
        content_type=file.content_type if inline else served_content_type(file),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, the file is a sandboxed document that can run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


# How many customers the new-case search lists.
MATCHES_SHOWN = 10


def _customer_matches(query: str, selected: str) -> dict:
    """The customers a new-case search finds (customers.queries), and the one already chosen."""
    query = query.strip()[:200]
    ids = matching_customer_ids(query, limit=MATCHES_SHOWN) if query else []
    chosen = parse_id(selected)
    customers = Customer.objects.filter(pk__in=[*ids, *([chosen] if chosen else [])])
    matches = list(customers.prefetch_related(IDENTITIES_IN_ORDER).order_by("search_name", "pk"))
    return {"matches": matches, "query": query, "selected": str(chosen or "")}


@require_GET
@agent_required
def customer_search(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The new-case form's search as the agent types: the list of matching customers."""
    context = _customer_matches(request.GET.get("customer_query", ""), request.GET.get("customer", ""))
    return render(request, "console/new_case.html#customer_matches", context)


def _open_case_for_caller(form: NewCaseForm, agent: Agent, user) -> Case | None:
    """Open the case, creating the caller first when they are a new customer: both or neither.
    A refusal of either service becomes the form's error."""
    data = form.cleaned_data
    owner = data["owner"] or BY_RULES
    team = data["owner"].team if data["owner"] is not None and data["owner"].team_id else agent.team
    try:
        with transaction.atomic():
            customer = data["customer"] or create_customer(
                full_name=data["new_name"],
                identities=form.new_identities(),
                preferred_channel=Channel.EMAIL if data["new_email"] else Channel.PHONE,
                actor=user,
            )
            return services.open_case(
                customer=customer,
                order=data["order"],
                subject=data["subject"],
                body=data["body"],
                channel=data["channel"],
                priority=data["priority"],
                reason=data["reason"],
                owner=owner,
                team=team,
                written_by=agent,
                actor=user,
            )
    except (CustomerError, CaseError) as error:
        form.add_error(None, str(error))
        return None


@agent_required
def new_case(request: HttpRequest, agent: Agent) -> HttpResponse:
    if "find" in request.POST:  # the search button, for a browser without JavaScript
        form = NewCaseForm(initial=request.POST.dict())
    else:
        # The agent who takes the call owns the case unless they choose otherwise.
        form = NewCaseForm(request.POST or None, initial={"owner": agent.pk})
    if form.is_bound and form.is_valid():
        case = _open_case_for_caller(form, agent, request.user)
        if case is not None:
            return redirect("console:case", case_id=case.pk)
    context = {
        "agent": agent,
        "form": form,
        **_customer_matches(form["customer_query"].value() or "", form["customer"].value() or ""),
    }
    return render(request, "console/new_case.html", context, status=422 if form.errors else 200)


@require_POST
@agent_required
def set_availability(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The header's switch. Going away hands the agent's urgent cases on (conversations.routing)."""
    if set_agent_availability(agent, request.POST.get("available") == "1", actor=request.user):
        if agent.is_available:
            messages.info(request, _("You are available: the rules give you new cases again."))
        else:
            messages.info(
                request,
                _(
                    "You are away: new cases go to your colleagues, and your urgent cases waiting "
                    "for an answer have been handed on."
                ),
            )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "console:inbox"  # never bounce to another site (an open redirect)
    return redirect(back)


@require_GET
@agent_required
def notifications(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The agent's notifications, newest first, the unread ones marked; 25 a page."""
    page = parse_page(request.GET.get("page"), maximum=MAX_PAGE)
    size = settings.INBOX_PAGE_SIZE
    rows = list(notifications_for(agent)[(page - 1) * size : page * size + 1])
    context = {"agent": agent, "notifications": rows[:size], "page": page, "has_next": len(rows) > size}
    return render(request, "console/notifications.html", context)


@require_POST
@agent_required
def notification_open(request: HttpRequest, agent: Agent, notification_id: int) -> HttpResponse:
    """Mark one of the agent's notifications read and go to its case."""
    notification = access_notification(agent, notification_id)
    mark_notifications_read(agent, notification_id=notification.pk)
    if notification.case_id is None:
        return redirect("console:notifications")
    return redirect("console:case", case_id=notification.case_id)


@require_POST
@agent_required
def notifications_read(request: HttpRequest, agent: Agent) -> HttpResponse:
    mark_notifications_read(agent)
    return redirect("console:notifications")
