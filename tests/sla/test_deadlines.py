"""The deadlines on the case: computed by the demo desk's policies on every case change, paused
while the case waits on someone else, met by an agent's reply (never by a note), recomputed in
the background when a policy changes."""

import datetime

import pytest
from django.db import connection

from premura.conversations import services
from premura.conversations.models import Case, CaseStatus, Priority
from premura.core.clock import frozen_at
from premura.core.models import Channel
from premura.customers.models import Tier
from premura.customers.services import update_customer
from premura.sla import services as sla
from premura.sla.models import DeadlineChange, DeadlineRecompute, DeadlineState, Policy, Target
from tests.factories.conversations import make_case
from tests.sla.conftest import rome

MONDAY = rome(2026, 11, 23, 9)  # a week without holidays: 23–28 November 2026


def deadlines(case: Case) -> tuple:
    case.refresh_from_db()
    return case.first_response_due_at, case.next_response_due_at, case.resolution_due_at, case.sla_due_at


def history(case: Case, target: str) -> list[tuple]:
    return list(
        DeadlineChange.objects.filter(case=case, target=target).values_list(
            "state", "due_at", "cause", "policy_name"
        )
    )


def open_at(moment, customer, **kwargs) -> Case:
    with frozen_at(moment):
        return make_case(customer, **kwargs)


def test_a_new_e_mail_case_gets_its_first_response_and_resolution_deadlines(service_levels, customer):
    case = open_at(MONDAY, customer)
    # 8 business hours: 9–13 and 14–18; 40 business hours: the whole week.
    assert deadlines(case) == (rome(2026, 11, 23, 18), None, rome(2026, 11, 27, 18), rome(2026, 11, 23, 18))
    assert history(case, Target.FIRST_RESPONSE) == [
        (DeadlineState.RUNNING, rome(2026, 11, 23, 18), "case.opened", "E-mail e modulo web")
    ]
    assert history(case, Target.NEXT_RESPONSE) == []


def test_the_demo_example_saturday_night_before_sant_ambrogio(service_levels, customer):
    """Saturday 5 December 2026, 23:48: Sunday, Sant'Ambrogio and the Immacolata are skipped."""
    case = open_at(datetime.datetime.fromisoformat("2026-12-05T23:48:00+01:00"), customer)
    assert case.first_response_due_at == rome(2026, 12, 9, 18)
    assert deadlines(case)[0] == rome(2026, 12, 9, 18)


def test_the_closure_at_the_end_of_the_year(service_levels, customer):
    """Christmas Eve at 17:00: one hour that day, then Saturday 2 January 9–13, then Monday."""
    case = open_at(rome(2026, 12, 24, 17), customer)
    assert deadlines(case)[0] == rome(2027, 1, 4, 12)


def test_an_agent_reply_meets_the_first_response_and_a_note_does_not(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.add_note(case, agent, "Chiedo a BRT")
    assert deadlines(case)[0] == rome(2026, 11, 23, 18)
    with frozen_at(rome(2026, 11, 23, 11)):
        services.reply(case, agent, "Il pacco arriva domani")
    assert deadlines(case) == (None, None, rome(2026, 11, 27, 18), rome(2026, 11, 27, 18))
    assert history(case, Target.FIRST_RESPONSE)[-1] == (
        DeadlineState.MET,
        None,
        "case.replied",
        "E-mail e modulo web",
    )


def test_a_customer_message_after_a_reply_starts_the_next_response(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 11)):
        services.reply(case, agent, "Il pacco arriva domani")
    with frozen_at(rome(2026, 11, 24, 10)):
        services.receive_message(case, body="Non è arrivato", channel=Channel.EMAIL)
    # Tuesday 10–13 and 14–18 are seven hours; the eighth is Wednesday 9–10.
    assert deadlines(case) == (None, rome(2026, 11, 25, 10), rome(2026, 11, 27, 18), rome(2026, 11, 25, 10))
    # A second message does not move it: the clock counts from the first unanswered one.
    with frozen_at(rome(2026, 11, 24, 15)):
        services.receive_message(case, body="Ci siete?", channel=Channel.EMAIL)
    assert deadlines(case)[1] == rome(2026, 11, 25, 10)
    with frozen_at(rome(2026, 11, 24, 16)):
        services.add_note(case, agent, "Sollecitato BRT")
    assert deadlines(case)[1] == rome(2026, 11, 25, 10)
    with frozen_at(rome(2026, 11, 24, 17)):
        services.reply(case, agent, "Ecco il tracciamento")
    assert deadlines(case)[1:3] == (None, rome(2026, 11, 27, 18))


