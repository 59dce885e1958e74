"""Cases and messages through the API."""

import pytest

from premura.conversations import services
from premura.conversations.models import Case, CaseStatus, Message
from premura.core.audit import events_for
from tests.api.conftest import row_counts
from tests.factories.conversations import make_case


def test_it_opens_a_case_for_a_customer_as_the_token_s_agent(agent_api, agent, customer, anna_order):
    response = agent_api.post(
        "/api/v1/cases",
        {
            "customer_id": customer.pk,
            "subject": "Moka arrivata rotta",
            "body": "Buongiorno, la moka è arrivata rotta.",
            "channel": "whatsapp",
            "order_id": anna_order.pk,
            "priority": "high",
            "reason": "damaged",
        },
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    data = response.json()
    assert data["id"] == case.pk
    assert data["number"] == f"#{case.pk}"
    assert (data["subject"], data["customer_id"], data["customer_name"]) == (
        "Moka arrivata rotta",
        customer.pk,
        "Anna Colombo",
    )
    assert (data["order_id"], data["status"], data["priority"], data["channel"]) == (
        anna_order.pk,
        "new",
        "high",
        "whatsapp",
    )
    # No owner_id: the assignment rules chose the one available agent of Marco's team, Marco.
    assert (data["owner_id"], data["reason"], case.reason, case.is_subject_internal) == (
        agent.pk,
        "damaged",
        "damaged",
        True,
    )
    # The agent wrote the first message, for Anna: it is theirs, not her own words.
    fields = ("direction", "author_name", "author_agent_id", "author_customer_id", "on_behalf_of_id")
    assert [tuple(m[f] for f in fields) for m in data["messages"]] == [
        ("inbound", "Marco Rossi", agent.pk, None, customer.pk)
    ]
    assert data["messages"][0]["body"] == "Buongiorno, la moka è arrivata rotta."
    opened, assigned = events_for(case)
    assert (opened.action, opened.actor, opened.actor_label) == ("case.opened", agent.user, "Marco Rossi")
    assert (assigned.action, assigned.data["rule"]) == ("case.assigned", "fewest_open_cases")


def test_it_refuses_a_case_with_another_customer_s_order(agent_api, customer, anna_order, bruno_order):
    before = row_counts()
    response = agent_api.post(
        "/api/v1/cases",
        {
            "customer_id": customer.pk,
            "subject": "Reso",
            "body": "Vorrei un reso.",
            "order_id": bruno_order.pk,
        },
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "The order belongs to another customer."}
    assert not Case.objects.exists()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"body": "Ciao"}, "body.subject: Field required"),
        ({"subject": "Ciao"}, "body.body: Field required"),
        (
            {"subject": "Ciao", "body": "Ciao", "channel": "fax"},
            "body.channel: Input should be 'email', 'web_form', 'chat', 'whatsapp', 'messenger', "
            "'instagram', 'sms', 'x' or 'phone'",
        ),
        (
            {"subject": "Ciao", "body": "Ciao", "order_id": 999999},
            "body.order_id: There is no order with id 999999.",
        ),
        ({"subject": "Ciao", "body": "   "}, "The message is empty."),
    ],
    ids=["no subject", "no body", "unknown channel", "unknown order", "blank body"],
)
def test_it_refuses_an_invalid_case_naming_the_field(agent_api, customer, body, detail):
    response = agent_api.post("/api/v1/cases", {"customer_id": customer.pk, **body})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert not Case.objects.exists()


