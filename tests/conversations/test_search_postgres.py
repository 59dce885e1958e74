"""PostgreSQL's message search reads the stored tsvector (migration 0007), never the body.

Computing to_tsvector(body) for each message a search looks at made a common word cost about
240 ms at 100,000 cases; the stored column makes it 10 ms (benchmarks/inbox_scale.py).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from premura.conversations.models import Case, Message
from premura.conversations.queries import InboxFilters, inbox_cases
from premura.conversations.search import case_ids_matching_text
from tests.factories.conversations import make_case

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text search")


def test_search_filters_on_the_stored_vector_without_computing_one(customer):
    case = make_case(customer, body="Vorrei il rimborso del frullatore")
    with CaptureQueriesContext(connection) as ctx:
        assert case_ids_matching_text("rimborsi") == [case.pk]
    [query] = ctx.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (VERBOSE, COSTS OFF) " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_vector @@" in plan, plan
    assert "to_tsvector" not in plan, plan


def test_the_stored_vector_follows_an_edited_body(customer):
    case = make_case(customer, body="Il frullatore non funziona")
    Message.objects.filter(case=case).update(body="La centrifuga non funziona")
    assert case_ids_matching_text("frullatore") == []
    assert case_ids_matching_text("centrifuga") == [case.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector = to_tsvector('simple', body) FROM conversations_message "
            "WHERE case_id = %s",
            [case.pk],
        )
        assert cursor.fetchall() == [(True,)]


def test_a_search_page_reads_its_matches_by_key_never_walking_the_activity_index(agent, customer):
    """At a million cases PostgreSQL walked case_activity_idx backwards until 26 of a rare word's
    matches came by (525,000 rows, 240 ms). Even pushed towards an ordered index (no explicit sort
    allowed), the search page cannot be read that way: its order is an expression no index has."""
    for k in range(30):
        make_case(customer, body=f"Il frullatore numero {k} è rotto" if k % 3 == 0 else "Pacco in ritardo")
    page = inbox_cases(agent, InboxFilters(q="frullatore"))[:26]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_activity_idx" not in plan, plan
    assert [c.pk for c in page] == [
        c.pk
        for c in Case.objects.filter(messages__body__contains="frullatore").order_by(
            "-last_activity_at", "-pk"
        )
    ]
