"""A case's SLA deadlines through the API: the three deadlines, the earliest, whether the clock is
paused and the policy's name, on the case and in the list without a query per row."""

import datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from premura.conversations import services
from premura.core.clock import frozen_at
from tests.factories.conversations import make_case
from tests.factories.sla import MONDAY_9, make_office_policy, rome

SLA_FIELDS = (
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "sla_due_at",
    "sla_paused",
    "sla_policy",
)


def sla_of(data: dict) -> tuple:
    return tuple(data[field] for field in SLA_FIELDS)


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def test_a_case_shows_its_running_deadlines_and_its_policy(db, agent_api, customer):
    make_office_policy()
    with frozen_at(MONDAY_9):
        case = make_case(customer)
    data = agent_api.get(f"/api/v1/cases/{case.pk}").json()
    # 4 business hours from Monday 9:00 is 13:00; 16 from Monday 9:00 is Tuesday 16:00.
    first, resolution = rome(2026, 12, 7, 13), rome(2026, 12, 8, 16)
    assert sla_of(data) == (iso(first), None, iso(resolution), iso(first), False, "Standard")


def test_a_case_waiting_on_the_customer_shows_its_clock_paused_and_no_deadline(db, agent_api, customer):
    make_office_policy()
    with frozen_at(MONDAY_9):
        case = make_case(customer)
    with frozen_at(MONDAY_9 + datetime.timedelta(hours=1)):
        services.change_status(case, "waiting_on_customer")
    data = agent_api.get(f"/api/v1/cases/{case.pk}").json()
    assert sla_of(data) == (None, None, None, None, True, "Standard")
    [listed] = agent_api.get("/api/v1/cases", {"view": "all"}).json()["items"]
    assert sla_of(listed) == (None, None, None, None, True, "Standard")


def test_a_case_no_policy_applies_to_has_no_sla(db, agent_api, customer):
    case = make_case(customer)
    assert sla_of(agent_api.get(f"/api/v1/cases/{case.pk}").json()) == (None,) * 6
    response = agent_api.patch(f"/api/v1/cases/{case.pk}", {"priority": "high"})
    assert sla_of(response.json()) == (None,) * 6


def test_the_list_reads_the_clocks_and_policies_in_the_same_queries_for_any_number_of_cases(
    db, agent_api, customer
):
    make_office_policy()

    def listing() -> tuple[list, int]:
        with CaptureQueriesContext(connection) as queries:
            response = agent_api.get("/api/v1/cases", {"view": "all"})
        assert response.status_code == 200
        return response.json()["items"], len(queries.captured_queries)

    with frozen_at(MONDAY_9):
        make_case(customer)
    listing()  # the first request also reads what a process keeps (the token's last use...)
    items, few = listing()
    assert [item["sla_policy"] for item in items] == ["Standard"]
    with frozen_at(MONDAY_9):
        for _n in range(5):
            make_case(customer)
    items, many = listing()
    assert [item["sla_policy"] for item in items] == ["Standard"] * 6
    assert many == few


def test_the_schema_documents_the_sla_fields_of_a_case(db):
    schemas = Client().get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("CaseOut", "CaseDetailOut"):
        properties = schemas[name]["properties"]
        assert set(SLA_FIELDS) <= set(properties), name
        assert set(SLA_FIELDS) <= set(schemas[name]["required"]), name
        for field in SLA_FIELDS:
            assert properties[field].get("description"), (name, field)