def test_invalid_input_lists_every_field(agent_api):
    response = agent_api.post("/api/v1/cases", {"customer_id": "anna"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body.customer_id", "message": "Input should be a valid integer", "type": "int_type"},
        {"field": "body.subject", "message": "Field required", "type": "missing"},
        {"field": "body.body", "message": "Field required", "type": "missing"},
    ]


def test_an_unknown_customer_is_named(agent_api):
    response = agent_api.post("/api/v1/cases", {"customer_id": 424242, "subject": "Ciao", "body": "Ciao"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "body.customer_id: There is no customer with id 424242.",
        "errors": [
            {
                "field": "body.customer_id",
                "message": "There is no customer with id 424242.",
                "type": "unknown_reference",
            }
        ],
    }


def test_a_case_shows_messages_and_internal_notes(agent_api, agent, customer):
    case = make_case(customer)
    services.add_note(case, agent, "Cliente VIP, trattare con cura.")
    response = agent_api.get(f"/api/v1/cases/{case.pk}")
    assert response.status_code == 200
    assert [
        (m["direction"], m["is_internal"], m["author_name"], m["body"]) for m in response.json()["messages"]
    ] == [
        ("inbound", False, "Anna Colombo", "Buongiorno, il pacco non è ancora arrivato."),
        ("outbound", True, "Marco Rossi", "Cliente VIP, trattare con cura."),
    ]


def test_an_unknown_case_is_a_404(agent_api):
    for method, path in [
        ("GET", "/api/v1/cases/999"),
        ("PATCH", "/api/v1/cases/999"),
        ("GET", "/api/v1/cases/999/messages"),
    ]:
        response = agent_api.request(method, path, {})
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_list_filters_by_view_status_owner_channel_and_priority(
    agent_api, agent, admin, customer, other_customer
):
    mine = make_case(customer, subject="Mio")
    services.assign(mine, agent, actor=agent.user)
    unassigned = make_case(other_customer, subject="Di nessuno", channel="whatsapp", priority="urgent")
    waiting = make_case(customer, subject="In attesa", owner=None)
    services.change_status(waiting, CaseStatus.WAITING_ON_CUSTOMER, actor=agent.user)
    solved = make_case(other_customer, subject="Risolto")
    services.assign(solved, admin, actor=admin.user)
    services.change_status(solved, CaseStatus.SOLVED, actor=admin.user)

    def ids(**params):
        response = agent_api.get("/api/v1/cases", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    everything = ids()
    assert sorted(everything) == sorted([mine.pk, unassigned.pk, waiting.pk, solved.pk])
    assert ids(view="mine") == [mine.pk]
    assert ids(view="unassigned") == [unassigned.pk]
    assert sorted(ids(view="open")) == sorted([mine.pk, unassigned.pk])
    assert ids(view="waiting") == [waiting.pk]
    assert ids(view="solved") == [solved.pk]
    assert ids(status="waiting_on_customer") == [waiting.pk]
    assert ids(owner=str(admin.pk)) == [solved.pk]
    assert sorted(ids(owner="none")) == sorted([unassigned.pk, waiting.pk])
    assert ids(channel="whatsapp") == [unassigned.pk]
    assert ids(priority="urgent") == [unassigned.pk]
    assert ids(team=str(agent.team_id), view="mine") == [mine.pk]


def test_list_searches_every_case(agent_api, customer, other_customer, anna_order):
    rotta = make_case(customer, order=anna_order, body="La moka è arrivata rotta, vorrei un rimborso.")
    make_case(other_customer, body="Vorrei cambiare taglia")
    for query in [f"#{rotta.pk}", "prm-100001", "Anna.Colombo@example.it", "rimborsi"]:
        response = agent_api.get("/api/v1/cases", {"q": query, "view": "solved"})
        assert [item["id"] for item in response.json()["items"]] == [rotta.pk], query


def test_list_is_paginated_at_most_100(agent_api, customer):
    cases = [make_case(customer, subject=f"Caso {n}") for n in range(3)]
    response = agent_api.get("/api/v1/cases", {"limit": 2, "offset": 1})
    data = response.json()
    assert (data["count"], data["limit"], data["offset"]) == (3, 2, 1)
    assert len(data["items"]) == 2
    assert {item["id"] for item in data["items"]} <= {case.pk for case in cases}
    response = agent_api.get("/api/v1/cases", {"limit": 101})
    assert response.status_code == 422
    assert response.json()["detail"] == "query.limit: Input should be less than or equal to 100"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"view": "bogus"}, "query.view: Input should be"),
        ({"owner": "marco"}, "query.owner: String should match pattern"),
        ({"status": "lost"}, "query.status: Input should be"),
    ],
)
def test_list_refuses_unknown_filters_naming_them(agent_api, params, detail):
    response = agent_api.get("/api/v1/cases", params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


def test_patch_changes_status_priority_and_owner(agent_api, agent, admin, customer):
    case = make_case(customer)
    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}",
        {"status": "waiting_on_carrier", "priority": "urgent", "owner_id": admin.pk},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["priority"], data["owner_id"], data["team_id"]) == (
        "waiting_on_carrier",
        "urgent",
        admin.pk,
        admin.team_id,
    )
    case.refresh_from_db()
    assert (case.status, case.phase, case.priority, case.owner) == (
        "waiting_on_carrier",
        "waiting",
        "urgent",
        admin,
    )
    actions = [(e.action, e.actor) for e in events_for(case)][1:]
    assert actions == [
        ("case.assigned", agent.user),
        ("case.status_changed", agent.user),
        ("case.priority_changed", agent.user),
    ]


def test_patch_with_owner_null_unassigns_and_leaves_the_rest(agent_api, agent, customer):
    case = make_case(customer, owner=agent, priority="high")
    response = agent_api.patch(f"/api/v1/cases/{case.pk}", {"owner_id": None})
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.owner, case.priority, case.status) == (None, "high", "new")


def test_patch_with_an_unknown_owner_changes_nothing(agent_api, customer):
    case = make_case(customer)
    response = agent_api.patch(f"/api/v1/cases/{case.pk}", {"status": "solved", "owner_id": 4242})
    assert response.status_code == 422
    assert response.json()["detail"] == "body.owner_id: There is no agent with id 4242."
    case.refresh_from_db()
    assert (case.status, case.owner) == ("new", None)


