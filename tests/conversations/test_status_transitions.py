"""Case statuses move only through the transition table, by `change_status`; closed is final."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from premura.conversations import services
from premura.conversations.exceptions import CaseChanged, InvalidStatusChange
from premura.conversations.models import STATUS_TRANSITIONS, Case, CaseStatus
from premura.conversations.queries import allowed_statuses
from premura.core import clock
from premura.core.audit import events_for
from tests.factories.conversations import make_case

SOLVED_AT = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
CLOSED_AT = datetime.datetime(2026, 11, 7, 9, 0, tzinfo=datetime.UTC)
ALL_BUT_NEW = [s for s in CaseStatus.values if s != CaseStatus.NEW]


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def closed_case(customer, agent) -> Case:
    case = make_case(customer)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    return case


def status_events(case: Case) -> list[tuple[str, str]]:
    return [(e.data["old"], e.data["new"]) for e in events_for(case) if e.action == "case.status_changed"]


def test_the_table_lets_every_status_but_closed_move_on_and_none_go_back_to_new():
    assert STATUS_TRANSITIONS[CaseStatus.CLOSED] == frozenset()
    assert not any(CaseStatus.NEW in targets for targets in STATUS_TRANSITIONS.values())
    assert set(STATUS_TRANSITIONS) == set(CaseStatus.values)
    assert STATUS_TRANSITIONS[CaseStatus.SOLVED] == {
        "open",
        "waiting_on_customer",
        "waiting_on_carrier",
        "waiting_on_bank",
        "closed",
    }


@pytest.mark.parametrize("target", ALL_BUT_NEW[:-1] + [CaseStatus.NEW])
def test_a_closed_case_never_moves_again_and_nothing_is_written(customer, agent, target):
    case = closed_case(customer, agent)
    before = status_events(case)
    with translation.override("en"), pytest.raises(InvalidStatusChange) as refused:
        services.change_status(case, target, actor=agent.user)
    assert str(refused.value) == (
        "A closed case stays closed: if the customer writes again, a follow-up case is opened."
    )
    case.refresh_from_db()
    assert (case.status, case.phase) == (CaseStatus.CLOSED, "done")
    assert status_events(case) == before == [("new", "closed")]


def test_no_case_goes_back_to_new(customer, agent):
    case = make_case(customer)
    services.change_status(case, CaseStatus.OPEN, actor=agent.user)
    with translation.override("it"), pytest.raises(InvalidStatusChange) as refused:
        services.change_status(case, CaseStatus.NEW, actor=agent.user)
    assert str(refused.value) == "Un caso non può passare da “Aperto” a “Nuovo”."
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_closing_keeps_the_time_the_case_was_solved(customer, agent):
    case = make_case(customer)
    with clock.frozen_at(SOLVED_AT):
        services.change_status(case, CaseStatus.SOLVED, actor=agent.user)
    with clock.frozen_at(CLOSED_AT):
        services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    case.refresh_from_db()
    assert (case.status, case.solved_at) == (CaseStatus.CLOSED, SOLVED_AT)


def test_closing_an_unsolved_case_stamps_when_it_was_done_and_reopening_clears_it(customer, agent):
    spam = make_case(customer)
    with clock.frozen_at(CLOSED_AT):
        services.change_status(spam, CaseStatus.CLOSED, actor=agent.user)
    spam.refresh_from_db()
    assert spam.solved_at == CLOSED_AT
    solved = make_case(customer)
    services.change_status(solved, CaseStatus.SOLVED, actor=agent.user)
    services.change_status(solved, CaseStatus.WAITING_ON_CUSTOMER, actor=agent.user)
    solved.refresh_from_db()
    assert (solved.status, solved.phase, solved.solved_at) == ("waiting_on_customer", "waiting", None)


def test_a_stale_case_is_never_overwritten(customer, agent):
    """Without the row lock (SQLite), a change decided on an old status raises, writes nothing."""
    case = make_case(customer)
    stale = Case.objects.get(pk=case.pk)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    with translation.override("en"), pytest.raises(CaseChanged) as refused:
        services.change_status(stale, CaseStatus.OPEN, actor=agent.user)
    assert str(refused.value) == "The case was changed meanwhile: reload it and try again."
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert status_events(case) == [("new", "closed")]


def test_allowed_statuses_offer_the_current_one_and_its_transitions(customer, agent):
    case = make_case(customer)
    assert [value for value, _ in allowed_statuses(case)] == CaseStatus.values
    services.change_status(case, CaseStatus.SOLVED, actor=agent.user)
    assert [value for value, _ in allowed_statuses(case)] == ALL_BUT_NEW
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    assert allowed_statuses(case) == [("closed", "Chiuso")]


def test_the_console_offers_a_closed_case_no_other_status(marco_client, customer, agent):
    case = closed_case(customer, agent)
    page = marco_client.get(reverse("console:case", args=[case.pk]))
    assert page.context["statuses"] == [("closed", "Chiuso")]
    assert page.context["waiting_statuses"] == []
    html = page.content.decode()
    select = html[html.index('<select name="status" id="case-status">') :]
    select = select[: select.index("</select>")]
    assert select.count("<option") == 1


def test_the_console_refuses_to_reopen_a_closed_case_and_says_why(marco_client, customer, agent):
    case = closed_case(customer, agent)
    response = marco_client.post(
        reverse("console:case_status", args=[case.pk]), {"status": "open"}, follow=True
    )
    assert "Un caso chiuso resta chiuso: se il cliente scrive di nuovo, si apre un nuovo caso collegato." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert status_events(case) == [("new", "closed")]


def test_a_reply_that_would_reopen_a_closed_case_is_refused_whole(marco_client, customer, agent):
    case = closed_case(customer, agent)
    marco_client.post(
        reverse("console:case_reply", args=[case.pk]),
        {"body": "La ricontatto io", "status": "waiting_on_customer"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.messages.count() == 1


def test_the_admin_shows_the_status_but_cannot_change_it(client, admin, customer, agent):
    case = closed_case(customer, agent)
    client.force_login(admin.user)
    page = client.get(reverse("admin:conversations_case_change", args=[case.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "status" not in form.fields
    assert "solved_at" not in form.fields
    assert "status" in page.context["adminform"].readonly_fields
