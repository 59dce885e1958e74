"""Case actions: open, receive, reply, note, assign, change status and priority.

Every action writes its audit event in the same transaction, so the case timeline and the audit
log can never disagree with the case row (docs/architecture.md, "Audit log").
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from premura.agents.models import Agent, Team
from premura.commerce.models import Order
from premura.conversations.exceptions import CaseError, EmptyMessage
from premura.conversations.models import Case, CaseStatus, Direction, Message, Priority
from premura.core import clock
from premura.core.audit import record_event
from premura.core.models import Channel
from premura.customers.models import Customer

# Statuses that a customer's new message reopens: they were waiting on the customer, or solved.
# A closed case is never reopened: the message opens a follow-up case (receive_message).
REOPENED_BY_CUSTOMER = frozenset({CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.SOLVED})


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise EmptyMessage(_("The message is empty."))
    return body


@transaction.atomic
def open_case(
    *,
    customer: Customer,
    subject: str,
    body: str,
    channel: str = Channel.EMAIL,
    order: Order | None = None,
    priority: str = Priority.NORMAL,
    team: Team | None = None,
    owner: Agent | None = None,
    actor=None,
    external_id: str = "",
    follow_up_of: Case | None = None,
) -> Case:
    """Open a case with the customer's first message. Not idempotent: the caller deduplicates.

    Raises EmptyMessage, or CaseError when the order belongs to another customer.
    """
    body = _clean_body(body)
    subject = subject.strip() or body.splitlines()[0][:120]
    if order is not None and order.customer_id != customer.pk:
        raise CaseError(_("The order belongs to another customer."))
    now = clock.now()
    case = Case.objects.create(
        subject=subject[:200],
        customer=customer,
        order=order,
        channel=channel,
        priority=priority,
        team=team,
        owner=owner,
        language=customer.language,
        follow_up_of=follow_up_of,
        created_at=now,
        last_activity_at=now,
    )
    Message.objects.create(
        case=case,
        direction=Direction.INBOUND,
        channel=channel,
        author_customer=customer,
        author_name=customer.full_name,
        body=body,
        created_at=now,
        external_id=external_id,
    )
    record_event(
        case,
        "case.opened",
        actor=actor,
        actor_label="" if actor else customer.full_name,
        channel=channel,
        **({"follow_up_of": follow_up_of.pk} if follow_up_of else {}),
    )
    if owner is not None:
        record_event(case, "case.assigned", actor=actor, owner=owner.display_name, owner_id=owner.pk)
    return case


@transaction.atomic
def receive_message(case: Case, *, body: str, channel: str, external_id: str = "") -> Message:
    """Append a customer's message; a case waiting on them, or solved, is reopened.

    On a closed case the message opens a follow-up case instead (as Zendesk and Zammad do): the
    message's `case` is then the new one.
    """
    body = _clean_body(body)
    if case.status == CaseStatus.CLOSED:
        return open_follow_up(case, body=body, channel=channel, external_id=external_id).messages.get()
    now = clock.now()
    message = Message.objects.create(
        case=case,
        direction=Direction.INBOUND,
        channel=channel,
        author_customer=case.customer,
        author_name=case.customer.full_name,
        body=body,
        created_at=now,
        external_id=external_id,
    )
    case.last_activity_at = now
    fields = ["last_activity_at"]
    if case.status in REOPENED_BY_CUSTOMER:
        record_event(
            case,
            "case.status_changed",
            actor_label=case.customer.full_name,
            old=case.status,
            new=CaseStatus.OPEN,
        )
        case.status = CaseStatus.OPEN
        case.solved_at = None
        fields += ["status", "solved_at"]
    case.save(update_fields=fields)
    return message


@transaction.atomic
def open_follow_up(closed: Case, *, body: str, channel: str, external_id: str = "") -> Case:
    """A new case for a customer who wrote again on a closed one: same customer, order, subject,
    team and priority, and the same owner while that agent is available (a named owner).
    """
    owner = closed.owner if closed.owner is not None and closed.owner.is_available else None
    case = open_case(
        customer=closed.customer,
        subject=closed.subject,
        body=body,
        channel=channel,
        order=closed.order,
        priority=closed.priority,
        team=closed.team,
        owner=owner,
        external_id=external_id,
        follow_up_of=closed,
    )
    record_event(closed, "case.followed_up", actor_label=closed.customer.full_name, follow_up_id=case.pk)
    return case


def sign(body: str, agent: Agent) -> str:
    """The reply as the customer reads it: the agent's own signature, or at least their name."""
    signature = agent.signature.strip() or agent.display_name
    return f"{body}\n\n{signature}"


