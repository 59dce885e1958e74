import pytest

from premura.conversations import services
from premura.conversations.models import CaseStatus
from premura.conversations.queries import matching_case_ids, timeline
from tests.factories.conversations import make_case


def test_reply_is_signed_and_takes_ownership(agent, customer, anna_order):
    case = make_case(customer, order=anna_order)
    message = services.reply(case, agent, "Gentile Anna, il pacco arriva domani.")
    case.refresh_from_db()
    assert message.author_name == "Marco Rossi"
    assert message.body.endswith("Marco Rossi\nServizio clienti Bottega Premura")
    assert case.owner == agent
    assert case.status == CaseStatus.OPEN
    assert case.is_open is True
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
    assert case.is_waiting is True
    services.receive_message(case, body="Ecco la foto", channel="email")
    case.refresh_from_db()
    assert (case.status, case.is_open, case.is_waiting) == (CaseStatus.OPEN, True, False)


def test_empty_reply_is_refused_and_nothing_is_written(agent, customer):
    case = make_case(customer)
    with pytest.raises(services.EmptyMessage):
        services.reply(case, agent, "   ")
    assert case.messages.count() == 1
