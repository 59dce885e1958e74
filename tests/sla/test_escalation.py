"""The sweeper warns the owner at the policy's share of a target and escalates at its deadline
(premura.sla.sweeper): the notifications, the timeline's events, the outcomes kept for reports,
the priority one step up and, when the policy says so, another agent of the team."""

import datetime

import pytest
from django.urls import reverse

from premura.agents.models import Notification, NotificationKind
from premura.agents.services import set_availability
from premura.conversations import services
from premura.conversations.models import Case, CaseStatus, Priority
from premura.core import clock
from premura.core.audit import events_for
from premura.sla.models import Outcome, Policy, TargetOutcome
from premura.sla.sweeper import sweep
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case
from tests.factories.sla import MONDAY_9, rome
from tests.sla.test_admin import policy_form

MINUTE = datetime.timedelta(minutes=1)


def iso(moment: datetime.datetime) -> str:
    """How an event's data stores an instant: ISO 8601 in UTC."""
    return moment.astimezone(datetime.UTC).isoformat()


def sweep_at(moment: datetime.datetime) -> int:
    with clock.frozen_at(moment):
        return sweep()


def opened_monday_at_9(customer, agent, **kwargs) -> Case:
    with clock.frozen_at(MONDAY_9):
        return make_case(customer, owner=agent, team=agent.team, **kwargs)


def sla_events(case: Case) -> list[tuple[str, dict]]:
    return [(e.action, e.data) for e in events_for(case) if e.action.startswith("sla.")]


def notifications() -> list[tuple[str, str, int]]:
    return [
        (n.recipient.display_name, n.kind, n.case_id)
        for n in Notification.objects.select_related("recipient").order_by("pk")
    ]


def test_a_new_case_is_checked_first_at_its_warning(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    # First response by 13:00 (4 business hours); 75 % of them used at 12:00.
    assert case.first_response_due_at == rome(2026, 12, 7, 13)
    case.refresh_from_db()
    assert (case.sla_warn_at, case.sla_check_at) == (rome(2026, 12, 7, 12), rome(2026, 12, 7, 12))


def test_the_owner_is_warned_at_the_share_and_once(customer, agent, lead, policy):
    case = opened_monday_at_9(customer, agent)
    assert sweep_at(rome(2026, 12, 7, 12) - MINUTE) == 0
    assert notifications() == []

    assert sweep_at(rome(2026, 12, 7, 12)) == 1
    assert notifications() == [("Marco Rossi", NotificationKind.SLA_WARNING, case.pk)]
    due = iso(rome(2026, 12, 7, 13))
    assert sla_events(case) == [
        (
            "sla.warning",
            {"target": "first_response", "due_at": due, "percent": 75, "notified": ["Marco Rossi"]},
        )
    ]
    case.refresh_from_db()
    assert case.sla_check_at == rome(2026, 12, 7, 13)  # next: the deadline itself
    assert case.priority == Priority.NORMAL

    assert sweep_at(rome(2026, 12, 7, 12, 30)) == 0
    assert len(notifications()) == 1


def test_the_warning_share_is_the_policys(customer, agent, policy):
    Policy.objects.filter(pk=policy.pk).update(warning_percent=50)
    case = opened_monday_at_9(customer, agent)
    case.refresh_from_db()
    assert case.sla_check_at == rome(2026, 12, 7, 11)  # half of 9–13


def test_without_a_warning_share_the_first_check_is_the_deadline(customer, agent, policy):
    Policy.objects.filter(pk=policy.pk).update(warning_percent=None)
    case = opened_monday_at_9(customer, agent)
    case.refresh_from_db()
    assert (case.sla_warn_at, case.sla_check_at) == (None, rome(2026, 12, 7, 13))


def test_the_warning_share_counts_business_time(customer, agent, policy):
    # Opened Friday 17:00: 4 hours end Monday 12:00; the last hour (25 %) is Monday 11–12.
    with clock.frozen_at(rome(2026, 12, 4, 17)):
        case = make_case(customer, owner=agent, team=agent.team)
    case.refresh_from_db()
    assert case.first_response_due_at == rome(2026, 12, 7, 12)
    assert case.sla_warn_at == rome(2026, 12, 7, 11)


def test_at_breach_the_lead_is_told_and_the_priority_rises_one_step(customer, agent, lead, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 12))
    assert sweep_at(rome(2026, 12, 7, 13)) == 1

    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    assert case.owner == agent  # the policy does not reassign
    assert notifications()[1:] == [
        ("Marco Rossi", NotificationKind.SLA_BREACH, case.pk),
        ("Sara Conti", NotificationKind.SLA_BREACH, case.pk),
    ]
    actions = [e.action for e in events_for(case)]
    assert actions[-3:] == ["sla.warning", "sla.breached", "case.priority_changed"]
    breached = sla_events(case)[-1]
    assert breached == (
        "sla.breached",
        {
            "target": "first_response",
            "due_at": iso(rome(2026, 12, 7, 13)),
            "notified": ["Marco Rossi", "Sara Conti"],
        },
    )
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.warned_at, outcome.breached_at, outcome.settled_at) == (
        Outcome.BREACHED,
        rome(2026, 12, 7, 12),
        rome(2026, 12, 7, 13),
        None,
    )
    assert (outcome.agent, outcome.team, outcome.policy_name) == (agent, agent.team, "Standard")
    # The first response is breached once; the next check is the resolution's warning: 75 % of
    # 16 business hours is 12, Monday 9–18 and Tuesday 9–12.
    case.refresh_from_db()
    assert case.sla_check_at == rome(2026, 12, 8, 12)
    assert sweep_at(rome(2026, 12, 7, 17)) == 0


