import pytest

from premura.conversations import services
from premura.conversations.exceptions import CaseError
from premura.conversations.models import Case, CasePhase, CaseStatus
from premura.conversations.queries import matching_case_ids, timeline
from premura.core.audit import events_for
from tests.factories.conversations import make_case


def test_reply_is_signed_and_takes_ownership(agent, customer, anna_order):
    case = make_case(customer, order=anna_order)
    message = services.reply(case, agent, "Gentile Anna, il pacco arriva domani.")
    case.refresh_from_db()
    assert message.author_name == "Marco Rossi"
    assert message.body.endswith("Marco Rossi\nServizio clienti Bottega Premura")
    assert case.owner == agent
    assert case.status == CaseStatus.OPEN
    assert case.phase == CasePhase.OPEN
    kinds = [row[0] for row in timeline(case)]
    assert kinds == ["inbound", "event", "outbound", "event", "event"]


def test_search_finds_case_by_number_order_email_name_and_words(customer, anna_order, other_customer):
    case = make_case(customer, order=anna_order, body="La moka è arrivata rotta, vorrei un rimborso.")
    other = make_case(other_customer, body="Vorrei cambiare taglia")
    assert matching_case_ids(f"#{case.pk}") == [case.pk]
    assert matching_case_ids("prm-100001") == [case.pk]
    assert matching_case_ids("Anna.Colombo@example.it") == [case.pk]
    assert case.pk in matching_case_ids("anna col")
    assert matching_case_ids("rimborsi") == [case.pk]
    assert matching_case_ids("taglie") == [other.pk]


def test_customer_message_reopens_a_waiting_case(agent, customer):
    case = make_case(customer)
    services.change_status(case, CaseStatus.WAITING_ON_CUSTOMER, actor=agent.user)
    assert case.phase == CasePhase.WAITING
    services.receive_message(case, body="Ecco la foto", channel="email")
    case.refresh_from_db()
    assert (case.status, case.phase) == (CaseStatus.OPEN, CasePhase.OPEN)


def test_empty_reply_is_refused_and_nothing_is_written(agent, customer):
    case = make_case(customer)
    with pytest.raises(services.EmptyMessage):
        services.reply(case, agent, "   ")
    assert case.messages.count() == 1


def test_a_message_on_a_closed_case_opens_a_follow_up_with_the_same_owner(agent, customer, anna_order):
    case = make_case(customer, order=anna_order, subject="Moka rotta")
    services.assign(case, agent, actor=agent.user)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)

    message = services.receive_message(case, body="Ne è arrivata un'altra rotta", channel="email")

    follow_up = message.case
    case.refresh_from_db()
    assert follow_up.pk != case.pk
    assert case.status == CaseStatus.CLOSED
    assert (follow_up.follow_up_of, follow_up.customer, follow_up.order) == (case, customer, anna_order)
    assert (follow_up.subject, follow_up.owner, follow_up.status) == ("Moka rotta", agent, CaseStatus.NEW)
    assert [m.body for m in follow_up.messages.all()] == ["Ne è arrivata un'altra rotta"]
    assert case.messages.count() == 1
    events = [row[2].action for row in timeline(case) if row[0] == "event"]
    assert events[-1] == "case.followed_up"


def test_a_follow_up_goes_unassigned_when_the_owner_is_away(agent, customer):
    case = make_case(customer)
    services.assign(case, agent, actor=agent.user)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    agent.is_available = False
    agent.save(update_fields=["is_available"])
    follow_up = services.receive_message(case, body="Di nuovo io", channel="web_form").case
    assert follow_up.owner is None
    assert follow_up.team == case.team


def test_a_case_opened_waiting_has_its_status_event_and_a_paused_clock(customer):
    case = services.open_case(
        customer=customer,
        subject="Consegna dell'ordine",
        body="",
        proactive=True,
        status=CaseStatus.WAITING_ON_CARRIER,
        actor_label="care",
    )
    case.refresh_from_db()
    assert (case.status, case.phase, case.solved_at) == (
        CaseStatus.WAITING_ON_CARRIER,
        CasePhase.WAITING,
        None,
    )
    status_event = events_for(case).get(action="case.status_changed")
    assert status_event.actor_label == "care"
    assert status_event.data == {"old": CaseStatus.NEW, "new": CaseStatus.WAITING_ON_CARRIER}
    assert case.sla_clock.running_since is None  # waiting: the clock never ran


def test_a_new_case_has_no_status_event_and_an_unknown_status_is_refused(customer):
    case = services.open_case(customer=customer, subject="Ciao", body="Ciao")
    assert not events_for(case).filter(action="case.status_changed").exists()
    with pytest.raises(CaseError):
        services.open_case(customer=customer, subject="Ciao", body="Ciao", status="shipped")
    assert list(Case.objects.all()) == [case]
