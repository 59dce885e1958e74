"""The assignment rules run on every message that opens a case: each of their queries is an
index search whatever the size of the desk (SQLite's plans, as in test_inbox_plans.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from premura.agents.services import set_availability
from premura.conversations import routing, services
from premura.conversations.models import Priority
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plans")


def plans_of(queries) -> dict[str, list[str]]:
    """Each SELECT that ran, with SQLite's plan for it."""
    plans = {}
    with connection.cursor() as cursor:
        for query in queries:
            if query["sql"].startswith("SELECT"):
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plans[query["sql"]] = [row[-1] for row in cursor.fetchall()]
    return plans


def assert_index_searches(plans: dict[str, list[str]]) -> None:
    assert plans
    for sql, plan in plans.items():
        assert all(step.startswith("SEARCH ") for step in plan), (sql, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (sql, plan)


@pytest.fixture
def desk(agent, team):
    sara = make_agent("sara", "Sara Colombo", team=team)
    for owner in (agent, sara) * 15:
        make_case(CustomerFactory(), team=team, owner=owner, priority=Priority.URGENT)
    return sara


def test_choosing_an_owner_searches_indexes_only(desk, agent, customer, team):
    make_case(customer, team=team, owner=agent)
    set_availability(agent, False)  # the customer's agent is away: every rule is tried
    with CaptureQueriesContext(connection) as queries:
        choice = routing.choose_owner(customer, team)
    assert choice.owner == desk
    assert len(queries) == 5  # last owner, is that agent eligible, the team, their counts, stamp
    assert_index_searches(plans_of(queries))


def test_handing_cases_on_searches_indexes_only(desk, agent):
    with CaptureQueriesContext(connection) as queries:
        services.hand_back_urgent_cases(agent)
    assert_index_searches(plans_of(queries))