def test_urgent_stays_urgent_at_breach(customer, agent, policy):
    case = opened_monday_at_9(customer, agent, priority=Priority.URGENT)
    sweep_at(rome(2026, 12, 7, 13))
    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    assert [a for a, _ in sla_events(case)] == ["sla.breached"]
    # Nothing changed the case, so the sweeper moved the check itself: the resolution's warning.
    assert case.sla_check_at == rome(2026, 12, 8, 12)


def test_a_missed_deadline_found_late_is_a_breach_without_a_warning(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    assert sweep_at(rome(2026, 12, 7, 15)) == 1  # the worker was down at 12 and 13
    assert [a for a, _ in sla_events(case)] == ["sla.breached"]
    case.refresh_from_db()
    assert case.priority == Priority.HIGH


def test_without_a_lead_the_administrators_are_told(customer, agent, admin, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 13))
    assert notifications() == [
        ("Marco Rossi", NotificationKind.SLA_BREACH, case.pk),
        ("Giulia Bianchi", NotificationKind.SLA_BREACH, case.pk),
    ]


def test_an_unassigned_case_warns_the_lead(customer, team, lead, policy):
    with clock.frozen_at(MONDAY_9):
        case = make_case(customer, team=team)
    sweep_at(rome(2026, 12, 7, 12))
    assert notifications() == [("Sara Conti", NotificationKind.SLA_WARNING, case.pk)]


@pytest.fixture
def reassigning(policy):
    Policy.objects.filter(pk=policy.pk).update(reassign_on_breach=True)
    return policy


def test_at_breach_the_case_goes_to_the_available_agent_with_fewest_open_cases(
    customer, other_customer, agent, team, lead, reassigning
):
    luca = make_agent("luca", "Luca Greco", team=team)
    away = make_agent("elena", "Elena Riva", team=team)
    set_availability(away, False)
    with clock.frozen_at(rome(2026, 12, 7, 12, 59)):
        make_case(other_customer, owner=lead, team=team)  # Sara has one open case, Luca none
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 13))

    case.refresh_from_db()
    assert (case.owner, case.priority) == (luca, Priority.HIGH)
    assert ("Luca Greco", NotificationKind.SLA_REASSIGNED, case.pk) in notifications()
    reassigned = Notification.objects.get(kind=NotificationKind.SLA_REASSIGNED)
    assert reassigned.data["previous"] == "Marco Rossi"
    assert [e.action for e in events_for(case)][-3:] == [
        "sla.breached",
        "case.priority_changed",
        "case.assigned",
    ]
    # The breach stays Marco's in the reports: it happened in his hands.
    assert TargetOutcome.objects.get(case=case).agent == agent


def test_nobody_else_available_keeps_the_owner(customer, agent, reassigning):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 13))
    case.refresh_from_db()
    assert case.owner == agent


def test_a_reply_meets_the_first_response_and_records_it(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    with clock.frozen_at(rome(2026, 12, 7, 10, 30)):
        services.reply(case, agent, "Ecco la risposta")
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.outcome_at, outcome.due_at, outcome.settled_at) == (
        Outcome.MET,
        rome(2026, 12, 7, 10, 30),
        rome(2026, 12, 7, 13),
        rome(2026, 12, 7, 10, 30),
    )
    assert (outcome.agent, outcome.channel) == (agent, "email")
    case.refresh_from_db()
    # The resolution's warning is next; the first response is no longer checked.
    assert case.sla_check_at == rome(2026, 12, 8, 12)


def test_a_warned_target_met_in_time_is_met(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 12))
    with clock.frozen_at(rome(2026, 12, 7, 12, 30)):
        services.reply(case, agent, "Ecco la risposta")
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.warned_at, outcome.met_at) == (
        Outcome.MET,
        rome(2026, 12, 7, 12),
        rome(2026, 12, 7, 12, 30),
    )


