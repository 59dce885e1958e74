"""Case actions: open, receive, reply, note, assign, change status and priority.

Every action writes its audit event in the same transaction, so the case timeline and the audit
log can never disagree with the case row (docs/architecture.md, "Audit log"). A status moves only
through `change_status`, by the table `models.STATUS_TRANSITIONS` (docs/architecture.md, "Case
states"; decision 0005).
"""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from premura.agents.models import Agent, Team
from premura.commerce.models import Order
from premura.conversations import routing
from premura.conversations.attachments import NewAttachment, attach_upload
from premura.conversations.exceptions import CaseChanged, CaseError, EmptyMessage, InvalidStatusChange
from premura.conversations.models import (
    Case,
    CasePhase,
    CaseReason,
    CaseStatus,
    Direction,
    Message,
    Priority,
    phase_of,
)
from premura.conversations.routing import BY_RULES, OwnerChoice
from premura.conversations.signals import case_changed
from premura.core import clock
from premura.core.audit import record_event
from premura.core.models import Channel
from premura.core.text import single_line
from premura.customers.models import Customer
from premura.shipping.scorecard import count_contact

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
    owner: OwnerChoice = BY_RULES,
    actor=None,
    external_id: str = "",
    follow_up_of: Case | None = None,
    reason: str = "",
    written_by: Agent | None = None,
    proactive: bool = False,
    status: str = CaseStatus.NEW,
    actor_label: str = "",
) -> Case:
    """Open a case with its first message. Not idempotent: the caller deduplicates.

    `proactive`: the shop opens the case before the customer wrote (care: a late parcel). There is
    no first message (`body` is ignored: the caller writes the shop's own), the subject is the
    desk's, and the `case.opened` event says `proactive` (the timeline's "channel").

    The message is the customer's own words, unless `written_by` names the agent who wrote it for
    them (a phone call): the agent is then its author, on behalf of the customer, and the subject
    is the desk's (`is_subject_internal`), so the portal shows neither. A follow-up keeps the
    closed case's subject, and with it that flag. `reason` is a CaseReason value or "".

    `owner` is the agent a person chose, None for the team's queue, or BY_RULES (the default):
    `routing.choose_owner` picks it, and a case without a team takes its owner's.

    `status`: a case the shop opens already waiting (care's proactive case waits on the carrier)
    is written in that status, with the `case.status_changed` event from new that
    `change_status` would write, but one row write and one SLA refresh instead of two;
    `actor_label` names who moved it when no person did (care).

    Raises EmptyMessage, or CaseError when the order belongs to another customer, the reason is
    unknown or new cannot move to `status`.
    """
    body = "" if proactive else _clean_body(body)
    subject = single_line(subject, field=_("subject"), error=CaseError).strip() or body.splitlines()[0][:120]
    if order is not None and order.customer_id != customer.pk:
        raise CaseError(_("The order belongs to another customer."))
    if reason and reason not in CaseReason.values:
        raise CaseError(_("Unknown contact reason: %(reason)s") % {"reason": reason})
    if status not in CaseStatus.values:
        raise CaseError(_("Unknown status: %(status)s") % {"status": status})
    if actor is None and written_by is not None:
        actor = written_by.user
    rule = ""
    if owner is BY_RULES:
        choice = routing.choose_owner(customer, team, follow_up_of=follow_up_of)
        owner, rule = (choice.owner, choice.rule) if choice else (None, "")
        team = team if team is not None or owner is None else owner.team
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
        reason=reason,
        status=status,
        phase=phase_of(status),
        solved_at=_solved_at(status, None, now),
        is_subject_internal=proactive
        or written_by is not None
        or (follow_up_of is not None and follow_up_of.is_subject_internal),
        created_at=now,
        last_activity_at=now,
    )
    if not proactive:
        Message.objects.create(
            case=case,
            direction=Direction.INBOUND,
            channel=channel,
            author_customer=customer if written_by is None else None,
            author_agent=written_by,
            on_behalf_of=customer if written_by is not None else None,
            author_name=customer.full_name if written_by is None else written_by.display_name,
            body=body,
            created_at=now,
            external_id=external_id,
        )
    record_event(
        case,
        "case.opened",
        actor=actor,
        actor_label="" if actor or proactive else customer.full_name,
        channel=channel,
        **({"follow_up_of": follow_up_of.pk} if follow_up_of else {}),
        **({"proactive": True} if proactive else {}),
    )
    if rule:
        record_event(case, "case.assigned", owner=owner.display_name, owner_id=owner.pk, rule=rule)
    elif owner is not None:
        record_event(case, "case.assigned", actor=actor, owner=owner.display_name, owner_id=owner.pk)
    if status != CaseStatus.NEW:
        record_event(
            case, "case.status_changed", actor=actor, actor_label=actor_label, old=CaseStatus.NEW, new=status
        )
    if order is not None:
        count_contact(order_id=order.pk, opened_at=now)
    case_changed.send(sender=Case, case=case, action="case.opened")
    return case


