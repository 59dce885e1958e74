"""The close sweeper claims each case with a conditional UPDATE: it never closes a case that the
customer reopened after the sweeper read it, and a message after the close opens a follow-up.
(docs/architecture.md, "The close sweeper and the customer".)"""

import datetime

import pytest

from premura.conversations import services
from premura.conversations.models import Case, CaseStatus
from premura.core import clock
from premura.core.audit import events_for
from tests.factories.conversations import make_case

SOLVED_AT = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
SWEPT_AT = SOLVED_AT + datetime.timedelta(days=5)


@pytest.fixture
def solved(customer, agent):
    with clock.frozen_at(SOLVED_AT - datetime.timedelta(hours=2)):
        case = make_case(customer, owner=agent)
    with clock.frozen_at(SOLVED_AT):
        services.reply(case, agent, "Il rimborso è partito oggi.", new_status=CaseStatus.SOLVED)
    return case


def closing_events(case: Case) -> list:
    return [e for e in events_for(case) if e.action == "case.status_changed" and e.data["new"] == "closed"]


def test_it_closes_cases_solved_days_ago_keeping_when_they_were_solved(solved, customer):
    recent = make_case(customer)
    with clock.frozen_at(SWEPT_AT - datetime.timedelta(days=1)):
        services.change_status(recent, CaseStatus.SOLVED)
    with clock.frozen_at(SWEPT_AT):
        assert services.close_solved_cases() == 1
        assert services.close_solved_cases() == 0
    solved.refresh_from_db()
    recent.refresh_from_db()
    assert (solved.status, solved.phase, solved.solved_at) == (CaseStatus.CLOSED, "done", SOLVED_AT)
    assert recent.status == CaseStatus.SOLVED
    [event] = closing_events(solved)
    assert (event.actor, event.actor_label, event.data, event.created_at) == (
        None,
        "system",
        {"old": "solved", "new": "closed"},
        SWEPT_AT,
    )


def test_a_message_between_the_read_and_the_close_leaves_the_case_reopened(solved, monkeypatch):
    read_due_cases = services._solved_cases_due

    def customer_writes_meanwhile(*args, **kwargs):
        due = read_due_cases(*args, **kwargs)
        services.receive_message(
            Case.objects.get(pk=solved.pk), body="Il rimborso non è arrivato", channel="email"
        )
        return due

    monkeypatch.setattr(services, "_solved_cases_due", customer_writes_meanwhile)
    with clock.frozen_at(SWEPT_AT):
        assert services.close_solved_cases() == 0
    solved.refresh_from_db()
    assert (solved.status, solved.phase, solved.solved_at) == (CaseStatus.OPEN, "open", None)
    assert solved.messages.last().body == "Il rimborso non è arrivato"
    assert closing_events(solved) == []


def test_two_sweepers_close_a_case_once(solved, monkeypatch):
    read_due_cases = services._solved_cases_due

    def another_sweeper_meanwhile(*args, **kwargs):
        due = read_due_cases(*args, **kwargs)
        monkeypatch.setattr(services, "_solved_cases_due", read_due_cases)
        assert services.close_solved_cases() == 1
        return due

    monkeypatch.setattr(services, "_solved_cases_due", another_sweeper_meanwhile)
    with clock.frozen_at(SWEPT_AT):
        assert services.close_solved_cases() == 0
    assert len(closing_events(solved)) == 1


def test_a_message_on_a_case_read_before_the_close_opens_a_follow_up(solved):
    """The customer's side of the race: the case was loaded while still solved."""
    loaded_before_the_close = Case.objects.get(pk=solved.pk)
    with clock.frozen_at(SWEPT_AT):
        assert services.close_solved_cases() == 1
    message = services.receive_message(
        loaded_before_the_close, body="Il rimborso non è arrivato", channel="email"
    )
    solved.refresh_from_db()
    assert solved.status == CaseStatus.CLOSED
    assert message.case.follow_up_of_id == solved.pk
    assert (message.case.status, message.body) == (CaseStatus.NEW, "Il rimborso non è arrivato")
    assert solved.messages.filter(body="Il rimborso non è arrivato").count() == 0
