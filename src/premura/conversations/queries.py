"""Read side of conversations: the inbox views, case search and access checks.

Every inbox view is one of the composite indexes on Case (see models.py), so a page costs the
same at a thousand cases as at a million (docs/architecture.md, "Inbox at scale").
"""

import re
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import pgettext_lazy

from premura.agents.models import Agent
from premura.commerce.models import Order
from premura.conversations.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Attachment,
    Case,
    CasePhase,
    CaseStatus,
)
from premura.conversations.search import case_ids_matching_text
from premura.core import clock
from premura.core.text import is_ascii_number
from premura.customers.models import Customer
from premura.customers.queries import matching_customer_ids


@dataclass(frozen=True)
class InboxView:
    slug: str
    label: str


# A view names a list of cases, so its label has its own context: Italian says it in the plural
# ("Risolti", "Non assegnati") where a case's status is singular ("Risolto").
INBOX_VIEWS = [
    InboxView("mine", pgettext_lazy("inbox view", "Mine")),
    InboxView("unassigned", pgettext_lazy("inbox view", "Unassigned")),
    InboxView("open", pgettext_lazy("inbox view", "All open")),
    InboxView("waiting", pgettext_lazy("inbox view", "Waiting")),
    InboxView(CaseStatus.WAITING_ON_CUSTOMER, pgettext_lazy("inbox view", "Waiting on customer")),
    InboxView(CaseStatus.WAITING_ON_CARRIER, pgettext_lazy("inbox view", "Waiting on carrier")),
    InboxView(CaseStatus.WAITING_ON_BANK, pgettext_lazy("inbox view", "Waiting on bank")),
    InboxView(CaseStatus.SOLVED, pgettext_lazy("inbox view", "Solved")),
    # Cases with a deadline passed and its clock still running, the most overdue first.
    InboxView("breached", pgettext_lazy("inbox view", "Breached")),
    InboxView("all", pgettext_lazy("inbox view", "All cases")),
]
INBOX_VIEW_SLUGS = frozenset(v.slug for v in INBOX_VIEWS)

# The orders of a list: most recent activity first, or the earliest SLA deadline first.
SORT_ACTIVITY = ""
SORT_DUE = "due"
# The views whose cases can have a running SLA clock (new or open): "due soonest" applies there.
DUE_SORTABLE_VIEWS = frozenset({"mine", "unassigned", "open", "breached", "all"})


@dataclass
class InboxFilters:
    view: str = "open"
    status: str = ""
    owner: str = ""  # an agent id, "none" for unassigned
    team: str = ""
    channel: str = ""
    priority: str = ""
    q: str = ""
    sort: str = SORT_ACTIVITY

    @property
    def by_due(self) -> bool:
        """Whether the list is in "due soonest" order: asked for in a view with running clocks,
        and always in "breached"; never for a search, nor with a status whose clock is paused."""
        if self.q.strip():
            return False
        if self.view == "breached":
            return True
        paused = self.status in CaseStatus.values and self.status not in OPEN_STATUSES
        return self.sort == SORT_DUE and self.view in DUE_SORTABLE_VIEWS and not paused


def view_cases(agent: Agent, view: str) -> QuerySet[Case]:
    cases = Case.objects.all()
    if view == "breached":
        return cases.filter(sla_due_at__lte=clock.now())
    if view == "mine":
        # Open or waiting, not done: the partial index case_owner_active_idx, in order.
        return cases.filter(owner=agent).exclude(phase=CasePhase.DONE)
    if view == "unassigned":
        return cases.filter(owner__isnull=True, phase=CasePhase.OPEN)
    if view == "open":
        return cases.filter(phase=CasePhase.OPEN)
    if view == "waiting":
        return cases.filter(phase=CasePhase.WAITING)
    if view in CaseStatus.values:
        return cases.filter(status=view)
    return cases


def due_cases(agent: Agent, view: str) -> QuerySet[Case]:
    """The cases of a view that have a running SLA clock, for the "due soonest" order. A running
    clock means new or open (sla refreshes the deadlines with every change of status), so the
    view's own phase condition is left out: each is then an ordered range of one of the partial
    indexes on sla_due_at (the whole desk, an owner, the unassigned)."""
    if view == "breached":
        return Case.objects.filter(sla_due_at__lte=clock.now())
    cases = Case.objects.filter(sla_due_at__isnull=False)
    if view == "mine":
        return cases.filter(owner=agent)
    if view == "unassigned":
        return cases.filter(owner__isnull=True)
    return cases


# The statuses each inbox view can list; a status filter outside them matches nothing.
_VIEW_STATUSES: dict[str, frozenset[str]] = {
    "mine": OPEN_STATUSES | WAITING_STATUSES,
    "breached": OPEN_STATUSES,
    "unassigned": OPEN_STATUSES,
    "open": OPEN_STATUSES,
    "waiting": WAITING_STATUSES,
    **{status: frozenset({status}) for status in CaseStatus.values},
}


def view_listing(status: str) -> str:
    """The inbox view that lists the cases of a status: its own view, else "open" or "all"."""
    if status in INBOX_VIEW_SLUGS:
        return status
    return "open" if status in OPEN_STATUSES else "all"


def status_outside_view(filters: InboxFilters) -> str | None:
    """The view that would list the filtered status, when the chosen view never can (a waiting
    status in "All open", "solved" in "Mine"): the list is empty and the console says why.
    None when the filter fits the view, or for a search (which looks at every case).
    """
    if filters.q.strip() or filters.status not in CaseStatus.values:
        return None
    if filters.status in _VIEW_STATUSES.get(filters.view, frozenset(CaseStatus.values)):
        return None
    return view_listing(filters.status)


