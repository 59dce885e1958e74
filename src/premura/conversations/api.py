"""Cases and their messages in the REST API: /api/v1/cases."""

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.agents.models import Agent, Team
from premura.api.auth import current_agent
from premura.api.errors import errors, referenced
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset
from premura.channels.outbox import reply_by_email
from premura.commerce.models import Order
from premura.conversations import services
from premura.conversations.queries import InboxFilters, access_case, inbox_cases
from premura.conversations.routing import BY_RULES
from premura.conversations.schemas import (
    CaseDetailOut,
    CaseFilters,
    CaseIn,
    CaseOut,
    CasePatch,
    InboundMessageIn,
    MessageIn,
    MessageOut,
)
from premura.customers.models import Customer

router = Router(tags=["cases"])


@router.get("/cases", response={200: list[CaseOut], **errors(401, 403, 422)})
@paginate(LimitOffset)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    """Cases, most recently active first: an inbox `view` narrowed by the filters. A search (`q`)
    looks at every case, whatever the view.
    """
    inbox_filters = InboxFilters(
        view=filters.view.value,
        status=filters.status or "",
        owner=filters.owner or "",
        team=str(filters.team) if filters.team is not None else "",
        channel=filters.channel or "",
        priority=filters.priority or "",
        q=filters.q or "",
    )
    # The SLA clock and its policy in two queries for the page, whatever its length.
    return inbox_cases(current_agent(request), inbox_filters).prefetch_related("sla_clock__policy")


@router.get("/cases/{int:case_id}", response={200: CaseDetailOut, **errors(401, 403, 404, 422)})
def get_case(request: HttpRequest, case_id: int):
    """One case with all its messages, internal notes included."""
    return access_case(current_agent(request), case_id)


@router.post("/cases", response={201: CaseDetailOut, **errors(401, 403, 422)})
@idempotent
def open_case(request: HttpRequest, payload: CaseIn):
    """Open a case for a customer, its first message written by the token's agent on the
    customer's behalf (the portal does not show it to the customer). An order of another
    customer is a 422. Messages the customer wrote themselves go through `/inbound`. Without
    `owner_id` the assignment rules choose the owner; without `team_id` the case is the team's
    of the token's agent.
    """
    agent = current_agent(request)
    customer = referenced(Customer, payload.customer_id, "body.customer_id")
    order = referenced(Order, payload.order_id, "body.order_id") if payload.order_id is not None else None
    team = referenced(Team, payload.team_id, "body.team_id") if payload.team_id is not None else agent.team
    owner = BY_RULES
    if "owner_id" in payload.model_fields_set:
        owner = referenced(Agent, payload.owner_id, "body.owner_id") if payload.owner_id is not None else None
    case = services.open_case(
        customer=customer,
        subject=payload.subject,
        body=payload.body,
        channel=payload.channel,
        order=order,
        priority=payload.priority,
        reason=payload.reason or "",
        team=team,
        owner=owner,
        written_by=agent,
        actor=request.user,
    )
    return Status(201, access_case(agent, case.pk))


@router.patch("/cases/{int:case_id}", response={200: CaseOut, **errors(401, 403, 404, 422)})
def update_case(request: HttpRequest, case_id: int, payload: CasePatch):
    """Change the status, the priority or the owner (`owner_id: null` unassigns). All or nothing.
    A status the case may not move to (anything out of `closed`, back to `new`) is a 422.
    """
    agent = current_agent(request)
    sent = payload.model_fields_set
    owner = None
    with transaction.atomic():
        case = access_case(agent, case_id, lock=True)
        if "owner_id" in sent and payload.owner_id is not None:
            owner = referenced(Agent, payload.owner_id, "body.owner_id")
        if "owner_id" in sent:
            services.assign(case, owner, actor=request.user)
        if payload.status is not None:
            services.change_status(case, payload.status, actor=request.user)
        if payload.priority is not None:
            services.change_priority(case, payload.priority, actor=request.user)
    return access_case(current_agent(request), case_id)


@router.get("/cases/{int:case_id}/messages", response={200: list[MessageOut], **errors(401, 403, 404, 422)})
@paginate(LimitOffset)
def list_messages(request: HttpRequest, case_id: int):
    """The case's messages, oldest first, internal notes included (`is_internal`)."""
    case = access_case(current_agent(request), case_id)
    return case.messages.prefetch_related("outbound_emails").order_by("created_at", "pk")


@router.post("/cases/{int:case_id}/messages", response={201: MessageOut, **errors(401, 403, 404, 422)})
@idempotent
def post_message(request: HttpRequest, case_id: int, payload: MessageIn):
    """Reply to the customer as the token's agent (signed), or add an internal note (`internal`)."""
    agent = current_agent(request)
    with transaction.atomic():
        case = access_case(agent, case_id, lock=True)
        if payload.internal:
            message = services.add_note(case, agent, payload.body)
        else:
            message = services.reply(case, agent, payload.body)
            reply_by_email(case, message)
    return Status(201, message)


@router.post("/cases/{int:case_id}/inbound", response={201: MessageOut, **errors(401, 403, 404, 409, 422)})
@idempotent
def receive_message(request: HttpRequest, case_id: int, payload: InboundMessageIn):
    """Record a message the customer sent (e.g. on a channel Premura does not receive itself). A
    case waiting on the customer, or solved, reopens; on a closed case the message opens a
    follow-up case (see the message's `case_id`). A repeated `external_id` is a 409.
    """
    case = access_case(current_agent(request), case_id)
    message = services.receive_message(
        case, body=payload.body, channel=payload.channel or case.channel, external_id=payload.external_id
    )
    return Status(201, message)
