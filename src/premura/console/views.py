"""The agent console: the inbox, the case page and the case actions (thin views over services)."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from premura.agents.models import Agent, Team
from premura.agents.services import set_availability as set_agent_availability
from premura.commerce.queries import lifetime_value
from premura.console.forms import NewCaseForm, parse_id, parse_page
from premura.conversations import services
from premura.conversations.exceptions import CaseError
from premura.conversations.models import CaseStatus, Priority
from premura.conversations.queries import (
    INBOX_VIEW_SLUGS,
    INBOX_VIEWS,
    InboxFilters,
    access_case,
    allowed_statuses,
    customer_cases,
    customer_orders,
    inbox_cases,
    status_outside_view,
    timeline,
    view_cases,
)
from premura.core.models import Channel
from premura.shipping.queries import order_with_details

# Counts beside the views stop here: "999+" costs a bounded index scan, an exact count does not.
COUNT_CAP = 999
# Nobody pages further than this; beyond it an OFFSET costs more than it is worth.
MAX_PAGE = 10_000


def agent_required(view):
    """Only people with an agent profile work in the console; the agent is passed to the view."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        agent = Agent.objects.filter(user=request.user).select_related("team").first()
        if agent is None:
            raise PermissionDenied
        return view(request, agent, *args, **kwargs)

    return wrapper


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
    }
    if request.htmx and request.htmx.target == "case-list":
        return render(request, "console/inbox.html#case_list", context)
    context["views"] = [(v, capped_count(view_cases(agent, v.slug))) for v in INBOX_VIEWS if v.slug != "all"]
    context["views"].append((INBOX_VIEWS[-1], ""))
    return render(request, "console/inbox.html", context)


def _case_context(case, agent: Agent) -> dict:
    return {
        "agent": agent,
        "case": case,
        "timeline": timeline(case),
        "customer": case.customer,
        "identities": case.customer.identities.all(),
        "lifetime_value": lifetime_value(case.customer),
        "past_cases": customer_cases(case.customer),
        "orders": customer_orders(case.customer),
        "order": order_with_details(case.order_id) if case.order_id else None,
        "agents": Agent.objects.order_by("display_name"),
        "statuses": allowed_statuses(case),
        "priorities": Priority.choices,
        "waiting_statuses": [(s, label) for s, label in allowed_statuses(case) if s != case.status],
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


def _run_action(request: HttpRequest, agent: Agent, case_id: int, action) -> HttpResponse:
    """Run a case action on the locked case; a refused one writes nothing and says why."""
    try:
        with transaction.atomic():
            action(access_case(agent, case_id, lock=True))
    except CaseError as error:
        messages.error(request, str(error))
    return _after_action(request, agent, case_id)


@require_POST
@agent_required
def case_reply(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    new_status = request.POST.get("status") or None
    return _run_action(
        request,
        agent,
        case_id,
        lambda case: services.reply(case, agent, request.POST.get("body", ""), new_status=new_status),
    )


@require_POST
@agent_required
def case_note(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    return _run_action(
        request, agent, case_id, lambda case: services.add_note(case, agent, request.POST.get("body", ""))
    )


@require_POST
@agent_required
def case_assign(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    owner_id = request.POST.get("owner", "")
    owner_pk = parse_id(owner_id)
    owner = Agent.objects.filter(pk=owner_pk).first() if owner_pk is not None else None
    if owner_id and owner is None:
        messages.error(request, _("That agent does not exist."))
        return _after_action(request, agent, case_id)
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


@agent_required
def new_case(request: HttpRequest, agent: Agent) -> HttpResponse:
    form = NewCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = services.open_case(
            customer=form.cleaned_data["customer"],
            order=form.cleaned_data["order"],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            channel=form.cleaned_data["channel"],
            priority=form.cleaned_data["priority"],
            reason=form.cleaned_data["reason"],
            owner=agent,
            team=agent.team,
            written_by=agent,
            actor=request.user,
        )
        return redirect("console:case", case_id=case.pk)
    return render(request, "console/new_case.html", {"agent": agent, "form": form})


@require_POST
@agent_required
def set_availability(request: HttpRequest, agent: Agent) -> HttpResponse:
    set_agent_availability(agent, request.POST.get("available") == "1")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "console:inbox"  # never bounce to another site (an open redirect)
    return redirect(back)