@transaction.atomic
def reply(case: Case, agent: Agent, body: str, *, new_status: str | None = None) -> Message:
    """Reply to the customer, signed by the agent. A new case becomes open, unless new_status says
    otherwise (e.g. waiting_on_customer). An unowned case becomes the replying agent's.
    """
    body = _clean_body(body)
    now = clock.now()
    message = Message.objects.create(
        case=case,
        direction=Direction.OUTBOUND,
        channel=case.channel,
        author_agent=agent,
        author_name=agent.display_name,
        body=sign(body, agent),
        created_at=now,
    )
    record_event(case, "case.replied", actor=agent.user, message_id=message.pk)
    case.last_activity_at = now
    case.save(update_fields=["last_activity_at"])
    if case.owner_id is None:
        assign(case, agent, actor=agent.user)
    target = new_status or (CaseStatus.OPEN if case.status == CaseStatus.NEW else None)
    if target and target != case.status:
        change_status(case, target, actor=agent.user)
    return message


@transaction.atomic
def add_note(case: Case, agent: Agent, body: str) -> Message:
    """An internal note: agents see it in the timeline, the customer never does."""
    body = _clean_body(body)
    note = Message.objects.create(
        case=case,
        direction=Direction.OUTBOUND,
        channel=case.channel,
        is_internal=True,
        author_agent=agent,
        author_name=agent.display_name,
        body=body,
        created_at=clock.now(),
    )
    record_event(case, "case.note_added", actor=agent.user, message_id=note.pk)
    return note


@transaction.atomic
def assign(case: Case, owner: Agent | None, *, actor=None) -> Case:
    """Give the case a named owner (or none). Its team follows the owner's. Idempotent."""
    if case.owner_id == (owner.pk if owner else None):
        return case
    case.owner = owner
    fields = ["owner"]
    if owner is not None and owner.team_id and owner.team_id != case.team_id:
        case.team_id = owner.team_id
        fields.append("team")
    case.save(update_fields=fields)
    if owner is None:
        record_event(case, "case.unassigned", actor=actor)
    else:
        record_event(case, "case.assigned", actor=actor, owner=owner.display_name, owner_id=owner.pk)
    return case


@transaction.atomic
def change_status(case: Case, status: str, *, actor=None) -> Case:
    """Move the case to `status`. Idempotent. Raises CaseError for an unknown status."""
    if status not in CaseStatus.values:
        raise CaseError(_("Unknown status: %(status)s") % {"status": status})
    if case.status == status:
        return case
    old = case.status
    case.status = status
    case.solved_at = clock.now() if status in (CaseStatus.SOLVED, CaseStatus.CLOSED) else None
    case.save(update_fields=["status", "solved_at"])
    record_event(case, "case.status_changed", actor=actor, old=old, new=status)
    return case


@transaction.atomic
def change_priority(case: Case, priority: str, *, actor=None) -> Case:
    """Set the priority. Idempotent. Raises CaseError for an unknown priority."""
    if priority not in Priority.values:
        raise CaseError(_("Unknown priority: %(priority)s") % {"priority": priority})
    if case.priority == priority:
        return case
    old = case.priority
    case.priority = priority
    case.save(update_fields=["priority"])
    record_event(case, "case.priority_changed", actor=actor, old=old, new=priority)
    return case


def close_solved_cases(older_than_days: int = 4, batch: int = 500) -> int:
    """Close cases solved more than `older_than_days` ago, as Zendesk and Zammad do: a customer
    who writes after that opens a new case. Returns how many were closed; cost follows the batch.
    """
    cutoff = clock.now() - datetime.timedelta(days=older_than_days)
    ids = list(
        Case.objects.filter(status=CaseStatus.SOLVED, solved_at__lt=cutoff)
        .order_by("last_activity_at")
        .values_list("pk", flat=True)[:batch]
    )
    closed = 0
    for case in Case.objects.filter(pk__in=ids):
        change_status(case, CaseStatus.CLOSED)
        closed += 1
    return closed
