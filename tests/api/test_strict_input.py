"""Strict input at the edge (premura.api.schemas): what used to be ignored, guessed or answered
with a 500 or a 409 is a 422 naming the field, and nothing is written."""

import pytest
from django.test import Client

from premura.conversations.models import Case
from premura.customers.models import Customer
from premura.shipping.models import Shipment
from tests.api.conftest import row_counts
from tests.api.test_orders import order_body
from tests.api.test_shipments import event_body
from tests.factories.conversations import make_case


def refused(response, field: str) -> dict:
    assert response.status_code == 422, response.content
    data = response.json()
    assert field in [error["field"] for error in data["errors"]], data
    assert data["detail"].startswith(f"{field}: ") or f"; {field}: " in data["detail"], data
    return data


def test_an_unknown_field_in_a_patch_is_refused_and_changes_nothing(agent_api, customer):
    response = agent_api.patch(f"/api/v1/customers/{customer.pk}", {"tier": "vip", "language": "en"})
    data = refused(response, "body.tier")
    assert data["errors"] == [
        {
            "field": "body.tier",
            "message": "Unknown field: it is not part of this request",
            "type": "extra_forbidden",
        }
    ]
    customer.refresh_from_db()
    assert (customer.tier, customer.language) == ("standard", "it")


def test_an_unknown_field_in_a_nested_object_is_refused(agent_api, customer):
    before = row_counts()
    body = order_body(customer.pk)
    body["address"]["floor"] = "3"
    refused(agent_api.post("/api/v1/orders", body), "body.address.floor")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": True}, "body.customer_id"),
        ({"customer_id": "7"}, "body.customer_id"),
        ({"customer_id": 7.5}, "body.customer_id"),
        ({"customer_id": 2**70}, "body.customer_id"),
        ({"customer_id": 0}, "body.customer_id"),
        ({"order_id": True}, "body.order_id"),
        ({"subject": "x" * 201}, "body.subject"),
        ({"body": "x" * 50_001}, "body.body"),
        ({"subject": "Ciao\x00"}, "body.subject"),
    ],
)
def test_a_case_with_loose_types_or_no_bounds_is_refused(agent_api, customer, body, field):
    payload = {"customer_id": customer.pk, "subject": "Ciao", "body": "Ciao", **body}
    refused(agent_api.post("/api/v1/cases", payload), field)
    assert not Case.objects.exists()


def test_a_message_body_has_a_cap_and_a_flag_is_a_boolean(agent_api, customer):
    case = make_case(customer)
    refused(agent_api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "x" * 50_001}), "body.body")
    refused(
        agent_api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "Ok", "internal": 1}), "body.internal"
    )
    assert case.messages.count() == 1
    response = agent_api.post(f"/api/v1/cases/{case.pk}/messages", {"body": "x" * 50_000, "internal": True})
    assert response.status_code == 201


def test_a_null_status_in_a_patch_is_refused(agent_api, customer):
    case = make_case(customer)
    refused(agent_api.patch(f"/api/v1/cases/{case.pk}", {"status": None}), "body.status")


def test_a_tracking_event_dated_9999_is_refused_and_the_shipment_keeps_its_state(agent_api, anna_order):
    shipment = Shipment.objects.get(order=anna_order)
    status, last_event_at = shipment.status, shipment.last_event_at
    before = row_counts()
    data = refused(
        agent_api.post(
            f"/api/v1/shipments/{shipment.pk}/events", event_body(occurred_at="9999-12-31T23:59:59+00:00")
        ),
        "body.occurred_at",
    )
    assert data["errors"][0]["message"] == "the date is in the future"
    assert data["errors"][0]["type"] == "domain_rule"
    assert row_counts() == before
    shipment.refresh_from_db()
    assert (shipment.status, shipment.last_event_at) == (status, last_event_at)


@pytest.mark.parametrize(
    "shipped_at",
    ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z", 1700000000, "9999-12-31T23:59:59-14:00"],
)
def test_a_shipment_dated_outside_the_window_is_refused(agent_api, bruno_order, shipped_at):
    before = row_counts()
    body = {"order_id": bruno_order.pk, "carrier": "brt", "tracking_number": "X1", "shipped_at": shipped_at}
    refused(agent_api.post("/api/v1/shipments", body), "body.shipped_at")
    assert row_counts() == before