def test_a_reply_after_the_deadline_before_the_sweeper_came_is_a_breach(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    with clock.frozen_at(rome(2026, 12, 7, 13, 0, 30)):
        services.reply(case, agent, "Scusi il ritardo")
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.breached_at, outcome.met_at) == (
        Outcome.BREACHED,
        rome(2026, 12, 7, 13),
        rome(2026, 12, 7, 13, 0, 30),
    )
    assert sla_events(case)[-1][0] == "sla.breached"
    assert sweep_at(rome(2026, 12, 7, 13, 1)) == 0  # nothing left to do for it


def test_a_breached_target_met_late_stays_breached(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 13))
    with clock.frozen_at(rome(2026, 12, 7, 14)):
        services.reply(case, agent, "Scusi il ritardo")
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.met_at, outcome.settled_at) == (
        Outcome.BREACHED,
        rome(2026, 12, 7, 14),
        rome(2026, 12, 7, 14),
    )


def test_each_next_response_is_warned_on_its_own(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    with clock.frozen_at(rome(2026, 12, 7, 10)):
        services.reply(case, agent, "Controllo")
    with clock.frozen_at(rome(2026, 12, 7, 11)):
        services.receive_message(case, body="Grazie, attendo", channel="email")
    # Next response by 13:00 (2 hours), warned at 12:30.
    sweep_at(rome(2026, 12, 7, 12, 30))
    with clock.frozen_at(rome(2026, 12, 7, 12, 45)):
        services.reply(case, agent, "Spedito oggi")
    with clock.frozen_at(rome(2026, 12, 7, 14)):
        services.receive_message(case, body="E il numero di tracking?", channel="email")
    sweep_at(rome(2026, 12, 7, 15, 30))
    warned = [data["due_at"] for action, data in sla_events(case) if action == "sla.warning"]
    assert warned == [iso(rome(2026, 12, 7, 13)), iso(rome(2026, 12, 7, 16))]
    met = TargetOutcome.objects.filter(case=case, target="next_response", outcome=Outcome.MET)
    assert met.count() == 1


def test_a_paused_case_is_not_checked_and_resumes_with_its_warning_given(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 12))
    with clock.frozen_at(rome(2026, 12, 7, 12, 10)):
        services.change_status(case, CaseStatus.WAITING_ON_CARRIER)
    case.refresh_from_db()
    assert (case.sla_due_at, case.sla_check_at) == (None, None)
    with clock.frozen_at(rome(2026, 12, 8, 9)):
        services.change_status(case, CaseStatus.OPEN)
    case.refresh_from_db()
    # 50 minutes of the first response were left: due 9:50, already warned, so checked at 9:50.
    assert case.first_response_due_at == rome(2026, 12, 8, 9, 50)
    assert case.sla_check_at == rome(2026, 12, 8, 9, 50)
    # Its share was used before the pause (counted back over the night): amber at once.
    assert case.sla_warn_at == rome(2026, 12, 7, 17, 50)


def test_solving_unanswered_stops_the_target_without_an_outcome(customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 12))
    with clock.frozen_at(rome(2026, 12, 7, 12, 5)):
        services.change_status(case, CaseStatus.SOLVED)
    outcome = TargetOutcome.objects.get(case=case, target="first_response")
    assert (outcome.outcome, outcome.settled_at) == (Outcome.STOPPED, rome(2026, 12, 7, 12, 5))
    case.refresh_from_db()
    assert case.sla_check_at is None


def test_the_admin_sets_the_warning_share_and_reassignment(client, admin, policy):
    client.force_login(admin.user)
    url = reverse("admin:sla_policy_change", args=[policy.pk])
    response = client.post(url, policy_form(policy, warning_percent=90, reassign_on_breach="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert (policy.warning_percent, policy.reassign_on_breach) == (90, True)
    refused = client.post(url, policy_form(policy, warning_percent=100))
    assert refused.status_code == 200
    policy.refresh_from_db()
    assert policy.warning_percent == 90


def test_the_admin_lists_the_outcomes_read_only(client, admin, customer, agent, policy):
    case = opened_monday_at_9(customer, agent)
    sweep_at(rome(2026, 12, 7, 13))
    client.force_login(admin.user)
    page = client.get(reverse("admin:sla_targetoutcome_changelist"), {"outcome": "breached"})
    assert page.status_code == 200
    assert f"#{case.pk}" in page.content.decode()
    outcome = TargetOutcome.objects.get()
    change = client.post(reverse("admin:sla_targetoutcome_change", args=[outcome.pk]), {"outcome": "met"})
    assert change.status_code in (403, 200)
    outcome.refresh_from_db()
    assert outcome.outcome == Outcome.BREACHED
