"""Actions that read a case then write it take the case's row lock first: `access_case(...,
lock=True)` inside the action's transaction (Zulip's access_message(..., lock_message=True)).

SQLite ignores the lock, so these tests watch for the request for it; the services stay correct
without it (test_status_transitions.py::test_a_stale_case_is_never_overwritten).
"""

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from premura.conversations.models import Case
from premura.conversations.queries import access_case
from tests.api.conftest import client_for
from tests.factories.conversations import make_case


@pytest.fixture
def locks(monkeypatch):
    """The models whose rows were asked for FOR UPDATE, and whether the lock covered joins."""
    asked = []
    select_for_update = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        asked.append((self.model, kwargs.get("of")))
        return select_for_update(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    return asked


def test_access_case_locks_only_the_case_row_when_asked(agent, customer, locks):
    case = make_case(customer)
    assert access_case(agent, case.pk) == case
    assert locks == []
    assert access_case(agent, case.pk, lock=True) == case
    assert locks == [(Case, ("self",))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL writes FOR UPDATE")
def test_the_lock_is_for_update_of_the_case_only(agent, customer):
    case = make_case(customer)
    with CaptureQueriesContext(connection) as queries:
        access_case(agent, case.pk, lock=True)
    assert queries[-1]["sql"].endswith('FOR UPDATE OF "conversations_case"')


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("console:case_reply", {"body": "Arriva domani"}),
        ("console:case_note", {"body": "Chiamare BRT"}),
        ("console:case_status", {"status": "solved"}),
        ("console:case_priority", {"priority": "high"}),
        ("console:case_assign", {"owner": ""}),
        ("console:case_add_identity", {"address": "anna.ufficio@lavoro.example"}),
    ],
)
def test_console_actions_lock_the_case(client, agent, customer, locks, url, data):
    case = make_case(customer)
    client.force_login(agent.user)
    client.post(reverse(url, args=[case.pk]), data)
    assert (Case, ("self",)) in locks


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("PATCH", "/api/v1/cases/{id}", {"status": "solved"}),
        ("POST", "/api/v1/cases/{id}/messages", {"body": "Arriva domani"}),
        ("POST", "/api/v1/cases/{id}/messages", {"body": "Nota", "internal": True}),
        ("POST", "/api/v1/cases/{id}/inbound", {"body": "Ecco la foto"}),
    ],
)
def test_api_writes_lock_the_case(agent, customer, locks, method, path, data):
    case = make_case(customer)
    response = client_for(agent.user).request(method, path.format(id=case.pk), data)
    assert response.status_code in (200, 201), response.content
    assert Case in [model for model, _ in locks]