def test_the_shop_s_acknowledgement_answers_nothing(service_levels, customer):
    from premura.channels.acknowledgements import acknowledge

    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 9, 1)):
        assert acknowledge(case) is not None
    assert deadlines(case)[0] == rome(2026, 11, 23, 18)


def test_waiting_on_the_carrier_pauses_and_resumes_with_the_time_left(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 11)):
        services.change_status(case, CaseStatus.WAITING_ON_CARRIER)
    assert deadlines(case) == (None, None, None, None)
    assert history(case, Target.FIRST_RESPONSE)[-1][:3] == (DeadlineState.PAUSED, None, "case.status_changed")
    with frozen_at(rome(2026, 11, 25, 9)):
        services.change_status(case, CaseStatus.OPEN)
    # Two hours were used on Monday: six are left from Wednesday 9:00 (9–13, 14–16); the
    # resolution has 38 left (Wednesday to Saturday 28, Monday 30 and two on Tuesday 1 December).
    assert deadlines(case) == (rome(2026, 11, 25, 16), None, rome(2026, 12, 1, 11), rome(2026, 11, 25, 16))


def test_a_reply_waiting_on_the_customer_pauses_until_they_write(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.reply(case, agent, "Ci manda una foto?", new_status=CaseStatus.WAITING_ON_CUSTOMER)
    assert deadlines(case) == (None, None, None, None)
    with frozen_at(rome(2026, 11, 26, 9, 30)):
        services.receive_message(case, body="Ecco la foto", channel=Channel.EMAIL)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    # The next response from Thursday 9:30; the resolution resumes with 39 hours left.
    assert deadlines(case) == (
        None,
        rome(2026, 11, 27, 9, 30),
        rome(2026, 12, 2, 12, 30),
        rome(2026, 11, 27, 9, 30),
    )


def test_a_solved_case_stops_its_clock_and_a_reopened_one_resumes(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.reply(case, agent, "Rimborsato", new_status=CaseStatus.SOLVED)
    assert deadlines(case) == (None, None, None, None)
    assert history(case, Target.RESOLUTION)[-1][:3] == (DeadlineState.MET, None, "case.status_changed")
    with frozen_at(rome(2026, 11, 24, 9)):
        services.receive_message(case, body="Non vedo il rimborso", channel=Channel.EMAIL)
    assert deadlines(case) == (None, rome(2026, 11, 24, 18), rome(2026, 11, 30, 12), rome(2026, 11, 24, 18))


def test_urgent_priority_chooses_the_urgent_policy_and_counts_the_time_used(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        services.change_priority(case, Priority.URGENT)
    assert deadlines(case) == (rome(2026, 11, 23, 10), None, rome(2026, 11, 23, 18), rome(2026, 11, 23, 10))
    assert history(case, Target.FIRST_RESPONSE)[-1] == (
        DeadlineState.RUNNING,
        rome(2026, 11, 23, 10),
        "case.priority_changed",
        "Urgenti",
    )
    # Made urgent when more than the urgent hour had gone: due the moment the clock ran.
    late = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 11)):
        services.change_status(late, CaseStatus.WAITING_ON_BANK)
    with frozen_at(rome(2026, 11, 23, 15)):
        services.change_status(late, CaseStatus.OPEN)
        services.change_priority(late, Priority.URGENT)
    assert deadlines(late)[0] == rome(2026, 11, 23, 15)


def test_vip_customers_get_half_and_a_tier_change_moves_their_open_cases(service_levels, customer):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        update_customer(customer, changes={"tier": Tier.VIP})
    assert deadlines(case)[0] == rome(2026, 11, 23, 13)
    assert history(case, Target.FIRST_RESPONSE)[-1][2:] == ("customer.tier_changed", "Clienti VIP")
    urgent = open_at(MONDAY, customer, priority=Priority.URGENT)
    assert deadlines(urgent)[0] == rome(2026, 11, 23, 9, 30)


def test_a_phone_call_has_no_policy_and_no_deadline(service_levels, customer, agent):
    case = open_at(MONDAY, customer, channel=Channel.PHONE, written_by=agent)
    assert deadlines(case) == (None, None, None, None)
    assert not DeadlineChange.objects.filter(case=case).exists()


def test_without_any_policy_nothing_is_due(db, customer):
    case = open_at(MONDAY, customer)
    assert deadlines(case) == (None, None, None, None)
    assert sla.promised_time(case) is None


def test_refreshing_again_changes_nothing(service_levels, customer):
    case = open_at(MONDAY, customer)
    before = (deadlines(case), DeadlineChange.objects.count())
    with frozen_at(rome(2026, 11, 23, 12)):
        sla.refresh_deadlines(case, cause="test")
    assert (deadlines(case), DeadlineChange.objects.count()) == before


def test_a_follow_up_of_a_closed_case_has_its_own_clock(service_levels, customer, agent):
    case = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.reply(case, agent, "Fatto", new_status=CaseStatus.CLOSED)
    with frozen_at(rome(2026, 11, 24, 9)):
        follow_up = services.receive_message(case, body="Un'altra cosa", channel=Channel.EMAIL).case
    assert follow_up.pk != case.pk
    assert deadlines(follow_up)[0] == rome(2026, 11, 24, 18)
    assert deadlines(case) == (None, None, None, None)


def test_a_policy_edit_recomputes_the_open_cases_in_the_background(
    service_levels, customer, agent, django_capture_on_commit_callbacks
):
    case = open_at(MONDAY, customer)
    waiting = open_at(MONDAY, customer)
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        services.change_status(waiting, CaseStatus.WAITING_ON_CUSTOMER)
    policy = Policy.objects.get(name="E-mail e modulo web")
    policy.first_response_minutes = 120
    policy.save()
    with frozen_at(rome(2026, 11, 23, 9, 45)), django_capture_on_commit_callbacks(execute=True):
        sla.configuration_changed(policy)
    assert deadlines(case)[0] == rome(2026, 11, 23, 11)
    assert history(case, Target.FIRST_RESPONSE)[-1][2] == "sla.policy_changed"
    assert deadlines(waiting)[0] is None  # paused: its new target counts when it resumes
    assert DeadlineRecompute.objects.latest("pk").finished_at is not None


def test_a_recompute_goes_by_batches_and_two_workers_skip_no_case(service_levels, customer):
    cases = [open_at(MONDAY, customer) for _ in range(5)]
    Policy.objects.filter(name="E-mail e modulo web").update(first_response_minutes=60)
    recompute = sla.request_recompute("sla.policy_changed")  # its doorbell is lost: no commit here
    assert sla.pending_recompute_ids() == [recompute.pk]
    with frozen_at(rome(2026, 11, 23, 9, 5)):
        assert sla.recompute_deadlines(recompute.pk, batch=2) is True
        # A second worker on the same batch refreshes the same cases and moves nothing on.
        DeadlineRecompute.objects.filter(pk=recompute.pk).update(next_case_id=0)
        assert sla.recompute_deadlines(recompute.pk, batch=2) is True
        assert sla.recompute_deadlines(recompute.pk, batch=2) is True
        assert sla.recompute_deadlines(recompute.pk, batch=2) is False
    assert [deadlines(case)[0] for case in cases] == [rome(2026, 11, 23, 10)] * 5
    assert sla.pending_recompute_ids() == []


def test_the_index_serves_due_soonest_and_due_by(service_levels, customer):
    open_at(MONDAY, customer)
    due_by = Case.objects.filter(sla_due_at__lte=rome(2026, 11, 24, 9)).order_by("sla_due_at")[:100]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = due_by.query.sql_with_params()
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "case_sla_due_idx" in plan


@pytest.mark.parametrize("status", [CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.SOLVED])
def test_sla_due_at_is_set_only_while_the_clock_runs(service_levels, customer, status):
    case = open_at(MONDAY, customer)
    assert case.sla_due_at is not None
    with frozen_at(rome(2026, 11, 23, 10)):
        services.change_status(case, status)
    assert Case.objects.filter(pk=case.pk, sla_due_at__isnull=True).exists()
