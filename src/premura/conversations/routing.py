"""Who a case goes to: the named-owner rules (docs/architecture.md, "Named owners"; decision 0011).

`choose_owner` is the one place the rules live. `services.open_case` asks it for every case
opened without an owner chosen by a person (e-mail, portal, API, the console's "by the rules",
follow-ups), and `services.hand_back_urgent_cases` when an agent goes away.
"""

import contextlib
import datetime
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from django.db import connection
from django.db.models import QuerySet

from premura.agents.models import Agent, Team
from premura.conversations.models import Case, CasePhase
from premura.core import bulk, clock
from premura.customers.models import Customer


class _Rules(Enum):
    BY_RULES = "by the rules"


# `open_case(owner=BY_RULES)`, its default: the rules choose. `owner=None` is the team's queue.
BY_RULES = _Rules.BY_RULES
OwnerChoice = Agent | None | Literal[_Rules.BY_RULES]

RETURNING_CUSTOMER = "returning_customer"
FEWEST_OPEN_CASES = "fewest_open_cases"

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Choice:
    owner: Agent
    rule: str  # RETURNING_CUSTOMER or FEWEST_OPEN_CASES, kept on the case.assigned event


def _eligible(team: Team | None) -> QuerySet[Agent]:
    """Agents the rules may give a case: available, with an active login, of `team` if any.
    Locked (PostgreSQL; SQLite's transactions are serial) so that an agent cannot go away, nor
    another case be counted for them, between the choice and the commit."""
    agents = Agent.objects.select_for_update(of=("self",)).filter(is_available=True, user__is_active=True)
    return agents if team is None else agents.filter(team=team)


class PinnedAgents:
    """The eligible agents of each team (key None: of any team), each read and locked once for one
    unit of work (`pinned_agents`), in id order. They stay as read: their rows are locked until
    the unit commits (an agent going away waits for it, as decision 0011 says), and the rules
    record `last_routed_at` on these very objects as they write it."""

    def __init__(self) -> None:
        self._pools: dict[int | None, list[Agent]] = {}
        self._agents: dict[int, Agent] = {}  # one object an agent, whichever pools hold it

    def pool(self, team: Team | None) -> list[Agent]:
        key = team.pk if team is not None else None
        if key not in self._pools:
            self._pools[key] = [
                self._agents.setdefault(agent.pk, agent) for agent in _eligible(team).order_by("pk")
            ]
        return self._pools[key]

    def forget(self) -> None:
        """Read afresh next time: a part of the unit was rolled back (its savepoint), and with it
        the `last_routed_at` it wrote and, on PostgreSQL, the row locks it took."""
        self._pools.clear()
        self._agents.clear()


_pinned: ContextVar[PinnedAgents | None] = ContextVar("premura_pinned_agents", default=None)


@contextlib.contextmanager
def pinned_agents() -> Iterator[PinnedAgents]:
    """Inside the block (in one transaction), the rules read each team's eligible agents once:
    a batch of inbound mail (channels.ingest) routes its cases from one read, as if no agent's
    login were deactivated during it. The caller calls `forget()` when it rolls a savepoint back."""
    pinned = PinnedAgents()
    reset = _pinned.set(pinned)
    try:
        yield pinned
    finally:
        _pinned.reset(reset)


# The rules' two reads run for every case opened by the rules (every e-mail that opens one, every
# proactive case), so they are plain statements (decision 0036): the ORM costs several times the
# read itself to build them.
_CASES = connection.ops.quote_name(Case._meta.db_table)


def last_handled_by(customer: Customer) -> int | None:
    """The id of the agent who last handled the customer: the owner of their most recently
    opened case that has one. A walk back along case_customer_idx, stopping at the first owner."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT owner_id FROM {_CASES} WHERE customer_id = %s AND owner_id IS NOT NULL "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            [customer.pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def open_case_counts(agent_ids: list[int]) -> dict[int, int]:
    """Each agent's cases waiting for us (phase open: new or open), counted on
    case_owner_phase_idx; an agent with none is absent."""
    if not agent_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT owner_id, COUNT(*) FROM {_CASES} "
            f"WHERE owner_id IN ({', '.join(['%s'] * len(agent_ids))}) AND phase = %s GROUP BY owner_id",
            [*agent_ids, CasePhase.OPEN.value],
        )
        return dict(cursor.fetchall())


def least_loaded(team: Team, *, excluding: int | None = None) -> Agent | None:
    """Rule 2 of `choose_owner`: the available agent of `team`, other than `excluding`, with the
    fewest cases waiting for us; ties go to the one the rules gave a case least recently, then to
    the lowest id. None when nobody is there. Locks the candidates' rows in id order, as
    choose_owner does (the SLA sweeper also asks it, for a case whose deadline was missed)."""
    pinned = _pinned.get()
    if pinned is not None:
        pool = [agent for agent in pinned.pool(team) if agent.pk != excluding]
    else:
        pool = list(_eligible(team).exclude(pk=excluding).order_by("pk"))
    if not pool:
        return None
    counts = open_case_counts([agent.pk for agent in pool])
    return min(pool, key=lambda a: (counts.get(a.pk, 0), a.last_routed_at or _NEVER, a.pk))


def choose_owner(customer: Customer, team: Team | None, *, follow_up_of: Case | None = None) -> Choice | None:
    """The agent a new case of `customer` in `team` goes to, or None: it waits in the team's queue.

    1. The agent who last handled the customer (`last_handled_by`; for a follow-up, the closed
       case's owner first), while available, active and a member of `team` when there is one.
    2. Else the available agent of `team` with the fewest cases waiting for us; ties go to the
       one the rules gave a case least recently, then to the lowest id. A case without a team
       has no pool: only rule 1 applies.

    Runs in the caller's transaction and records the choice on the agent (`last_routed_at`).
    The candidates' rows stay locked until the caller commits, taken in id order, so two cases
    opened at once for one team are counted one after the other, and an agent going away
    (agents.services.set_availability, which locks every agent in id order first) either waits
    for this case, and then hands it on, or is seen away here.
    """
    previous = (follow_up_of.owner_id if follow_up_of is not None else None) or last_handled_by(customer)
    choice = None
    if previous is not None:
        pinned = _pinned.get()
        if pinned is not None:
            agent = next((agent for agent in pinned.pool(team) if agent.pk == previous), None)
        else:
            agent = _eligible(team).filter(pk=previous).first()
        choice = Choice(agent, RETURNING_CUSTOMER) if agent is not None else None
    if choice is None and team is not None:
        least = least_loaded(team)
        choice = Choice(least, FEWEST_OPEN_CASES) if least is not None else None
    if choice is not None:
        choice.owner.last_routed_at = clock.now()
        bulk.save_fields([choice.owner], ["last_routed_at"])
    return choice
