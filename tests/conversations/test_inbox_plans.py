"""Every inbox view reads its 25 rows from an index in order (decision 0001).

A plan that sorts ("USE TEMP B-TREE FOR ORDER BY") or scans the cases costs nothing at a thousand
cases and seconds at a million, so timing tests would not see it; the plan shows it at any size.
These are SQLite's plans without statistics, as the product runs (it never runs ANALYZE: see
decision 0001). PostgreSQL's planner chooses by cost and is measured by benchmarks/inbox_scale.py.
"""

import re

import pytest
from django.db import connection

from premura.conversations.queries import InboxFilters, inbox_cases
from tests.factories.conversations import make_case

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plans")

FILTERS = {
    "mine": InboxFilters(view="mine"),
    "unassigned": InboxFilters(view="unassigned"),
    "all open": InboxFilters(view="open"),
    "waiting": InboxFilters(view="waiting"),
    "waiting on the carrier": InboxFilters(view="waiting_on_carrier"),
    "solved": InboxFilters(view="solved"),
    "all cases": InboxFilters(view="all"),
    "one team, open": InboxFilters(view="open", team="1"),
    "one owner, open": InboxFilters(view="open", owner="1"),
    "one owner, a status": InboxFilters(view="all", owner="1", status="open"),
    "a status": InboxFilters(view="all", status="waiting_on_customer"),
    "one channel, open": InboxFilters(view="open", channel="whatsapp"),
    "one channel, all cases": InboxFilters(view="all", channel="email"),
    "one channel, a status": InboxFilters(view="all", channel="email", status="solved"),
    "one team, one channel, open": InboxFilters(view="open", team="1", channel="chat"),
    "mine, one priority": InboxFilters(view="mine", priority="urgent"),
    "mine, a waiting status": InboxFilters(view="mine", status="waiting_on_carrier"),
    "mine, one channel": InboxFilters(view="mine", channel="phone"),
    # "Due soonest" (the SLA's earliest deadline first) and the breached view: partial indexes on
    # sla_due_at, so the range is as small as the cases whose clock runs.
    "all open, due soonest": InboxFilters(view="open", sort="due"),
    "all cases, due soonest": InboxFilters(view="all", sort="due"),
    "mine, due soonest": InboxFilters(view="mine", sort="due"),
    "unassigned, due soonest": InboxFilters(view="unassigned", sort="due"),
    "one team, due soonest": InboxFilters(view="open", team="1", sort="due"),
    "one owner, due soonest": InboxFilters(view="open", owner="1", sort="due"),
    "one channel, due soonest": InboxFilters(view="open", channel="whatsapp", sort="due"),
    "one priority, due soonest": InboxFilters(view="open", priority="urgent", sort="due"),
    "a status, due soonest": InboxFilters(view="open", status="new", sort="due"),
    "breached": InboxFilters(view="breached"),
    "breached, mine": InboxFilters(view="breached", owner="1"),
    "breached, one team": InboxFilters(view="breached", team="1"),
    "breached, a status": InboxFilters(view="breached", status="open"),
}


def query_plan(queryset) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


@pytest.fixture
def desk(agent, customer):
    for _ in range(30):
        make_case(customer)
    return agent


@pytest.mark.parametrize("name", FILTERS)
def test_the_inbox_page_is_an_ordered_index_range(desk, name):
    plan = query_plan(inbox_cases(desk, FILTERS[name])[:26])
    # The outer loop walks an index of the cases; customer, order and owner are looked up by key
    # (the filtered owner may come first: one row, found by its key).
    outer = next(step for step in plan if not step.endswith("USING INTEGER PRIMARY KEY (rowid=?)"))
    assert re.match(r"(SCAN|SEARCH) conversations_case USING (COVERING )?INDEX ", outer), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