def inbox_cases(agent: Agent, filters: InboxFilters) -> QuerySet[Case]:
    """The cases of one inbox view, narrowed by the filters, most recently active first, or the
    earliest SLA deadline first (`filters.by_due`).

    A search looks at every case, whatever the view: people search to find a case they cannot see.
    """
    if filters.q.strip():
        cases = Case.objects.all()
    elif filters.by_due:
        cases = due_cases(agent, filters.view)
    else:
        cases = view_cases(agent, filters.view)
    if filters.by_due and filters.status in CaseStatus.values:
        if filters.status not in OPEN_STATUSES:
            return Case.objects.none()  # a waiting or done case has no running clock
        # A running clock means new or open, so "new" is "not open" here: a condition no index
        # serves, which keeps SQLite's planner on the sla_due_at order instead of case_status_idx
        # and a sort of every case with that status.
        cases = cases.exclude(status=next(iter(OPEN_STATUSES - {filters.status})))
    elif filters.status in CaseStatus.values:
        cases = cases.filter(status=filters.status)
    if filters.owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif is_ascii_number(filters.owner):
        cases = cases.filter(owner_id=int(filters.owner))
    if is_ascii_number(filters.team):
        cases = cases.filter(team_id=int(filters.team))
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    cases = cases.select_related("customer", "owner", "order")
    if filters.q.strip():
        # At most a few hundred matches per matcher: read them by key and sort them. Ordered by the
        # bare column, PostgreSQL may instead walk the activity index backwards until enough of the
        # matches come by: 525,000 cases read for a rare word at a million cases, as the matches
        # are spread over the years. No index serves this expression, so no plan can do that.
        return cases.filter(pk__in=matching_case_ids(filters.q)).order_by(
            Coalesce("last_activity_at", "created_at").desc(), "-pk"
        )
    if filters.by_due:
        return cases.order_by("sla_due_at", "pk")
    return cases.order_by("-last_activity_at", "-pk")


_CASE_NUMBER = re.compile(r"#?(\d{1,12})")
SEARCH_LIMIT = 500


def matching_case_ids(query: str) -> list[int]:
    """Cases matching a search box query: a case number, an order number, a customer e-mail or
    phone, a customer name (prefix) or words in the messages. Each matcher is an index lookup,
    bounded.
    """
    query = query.strip()
    ids: list[int] = []
    number = _CASE_NUMBER.fullmatch(query)
    if number:
        ids += Case.objects.filter(pk=int(number.group(1))).values_list("pk", flat=True)
    order_ids = list(Order.objects.filter(number=query.upper()).values_list("pk", flat=True))
    if order_ids:
        ids += Case.objects.filter(order_id__in=order_ids).values_list("pk", flat=True)[:SEARCH_LIMIT]
    customer_ids = matching_customer_ids(query)
    if customer_ids:
        ids += Case.objects.filter(customer_id__in=customer_ids).values_list("pk", flat=True)[:SEARCH_LIMIT]
    if "@" in query or "\uff20" in query:  # an address (full-width "＠" too): no words to search
        return ids
    if not number and not order_ids:
        ids += case_ids_matching_text(query, limit=SEARCH_LIMIT)
    return ids


def access_case(agent: Agent | None, case_id: int, *, lock: bool = False) -> Case:
    """The case, for an agent. Every agent of the desk sees every case; anyone else gets a 404.

    With `lock=True`, for an action that reads the case then writes it, the case's row stays
    locked until the caller's transaction ends (call it inside `transaction.atomic`). SQLite
    ignores the lock (its IMMEDIATE transactions queue writers instead), so services never rely
    on it alone: their writes are conditional on what they read (`services.change_status`).
    """
    if agent is None:
        raise Http404
    cases = Case.objects.select_related("customer", "owner", "team", "order")
    if lock:
        # Only the case's row: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
        cases = cases.select_for_update(of=("self",))
    try:
        return cases.get(pk=case_id)
    except Case.DoesNotExist:
        raise Http404 from None


def allowed_statuses(case: Case) -> list[tuple[str, str]]:
    """The statuses a status control offers for the case, as (value, label): its own and those
    `models.STATUS_TRANSITIONS` lets it move to. A closed case offers only "closed"."""
    return [
        (value, label)
        for value, label in CaseStatus.choices
        if value == case.status or case.can_move_to(value)
    ]


def access_attachment(case: Case, attachment_id: int) -> Attachment:
    """A file on a message of this case, internal notes included (agents see them); else a 404.

    `case` comes from access_case: the file is reached through a case the actor may see.
    """
    try:
        return Attachment.objects.get(pk=attachment_id, message__case=case)
    except Attachment.DoesNotExist:
        raise Http404 from None


def timeline(case: Case) -> list:
    """Messages, notes and system events of a case, oldest first, as (kind, when, item) rows."""
    from premura.core.audit import events_for

    rows = [
        ("note" if m.is_internal else m.direction, m.created_at, m)
        for m in case.messages.select_related("author_agent", "on_behalf_of").prefetch_related("attachments")
    ]
    # Replies, notes and acknowledgements are shown as messages; their events would only repeat them.
    rows += [
        ("event", e.created_at, e)
        for e in events_for(case)
        if e.action not in ("case.replied", "case.note_added", "case.acknowledged")
    ]
    rows.sort(key=lambda row: row[1])
    return rows


def customer_cases(customer: Customer, limit: int = 10) -> QuerySet[Case]:
    return customer.cases.order_by("-created_at")[:limit]


def customer_orders(customer: Customer, limit: int = 10) -> QuerySet[Order]:
    return customer.orders.order_by("-placed_at").prefetch_related(
        Prefetch("shipments"),
    )[:limit]
