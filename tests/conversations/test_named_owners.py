"""The assignment rules (conversations.routing): a returning customer meets the agent who last
handled them; otherwise the least busy available agent of the team; nobody away, ever. An agent
going away hands their urgent cases on, with an event on each case."""

import contextlib
import datetime
import threading

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from premura.agents.models import Agent, Team
from premura.agents.services import set_availability
from premura.conversations import routing, services
from premura.conversations.models import Case, CaseStatus, Priority
from premura.core import clock
from premura.core.audit import events_for
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory
from tests.locks import wait_until_a_session_waits_for_a_lock


@pytest.fixture
def sara(team):
    return make_agent("sara", "Sara Colombo", team=team)


@pytest.fixture
def returns_team(db):
    return Team.objects.create(name="Resi e rimborsi", slug="resi")


@pytest.fixture
def luca(returns_team):
    return make_agent("luca", "Luca Ferrari", team=returns_team)


def open_cases_for(agent: Agent, count: int, *, status: str = CaseStatus.NEW) -> None:
    """`count` cases of other customers owned by `agent`, in `status`."""
    for _ in range(count):
        case = make_case(CustomerFactory(), owner=agent)
        if status != CaseStatus.NEW:
            services.change_status(case, status)


def assignment(case: Case) -> tuple[str | None, str | None]:
    """(owner's name, rule) as the case's "case.assigned" event recorded them."""
    event = events_for(case).filter(action="case.assigned").get()
    return event.data["owner"], event.data.get("rule")


# --- who gets a new case ------------------------------------------------------------------------


def test_a_returning_customer_meets_the_agent_who_last_handled_them(agent, sara, customer, team):
    make_case(customer, team=team, owner=sara)
    open_cases_for(sara, 3)  # busier than Marco: the customer's own agent still wins
    case = make_case(customer, team=team)
    assert case.owner == sara
    assert assignment(case) == ("Sara Colombo", routing.RETURNING_CUSTOMER)


def test_last_handled_means_the_owner_of_the_most_recent_case_that_had_one(agent, sara, customer, team):
    make_case(customer, team=team, owner=agent)
    make_case(customer, team=team, owner=sara)
    make_case(customer, team=team, owner=None)  # waiting in the queue: nobody handled it yet
    assert routing.last_handled_by(customer) == sara.pk
    assert make_case(customer, team=team).owner == sara


def test_an_away_agent_is_skipped_for_the_least_busy_available_one(agent, sara, customer, team):
    make_case(customer, team=team, owner=sara)
    set_availability(sara, False)
    case = make_case(customer, team=team)
    assert case.owner == agent
    assert assignment(case) == ("Marco Rossi", routing.FEWEST_OPEN_CASES)


def test_the_agent_with_the_fewest_open_cases_gets_the_case(agent, sara, team):
    open_cases_for(agent, 2)
    open_cases_for(sara, 1)
    # Cases waiting on someone else, or solved, are not work waiting for Sara.
    open_cases_for(sara, 2, status=CaseStatus.WAITING_ON_CARRIER)
    open_cases_for(sara, 2, status=CaseStatus.SOLVED)
    assert routing.open_case_counts([agent.pk, sara.pk]) == {agent.pk: 2, sara.pk: 1}
    assert make_case(CustomerFactory(), team=team).owner == sara


def opened_at(minute: int, team: Team) -> Case:
    with clock.frozen_at(datetime.datetime(2026, 3, 2, 10, minute, tzinfo=datetime.UTC)):
        return make_case(CustomerFactory(), team=team)


def test_ties_go_to_the_agent_given_a_case_least_recently(agent, sara, team):
    first, second = opened_at(1, team), opened_at(2, team)
    # Nobody had a case: Marco first (the lower id), then Sara (Marco has one open now).
    assert (first.owner, second.owner) == (agent, sara)
    services.change_status(first, CaseStatus.WAITING_ON_CUSTOMER)
    services.change_status(second, CaseStatus.WAITING_ON_CUSTOMER)
    # Both at zero again: Marco was given one less recently than Sara.
    assert opened_at(3, team).owner == agent
    agent.refresh_from_db()
    sara.refresh_from_db()
    assert (agent.last_routed_at.minute, sara.last_routed_at.minute) == (3, 2)


def test_the_customer_s_agent_must_be_of_the_case_s_team(agent, luca, customer, team):
    make_case(customer, owner=luca)
    # A case without a team goes to the customer's agent, and takes his team...
    case = make_case(customer)
    assert (case.owner, case.team) == (luca, luca.team)
    # ...but Luca is of the returns team: an orders case goes to the orders team's own agent.
    assert make_case(customer, team=team).owner == agent