def test_a_promised_date_more_than_a_year_ahead_is_refused(agent_api, bruno_order):
    body = {
        "order_id": bruno_order.pk,
        "carrier": "brt",
        "tracking_number": "X1",
        "promised_delivery_date": "2999-01-01",
    }
    refused(agent_api.post("/api/v1/shipments", body), "body.promised_delivery_date")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 2**70}, "body.lines.0.quantity"),
        ({"quantity": 100_001}, "body.lines.0.quantity"),
        ({"quantity": "2"}, "body.lines.0.quantity"),
        ({"unit_price": 24.95}, "body.lines.0.unit_price"),
        ({"unit_price": "24.951"}, "body.lines.0.unit_price"),
        ({"unit_price": "NaN"}, "body.lines.0.unit_price"),
    ],
)
def test_an_order_line_out_of_bounds_is_refused(agent_api, customer, line, field):
    before = row_counts()
    body = order_body(customer.pk)
    body["lines"][0].update(line)
    refused(agent_api.post("/api/v1/orders", body), field)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/cases", {"offset": 2**70}, "query.offset"),
        ("/api/v1/customers", {"offset": 2**70}, "query.offset"),
        ("/api/v1/cases", {"team": 2**70}, "query.team"),
        ("/api/v1/cases", {"owner": str(2**70)}, "query.owner"),
        ("/api/v1/orders", {"customer": -(10**20)}, "query.customer"),
        ("/api/v1/shipments", {"order": 10**30}, "query.order"),
        ("/api/v1/cases", {"q": "moka\x00"}, "query.q"),
    ],
)
def test_query_integers_are_bounded(agent_api, path, params, field):
    refused(agent_api.get(path, params), field)


@pytest.mark.parametrize("raw", ["", "{", "0.0", "[]", '"text"', '{"full_name": NaN}', "\x00", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_422_on_body(agent_api, customer, raw):
    response = agent_api.client.patch(
        f"/api/v1/customers/{customer.pk}", raw, content_type="application/json", **agent_api.headers
    )
    if raw == "":
        refused(response, "body")
        return
    assert response.status_code == 422
    assert response.json() == {
        "detail": "body: The body must be one JSON object.",
        "errors": [{"field": "body", "message": "The body must be one JSON object.", "type": "json_invalid"}],
    }


def test_quiet_hours_are_local_times_without_an_offset(agent_api, customer):
    refused(
        agent_api.patch(
            f"/api/v1/customers/{customer.pk}", {"quiet_hours_start": "22:00Z", "quiet_hours_end": "07:00"}
        ),
        "body.quiet_hours_start",
    )
    response = agent_api.patch(
        f"/api/v1/customers/{customer.pk}", {"quiet_hours_start": "22:00", "quiet_hours_end": "07:30:00"}
    )
    assert response.status_code == 200
    assert (response.json()["quiet_hours_start"], response.json()["quiet_hours_end"]) == (
        "22:00:00",
        "07:30:00",
    )
    customer.refresh_from_db()
    assert str(customer.quiet_hours_end) == "07:30:00"


def test_a_customer_with_a_numeric_consent_is_refused(agent_api):
    refused(
        agent_api.post("/api/v1/customers", {"full_name": "Carla", "marketing_consent": 0}),
        "body.marketing_consent",
    )
    assert not Customer.objects.exists()


def test_the_cases_list_counts_to_999_and_says_so(agent_api, customer, settings):
    from premura.api import pagination

    for n in range(4):
        make_case(customer, subject=f"Caso {n}")
    data = agent_api.get("/api/v1/cases", {"view": "all", "limit": 2}).json()
    assert (data["count"], data["count_is_capped"], len(data["items"])) == (4, False, 2)
    original = pagination.COUNT_CAP
    pagination.COUNT_CAP = 3
    try:
        data = agent_api.get("/api/v1/cases", {"view": "all", "limit": 2, "offset": 2}).json()
    finally:
        pagination.COUNT_CAP = original
    assert (data["count"], data["count_is_capped"], len(data["items"])) == (3, True, 2)


def test_counting_the_cases_reads_at_most_cap_plus_one_rows(agent_api, customer, django_assert_num_queries):
    make_case(customer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert agent_api.get("/api/v1/cases", {"view": "all"}).status_code == 200
    [count] = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert "LIMIT 1000" in count


def test_the_default_language_of_errors_is_english_even_on_an_italian_site(db, settings):
    settings.LANGUAGE_CODE = "it"
    response = Client().get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing API token: send 'Authorization: Bearer <token>'."}
    assert response["Content-Language"] == "en"