def test_patch_never_reopens_a_closed_case_and_changes_nothing(agent_api, agent, admin, customer):
    case = make_case(customer)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    before = row_counts()
    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}", {"owner_id": admin.pk, "status": "open", "priority": "urgent"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "A closed case stays closed: if the customer writes again, a follow-up case is opened."
    }
    case.refresh_from_db()
    assert (case.status, case.owner, case.priority) == ("closed", None, "normal")
    assert row_counts() == before


def test_patch_refuses_to_move_a_case_back_to_new(agent_api, agent, customer):
    case = make_case(customer)
    services.change_status(case, CaseStatus.WAITING_ON_BANK, actor=agent.user)
    response = agent_api.patch(f"/api/v1/cases/{case.pk}", {"status": "new"})
    assert response.status_code == 422
    assert response.json() == {"detail": "A case cannot go from “Waiting on bank” to “New”."}
    case.refresh_from_db()
    assert case.status == "waiting_on_bank"


def test_the_reason_is_read_with_the_case_and_refused_when_unknown(agent_api, customer):
    case = make_case(customer, reason="payment")
    assert agent_api.get(f"/api/v1/cases/{case.pk}").json()["reason"] == "payment"
    assert [item["reason"] for item in agent_api.get("/api/v1/cases").json()["items"]] == ["payment"]
    response = agent_api.post(
        "/api/v1/cases", {"customer_id": customer.pk, "subject": "Ciao", "body": "Ciao", "reason": "lottery"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body.reason: Input should be 'order_status', 'delivery'")
    assert Case.objects.count() == 1


def test_a_reply_is_signed_by_the_token_s_agent(agent_api, agent, customer):
    case = make_case(customer)
    response = agent_api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Gentile Anna, arriva domani."})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["direction"], data["is_internal"], data["author_name"], data["author_agent_id"]) == (
        "outbound",
        False,
        "Marco Rossi",
        agent.pk,
    )
    assert data["body"] == "Gentile Anna, arriva domani.\n\nMarco Rossi\nServizio clienti Bottega Premura"
    case.refresh_from_db()
    assert (case.owner, case.status) == (agent, CaseStatus.OPEN)


def test_an_internal_note_is_not_a_reply(agent_api, agent, customer):
    case = make_case(customer)
    response = agent_api.post(
        f"/api/v1/cases/{case.pk}/messages", {"body": "Verificare col magazzino", "internal": True}
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["is_internal"], data["body"], data["author_name"]) == (
        True,
        "Verificare col magazzino",
        "Marco Rossi",
    )
    case.refresh_from_db()
    assert (case.owner, case.status) == (None, CaseStatus.NEW)
    response = agent_api.get(f"/api/v1/cases/{case.pk}/messages")
    assert [m["is_internal"] for m in response.json()["items"]] == [False, True]


def test_an_empty_reply_is_refused_and_nothing_is_written(agent_api, customer):
    case = make_case(customer)
    response = agent_api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "   "})
    assert response.status_code == 422
    assert response.json() == {"detail": "The message is empty."}
    assert case.messages.count() == 1


def test_an_inbound_message_reopens_a_waiting_case(agent_api, agent, customer):
    case = make_case(customer, channel="whatsapp")
    services.change_status(case, CaseStatus.WAITING_ON_CUSTOMER, actor=agent.user)
    response = agent_api.post(
        f"/api/v1/cases/{case.pk}/inbound", {"body": "Ecco la foto", "external_id": "wamid.1"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["direction"], data["channel"], data["author_name"], data["author_customer_id"]) == (
        "inbound",
        "whatsapp",
        "Anna Colombo",
        customer.pk,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_repeated_inbound_message_is_a_conflict(agent_api, customer):
    case = make_case(customer)
    body = {"body": "Ecco la foto", "channel": "email", "external_id": "<abc@example.it>"}
    assert agent_api.post(f"/api/v1/cases/{case.pk}/inbound", body).status_code == 201
    response = agent_api.post(f"/api/v1/cases/{case.pk}/inbound", body)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "A message with this external_id was already recorded on this channel."
    }
    assert Message.objects.filter(case=case).count() == 2


def test_an_inbound_message_on_a_closed_case_lands_in_a_follow_up(agent_api, agent, customer):
    case = make_case(customer)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    response = agent_api.post(f"/api/v1/cases/{case.pk}/inbound", {"body": "Scrivo di nuovo"})
    assert response.status_code == 201, response.content
    follow_up_id = response.json()["case_id"]
    assert follow_up_id != case.pk
    assert agent_api.get(f"/api/v1/cases/{follow_up_id}").json()["status"] == "new"
    assert agent_api.get(f"/api/v1/cases/{follow_up_id}").json()["follow_up_of_id"] == case.pk