def test_with_nobody_available_the_case_waits_in_the_team_queue(agent, sara, customer, team):
    make_case(customer, team=team, owner=agent)
    set_availability(agent, False)
    sara.user.is_active = False  # a login switched off is nobody's to give cases to
    sara.user.save(update_fields=["is_active"])
    case = make_case(customer, team=team)
    assert (case.owner, case.team) == (None, team)
    assert not events_for(case).filter(action="case.assigned").exists()


def test_a_case_without_team_or_known_agent_waits_unassigned(agent, customer):
    assert make_case(customer).owner is None


def test_a_person_s_choice_is_not_overruled(agent, sara, customer, team):
    make_case(customer, team=team, owner=sara)
    set_availability(sara, False)
    assert make_case(customer, team=team, owner=None).owner is None
    # An agent may give a case to a colleague who is away (they come back to it).
    case = make_case(customer, team=team, owner=sara, actor=agent.user)
    assert case.owner == sara
    assert assignment(case) == ("Sara Colombo", None)


def test_a_follow_up_goes_to_the_closed_case_s_owner_by_the_same_rules(agent, sara, customer, team):
    closed = make_case(customer, team=team, owner=sara)
    services.change_status(closed, CaseStatus.CLOSED)
    make_case(customer, team=team, owner=agent)  # a later case of hers, with Marco
    follow_up = services.receive_message(closed, body="Ancora io", channel="email").case
    assert (follow_up.follow_up_of, follow_up.owner) == (closed, sara)
    # Sara away: the team's least busy agent, not the queue.
    services.change_status(follow_up, CaseStatus.CLOSED)
    set_availability(sara, False)
    again = services.receive_message(follow_up, body="Di nuovo", channel="email").case
    assert (again.follow_up_of, again.owner) == (follow_up, agent)
    assert assignment(again) == ("Marco Rossi", routing.FEWEST_OPEN_CASES)


