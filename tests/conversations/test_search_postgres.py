"""PostgreSQL's message search reads the stored tsvector (migration 0007), never the body.

Computing to_tsvector(body) for each message a search looks at made a common word cost about
240 ms at 100,000 cases; the stored column makes it 10 ms (benchmarks/inbox_scale.py).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from premura.conversations.models import Message
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