@transaction.atomic
def receive_message(case: Case, *, body: str, channel: str, external_id: str = "") -> Message:
    """Append a customer's message; a case waiting on them, or solved, is reopened.

    On a closed case the message opens a follow-up case instead (as Zendesk and Zammad do): the
    message's `case` is then the new one. Takes the case's row lock itself and decides on the
    status it reads under it, not on `case` as the caller loaded it: the close sweeper may have
    closed the case since (docs/architecture.md, "The close sweeper and the customer").
    """
    body = _clean_body(body)
    case.status = Case.objects.select_for_update().values_list("status", flat=True).get(pk=case.pk)
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
    case.save(update_fields=["last_activity_at"])
    case_changed.send(sender=Case, case=case, action="case.message_received")
    if case.status in REOPENED_BY_CUSTOMER:
        change_status(case, CaseStatus.OPEN, actor_label=case.customer.full_name)
    return message


@transaction.atomic
def open_follow_up(closed: Case, *, body: str, channel: str, external_id: str = "") -> Case:
    """A new case for a customer who wrote again on a closed one: same customer, order, subject,
    reason, team and priority; its owner by the rules, which prefer the closed case's owner.
    """
    case = open_case(
        customer=closed.customer,
        subject=closed.subject,
        body=body,
        channel=channel,
        order=closed.order,
        priority=closed.priority,
        team=closed.team,
        reason=closed.reason,
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
def reply(
    case: Case,
    agent: Agent,
    body: str,
    *,
    new_status: str | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """Reply to the customer, signed by the agent. A new case becomes open, unless new_status says
    otherwise (e.g. waiting_on_customer). An unowned case becomes the replying agent's.

    The caller holds the case's row lock (`access_case(..., lock=True)` in its transaction).
    Raises EmptyMessage, or what `change_status` raises for `new_status` (nothing is written).
    `attachments` are stored on the reply, last, so a refused reply writes no file; the caller has
    checked their count, size and type (conversations.attachments.accepted_content_type).
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
    case_changed.send(sender=Case, case=case, action="case.replied")
    if case.owner_id is None:
        assign(case, agent, actor=agent.user)
    target = new_status or (CaseStatus.OPEN if case.status == CaseStatus.NEW else None)
    if target and target != case.status:
        change_status(case, target, actor=agent.user)
    for attachment in attachments:
        attach_upload(message, attachment.upload, content_type=attachment.content_type)
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
    case_changed.send(sender=Case, case=case, action="case.note_added")
    return note


@transaction.atomic
def assign(case: Case, owner: Agent | None, *, actor=None) -> Case:
    """Give the case a named owner (or none). Its team follows the owner's. Idempotent.

    The caller holds the case's row lock (`access_case(..., lock=True)` in its transaction).
    """
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
    case_changed.send(sender=Case, case=case, action="case.assigned" if owner else "case.unassigned")
    return case


# What an agent going away hands on: the cases that cannot wait for them (decision 0011).
HANDED_ON_WHEN_AWAY = (Priority.URGENT,)


@transaction.atomic
def hand_back_urgent_cases(agent: Agent, *, actor=None) -> list[Case]:
    """Hand the agent's urgent cases waiting for us (new or open) to the next agent by the rules
    (`routing.choose_owner`), else back to their team's queue; returns them. Each gets a
    `case.handed_back` event naming the absent agent and the new owner (None: the queue). Cases
    waiting on someone else, and those of other priorities, stay theirs.

    Called with the agent already away (agents.signals.availability_changed, in the switch's
    transaction), so the rules pass them over. Locks the cases' rows. Idempotent: a second call
    finds nothing left to hand on.
    """
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .filter(owner=agent, phase=CasePhase.OPEN, priority__in=HANDED_ON_WHEN_AWAY)
        .select_related("customer", "team")
        .order_by("pk")
    )
    for case in cases:
        choice = routing.choose_owner(case.customer, case.team)
        case.owner = choice.owner if choice else None
        fields = ["owner"]
        if case.owner is not None and case.team_id is None and case.owner.team_id:
            case.team_id = case.owner.team_id
            fields.append("team")
        case.save(update_fields=fields)
        record_event(
            case,
            "case.handed_back",
            actor=actor,
            away=agent.display_name,
            away_id=agent.pk,
            owner=case.owner.display_name if case.owner else None,
            owner_id=case.owner_id,
        )
    return cases


def hand_back_when_away(sender, *, agent: Agent, is_available: bool, actor=None, **kwargs) -> None:
    """The receiver of agents.signals.availability_changed (connected in apps.py)."""
    if not is_available:
        hand_back_urgent_cases(agent, actor=actor)


def _solved_at(
    status: str, solved_at: datetime.datetime | None, now: datetime.datetime
) -> datetime.datetime | None:
    """A case's `solved_at` in `status`: solving stamps it, closing keeps it (or stamps it, for a
    case closed without being solved), any other status clears it."""
    if status == CaseStatus.SOLVED:
        return now
    if status == CaseStatus.CLOSED:
        return solved_at or now
    return None


@transaction.atomic
def change_status(case: Case, status: str, *, actor=None, actor_label: str = "") -> Case:
    """Move the case to `status`, if `models.STATUS_TRANSITIONS` allows it. Idempotent: the
    current status changes nothing. Solving stamps `solved_at`; closing keeps it (or stamps it,
    for a case closed without being solved); any other status clears it.

    The caller holds the case's row lock (`access_case(..., lock=True)` in its transaction), so
    that it decides on the current status. Without the lock (SQLite has none) the write is still
    conditional on the status read: a case changed meanwhile raises CaseChanged, never an
    overwrite. Raises CaseError for an unknown status, InvalidStatusChange for a transition the
    table refuses (out of closed, back to new); their messages are safe to show.
    """
    if status not in CaseStatus.values:
        raise CaseError(_("Unknown status: %(status)s") % {"status": status})
    if case.status == status:
        return case
    if not case.can_move_to(status):
        if case.status == CaseStatus.CLOSED:
            raise InvalidStatusChange(
                _("A closed case stays closed: if the customer writes again, a follow-up case is opened.")
            )
        raise InvalidStatusChange(
            _("A case cannot go from “%(old)s” to “%(new)s”.")
            % {"old": CaseStatus(case.status).label, "new": CaseStatus(status).label}
        )
    old = case.status
    solved_at = _solved_at(status, case.solved_at, clock.now())
    changed = Case.objects.filter(pk=case.pk, status=old).update(
        status=status, phase=phase_of(status), solved_at=solved_at
    )
    if changed != 1:
        raise CaseChanged(_("The case was changed meanwhile: reload it and try again."))
    case.status, case.phase, case.solved_at = status, phase_of(status), solved_at
    record_event(case, "case.status_changed", actor=actor, actor_label=actor_label, old=old, new=status)
    case_changed.send(sender=Case, case=case, action="case.status_changed")
    return case


@transaction.atomic
def change_priority(case: Case, priority: str, *, actor=None) -> Case:
    """Set the priority. Idempotent. Raises CaseError for an unknown priority.

    The caller holds the case's row lock (`access_case(..., lock=True)` in its transaction).
    """
    if priority not in Priority.values:
        raise CaseError(_("Unknown priority: %(priority)s") % {"priority": priority})
    if case.priority == priority:
        return case
    old = case.priority
    case.priority = priority
    case.save(update_fields=["priority"])
    record_event(case, "case.priority_changed", actor=actor, old=old, new=priority)
    case_changed.send(sender=Case, case=case, action="case.priority_changed")
    return case


def _solved_cases_due(cutoff: datetime.datetime, batch: int) -> list[tuple[int, datetime.datetime]]:
    """(id, solved_at) of up to `batch` cases solved before `cutoff`, least recently active first
    (an ordered range of case_status_idx)."""
    return list(
        Case.objects.filter(status=CaseStatus.SOLVED, solved_at__lt=cutoff)
        .order_by("last_activity_at")
        .values_list("pk", "solved_at")[:batch]
    )


@transaction.atomic
def _close_if_still_solved(case_id: int, solved_at: datetime.datetime) -> bool:
    """Close the case if it is still solved since `solved_at`: one conditional UPDATE claims it
    (hc's sendalerts), and only the one that changed the row records the event."""
    claimed = Case.objects.filter(pk=case_id, status=CaseStatus.SOLVED, solved_at=solved_at).update(
        status=CaseStatus.CLOSED, phase=phase_of(CaseStatus.CLOSED)
    )
    if claimed != 1:
        return False
    # No case_changed: a solved case's clock is stopped already, and closing it changes no deadline.
    record_event(Case(pk=case_id), "case.status_changed", old=CaseStatus.SOLVED, new=CaseStatus.CLOSED)
    return True


def close_solved_cases(older_than_days: int = 4, batch: int = 500) -> int:
    """Close cases solved more than `older_than_days` ago, as Zendesk and Zammad do: a customer
    who writes after that opens a new case. Returns how many were closed; cost follows the batch.

    Safe against the customer: a message that reopens a case after it was read here leaves it
    open (the UPDATE finds it no longer solved), and one that arrives after the close lands in
    a follow-up (`receive_message`). Safe to run twice, or in two workers at once.
    """
    cutoff = clock.now() - datetime.timedelta(days=older_than_days)
    return sum(_close_if_still_solved(pk, solved_at) for pk, solved_at in _solved_cases_due(cutoff, batch))