def test_the_rules_lock_the_agents_they_choose_from(agent, sara, customer, team, monkeypatch):
    """The candidates' rows are asked FOR UPDATE (of the agent only, not its login), so a switch
    to away waits for the case's commit (PostgreSQL; SQLite runs one writer at a time)."""
    locked = []
    select_for_update = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append((self.model, kwargs.get("of")))
        return select_for_update(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    make_case(customer, team=team)
    assert locked == [(Agent, ("self",))]


def routed(pinned: bool, teams: list[Team], returning) -> tuple[list[int], int]:
    """The owners of cases opened by the rules one after the other for new customers of `teams`
    (and `returning`'s customer first), in a savepoint rolled back afterwards; and how many times
    the agents were read."""
    owners = []
    with transaction.atomic():
        pin = routing.pinned_agents() if pinned else contextlib.nullcontext()
        with pin, CaptureQueriesContext(connection) as queries:
            owners.append(make_case(returning.customer, team=returning.team).owner.pk)
            for n in range(7):
                with clock.frozen_at(datetime.datetime(2026, 3, 2, 10, n, tzinfo=datetime.UTC)):
                    owners.append(make_case(CustomerFactory(), team=teams[n % len(teams)]).owner.pk)
        transaction.set_rollback(True)
    reads = [q for q in queries if q["sql"].startswith('SELECT "agents_agent"')]
    return owners, len(reads)


def test_a_batch_reads_each_team_s_agents_once_and_routes_as_one_at_a_time(agent, sara, luca, team):
    make_agent("anna", "Anna Greco", team=team)
    open_cases_for(sara, 1)
    returning = make_case(CustomerFactory(), team=team, owner=sara)
    teams = [team, luca.team, team]
    one_at_a_time, reads = routed(False, teams, returning)
    assert reads == 8
    pinned, reads = routed(True, teams, returning)
    assert pinned == one_at_a_time
    assert reads == 2  # the orders team's agents, the returns team's


def test_a_batch_reads_the_agents_again_after_a_rolled_back_case(agent, sara, team):
    with routing.pinned_agents() as pinned:
        with transaction.atomic():
            assert make_case(CustomerFactory(), team=team).owner == agent
            transaction.set_rollback(True)  # Marco's last_routed_at goes with it
        pinned.forget()
        # Nobody was given a case: Marco first again (the lower id), then Sara.
        assert make_case(CustomerFactory(), team=team).owner == agent
        assert make_case(CustomerFactory(), team=team).owner == sara


# --- going away ---------------------------------------------------------------------------------


@pytest.fixture
def marcos_desk(agent, customer, team):
    """Marco's cases: urgent and waiting for us (two), urgent but waiting on the carrier, high."""
    urgent = [make_case(customer, team=team, owner=agent, priority=Priority.URGENT) for _ in range(2)]
    waiting = make_case(customer, team=team, owner=agent, priority=Priority.URGENT)
    services.change_status(waiting, CaseStatus.WAITING_ON_CARRIER)
    high = make_case(customer, team=team, owner=agent, priority=Priority.HIGH)
    return urgent, waiting, high


def test_going_away_hands_urgent_cases_to_the_next_agent_with_an_event(agent, sara, marcos_desk):
    urgent, waiting, high = marcos_desk
    assert set_availability(agent, False, actor=agent.user) is True
    for case in urgent:
        case.refresh_from_db()
        assert case.owner == sara
        event = events_for(case).get(action="case.handed_back")
        assert (event.actor, event.data) == (
            agent.user,
            {"away": "Marco Rossi", "away_id": agent.pk, "owner": "Sara Colombo", "owner_id": sara.pk},
        )
    # What waits on someone else, and what is not urgent, stays Marco's.
    assert Case.objects.get(pk=waiting.pk).owner == agent
    assert Case.objects.get(pk=high.pk).owner == agent
    assert not events_for(high).filter(action="case.handed_back").exists()


def test_with_nobody_else_available_urgent_cases_go_back_to_the_team_queue(agent, team, marcos_desk):
    urgent, _waiting, _high = marcos_desk
    set_availability(agent, False)
    for case in urgent:
        case.refresh_from_db()
        assert (case.owner, case.team) == (None, team)
        assert events_for(case).get(action="case.handed_back").data["owner"] is None


def test_going_away_twice_or_coming_back_hands_nothing_more(agent, sara, marcos_desk):
    urgent, _waiting, high = marcos_desk
    set_availability(agent, False)
    assert set_availability(agent, False) is False
    assert set_availability(agent, True) is True
    assert events_for(urgent[0]).filter(action="case.handed_back").count() == 1
    assert Case.objects.get(pk=high.pk).owner == agent
    assert [e.data for e in events_for(agent).filter(action="agent.availability_changed")] == [
        {"is_available": False},
        {"is_available": True},
    ]


def test_a_returning_customer_s_urgent_case_follows_them_to_their_other_agent(agent, sara, team):
    """Handing on uses the same rules: Anna's newer case is Sara's, so her urgent one goes to
    Sara, not to Chiara, who has fewer open cases."""
    make_agent("chiara", "Chiara Esposito", team=team)
    anna = CustomerFactory()
    with clock.frozen_at(clock.now() - datetime.timedelta(hours=1)):
        urgent = make_case(anna, team=team, owner=agent, priority=Priority.URGENT)
    make_case(anna, team=team, owner=sara)
    open_cases_for(sara, 3)
    set_availability(agent, False)
    urgent.refresh_from_db()
    assert urgent.owner == sara


def test_the_case_page_says_why_the_case_was_handed_back(client, agent, sara, marcos_desk):
    urgent, _waiting, _high = marcos_desk
    set_availability(agent, False, actor=agent.user)
    client.force_login(sara.user)
    html = client.get(f"/console/cases/{urgent[0].pk}/").content.decode()
    assert "Riassegnato perché Marco Rossi è assente: ora lo segue Sara Colombo" in html
    fresh = make_case(CustomerFactory(), team=sara.team)
    html = " ".join(client.get(f"/console/cases/{fresh.pk}/").content.decode().split())
    assert "Assegnato dalle regole a Sara Colombo, l'operatore disponibile del gruppo" in html


# --- two at once (PostgreSQL: the row locks; SQLite runs one write transaction at a time) -------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's BEGIN IMMEDIATE (decision 0002) lets no two routings interleave",
)
def test_two_cases_opened_at_once_are_counted_one_after_the_other(transactional_db, monkeypatch):
    """The first routing pauses after counting, holding its locks; the second must wait for its
    commit, then count its case: the two go to two agents. Without the locks both would count
    zero for Marco and give him both."""
    team = Team.objects.create(name="Ordini", slug="ordini")
    marco = make_agent("marco", "Marco Rossi", team=team)
    sara = make_agent("sara", "Sara Colombo", team=team)
    customers = [CustomerFactory(), CustomerFactory()]
    first_counted, release = threading.Event(), threading.Event()
    counts = routing.open_case_counts
    owners, errors = {}, []

    def pausing_counts(agent_ids):
        result = counts(agent_ids)
        if threading.current_thread().name == "first":
            first_counted.set()
            release.wait(timeout=30)
        return result

    monkeypatch.setattr(routing, "open_case_counts", pausing_counts)

    def open_for(index: int) -> None:
        try:
            owners[index] = make_case(customers[index], team=team).owner
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=open_for, args=(0,), name="first")
    second = threading.Thread(target=open_for, args=(1,), name="second")
    first.start()
    assert first_counted.wait(timeout=30)
    second.start()
    wait_until_a_session_waits_for_a_lock()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert errors == []
    assert {owners[0], owners[1]} == {marco, sara}
