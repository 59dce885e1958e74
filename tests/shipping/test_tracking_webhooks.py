"""Tracking webhooks: each provider's signature (good, wrong, missing, tampered), replays accepted
once, raw bodies kept, events normalised and recorded by the state rules. The payloads have the
shapes of the providers' documented examples (tests/fixtures/tracking/)."""

import copy
import datetime
import json
import time
from pathlib import Path

import pytest
from django.utils import timezone, translation

from premura.core.clock import frozen_at
from premura.shipping import ingest
from premura.shipping.adapters import aftership, easypost, generic
from premura.shipping.models import (
    DeliveryStatus,
    ExceptionReason,
    Shipment,
    TrackingCode,
    TrackingDelivery,
    TrackingEvent,
    TrackingSource,
    TrackingStatus,
)
from tests.factories.shipping import CarrierFactory, ShipmentFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tracking"
SECRET = "s3cret-wébhook"  # not ASCII: EasyPost's key is NFKD-normalised UTF-8
FIXTURE_FILES = {
    "aftership": "aftership_tracking_update.json",
    "shippo": "shippo_track_updated.json",
    "easypost": "easypost_tracker_updated.json",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def shipment(db) -> Shipment:
    return ShipmentFactory(tracking_number="084000000001", status=TrackingStatus.PENDING, shipped_at=None)


def make_source(provider: str, secret: str = SECRET) -> TrackingSource:
    source = TrackingSource(provider=provider, name=f"{provider} account", slug=f"{provider}-shop")
    source.secret = secret
    source.save()
    return source


def payload(provider: str) -> dict:
    return json.loads((FIXTURES / FIXTURE_FILES[provider]).read_text())


def signed(
    provider: str, body: bytes, secret: str = SECRET, *, timestamp: int | None = None
) -> tuple[dict, str]:
    """(headers, query string) the provider sends with `body`."""
    if provider == "aftership":
        return {aftership.SIGNATURE_HEADER: aftership.sign(body, secret)}, ""
    if provider == "easypost":
        return {easypost.SIGNATURE_HEADER: easypost.sign(body, secret)}, ""
    if provider == "shippo":
        return {}, f"?token={secret}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        generic.TIMESTAMP_HEADER: str(timestamp),
        generic.SIGNATURE_HEADER: generic.sign(body, secret, timestamp),
    }, ""


def post(client, provider: str, body: bytes, headers: dict, query: str = "", slug: str = ""):
    return client.post(
        f"/api/v1/tracking/webhooks/{provider}/{slug or provider + '-shop'}{query}",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def generic_body(*events: dict, event_id: str = "batch-1") -> bytes:
    return json.dumps({"event_id": event_id, "events": list(events)}).encode()


def event(code: str, hour: int, **fields) -> dict:
    occurred = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC) + datetime.timedelta(hours=hour)
    return {"tracking_number": "084000000001", "occurred_at": occurred.isoformat(), "code": code, **fields}


def nothing_stored() -> bool:
    return not TrackingDelivery.objects.exists() and not TrackingEvent.objects.exists()


# --- Signatures ----------------------------------------------------------------------------------

EXPECTED = {
    # provider: [(status, raw code)] of the fixture's events, then the shipment's status
    "aftership": ([("info_received", "DATI RICEVUTI"), ("in_transit", "PARTITA")], "in_transit"),
    "shippo": ([("info_received", "information_received"), ("in_transit", "package_departed")], "in_transit"),
    "easypost": ([("info_received", "M"), ("in_transit", "I")], "in_transit"),
}


@pytest.mark.parametrize("provider", ["aftership", "shippo", "easypost"])
def test_a_signed_delivery_is_stored_raw_and_its_events_recorded(client, shipment, provider):
    make_source(provider)
    body = json.dumps(payload(provider)).encode()
    headers, query = signed(provider, body)
    response = post(client, provider, body, headers, query)
    assert response.status_code == 200, response.content
    delivery = TrackingDelivery.objects.get()
    assert response.json() == {
        "delivery_id": delivery.pk,
        "duplicate": False,
        "status": "processed",
        "events_recorded": 2,
    }
    assert bytes(delivery.body) == body
    assert delivery.status == DeliveryStatus.PROCESSED
    events, status = EXPECTED[provider]
    assert [(e.status, e.raw_code) for e in TrackingEvent.objects.order_by("occurred_at")] == events
    shipment.refresh_from_db()
    assert shipment.status == status


@pytest.mark.parametrize("provider", ["aftership", "shippo", "easypost", "generic"])
def test_a_wrong_signature_is_refused_and_nothing_stored(client, shipment, provider):
    make_source(provider)
    body = (
        generic_body(event("PARTITA", 1)) if provider == "generic" else json.dumps(payload(provider)).encode()
    )
    headers, query = signed(provider, body, secret="not-the-secret")
    response = post(client, provider, body, headers, query)
    assert response.status_code == 401
    assert response.json() == {"detail": "The request is not signed with this source's secret."}
    assert nothing_stored()


@pytest.mark.parametrize("provider", ["aftership", "shippo", "easypost", "generic"])
def test_a_missing_signature_is_refused_and_nothing_stored(client, shipment, provider):
    make_source(provider)
    body = (
        generic_body(event("PARTITA", 1)) if provider == "generic" else json.dumps(payload(provider)).encode()
    )
    response = post(client, provider, body, {})
    assert response.status_code == 401
    assert nothing_stored()


@pytest.mark.parametrize("provider", ["aftership", "easypost", "generic"])
def test_a_tampered_body_is_refused_and_nothing_stored(client, shipment, provider):
    """Shippo's token signs no body (it is not in this list): HTTPS protects its bodies."""
    make_source(provider)
    if provider == "generic":
        body = generic_body(event("PARTITA", 1))
        tampered = generic_body(event("CONSEGNATA", 1))
    else:
        body = json.dumps(payload(provider)).encode()
        tampered = body.replace(b"084000000001", b"084000000002")
    headers, query = signed(provider, body)
    response = post(client, provider, tampered, headers, query)
    assert response.status_code == 401
    assert nothing_stored()


@pytest.mark.parametrize("provider", ["aftership", "shippo", "easypost", "generic"])
def test_a_replayed_event_is_accepted_once(client, shipment, provider):
    make_source(provider)
    body = (
        generic_body(event("PARTITA", 1)) if provider == "generic" else json.dumps(payload(provider)).encode()
    )
    headers, query = signed(provider, body)
    first = post(client, provider, body, headers, query)
    again = post(client, provider, body, headers, query)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["delivery_id"] == first.json()["delivery_id"]
    assert TrackingDelivery.objects.count() == 1
    assert TrackingEvent.objects.count() == first.json()["events_recorded"]


def test_a_provider_resending_the_history_under_a_new_event_id_stores_each_scan_once(client, shipment):
    make_source("aftership")
    first = payload("aftership")
    second = copy.deepcopy(first)
    second["event_id"] = "another-event"
    second["msg"]["checkpoints"].append(
        {
            **first["msg"]["checkpoints"][1],
            "checkpoint_time": "2026-03-03T09:00:00+01:00",
            "tag": "Delivered",
            "subtag": "Delivered_001",
            "message": "Consegnata",
            "raw_tag": "CONSEGNATA",
        }
    )
    for body in (json.dumps(first).encode(), json.dumps(second).encode()):
        response = post(client, "aftership", body, signed("aftership", body)[0])
        assert response.status_code == 200
    assert [e.raw_code for e in TrackingEvent.objects.order_by("occurred_at")] == [
        "DATI RICEVUTI",
        "PARTITA",
        "CONSEGNATA",
    ]
    shipment.refresh_from_db()
    assert shipment.status == TrackingStatus.DELIVERED


def test_the_easypost_key_is_normalised_nfkd(client, shipment):
    """EasyPost normalises the secret (NFKD) before it signs: "ﬁ" (one ligature) signs as "fi"."""
    make_source("easypost", secret="ﬁle-secret")
    body = json.dumps(payload("easypost")).encode()
    response = post(client, "easypost", body, signed("easypost", body, secret="file-secret")[0])
    assert response.status_code == 200


def test_an_unknown_source_or_another_providers_path_is_404(client, shipment):
    make_source("aftership")
    body = json.dumps(payload("aftership")).encode()
    headers, _query = signed("aftership", body)
    assert post(client, "aftership", body, headers, slug="nobody").status_code == 404
    assert post(client, "easypost", body, headers, slug="aftership-shop").status_code == 404
    assert nothing_stored()


def test_an_inactive_source_is_404(client, shipment):
    source = make_source("aftership")
    TrackingSource.objects.filter(pk=source.pk).update(is_active=False)
    body = json.dumps(payload("aftership")).encode()
    assert post(client, "aftership", body, signed("aftership", body)[0]).status_code == 404


def test_a_body_over_the_cap_is_refused_before_it_is_read(client, shipment, settings):
    settings.TRACKING_WEBHOOK_MAX_BYTES = 100
    make_source("aftership")
    body = json.dumps(payload("aftership")).encode()
    response = post(client, "aftership", body, signed("aftership", body)[0])
    assert response.status_code == 413
    assert nothing_stored()


def test_the_secret_is_stored_encrypted(db):
    source = make_source("aftership", secret="plain-secret-1234")
    stored = TrackingSource.objects.values_list("secret_encrypted", flat=True).get(pk=source.pk)
    assert "plain-secret-1234" not in stored
    assert TrackingSource.objects.get(pk=source.pk).secret == "plain-secret-1234"


# --- The generic endpoint's replay window --------------------------------------------------------


@pytest.mark.parametrize(("offset", "accepted"), [(-299, True), (299, True), (-301, False), (301, False)])
def test_the_generic_timestamp_must_be_within_five_minutes(client, shipment, offset, accepted):
    make_source("generic")
    body = generic_body(event("PARTITA", 1))
    now = timezone.now().replace(microsecond=0)  # our clock held still: a slow machine cannot tip 299 s over
    headers, _query = signed("generic", body, timestamp=int(now.timestamp()) + offset)
    with frozen_at(now):
        response = post(client, "generic", body, headers)
    assert response.status_code == (200 if accepted else 401)
    assert TrackingDelivery.objects.exists() is accepted


def test_a_fresh_timestamp_on_an_old_signature_is_refused(client, shipment):
    """The timestamp is signed with the body: replaying a captured request with a new one fails."""
    make_source("generic")
    body = generic_body(event("PARTITA", 1))
    headers, _query = signed("generic", body, timestamp=int(time.time()) - 3600)
    headers[generic.TIMESTAMP_HEADER] = str(int(time.time()))
    assert post(client, "generic", body, headers).status_code == 401
    assert nothing_stored()


# --- Raw first: nothing signed is lost ---------------------------------------------------------


def test_a_signed_body_that_does_not_parse_is_kept_with_the_reason(client, shipment):
    make_source("generic")
    body = b'{"event_id": "x1", "events": [{"tracking_number": "084000000001"}]}'
    response = post(client, "generic", body, signed("generic", body)[0])
    assert response.status_code == 200
    delivery = TrackingDelivery.objects.get()
    assert (delivery.status, bytes(delivery.body)) == (DeliveryStatus.FAILED, body)
    assert "events.0.occurred_at: Field required" in delivery.error
    assert not TrackingEvent.objects.exists()


def test_events_for_an_unknown_parcel_wait_in_the_delivery_until_processed_again(client, db):
    make_source("generic")
    body = generic_body(event("PARTITA", 1))
    post(client, "generic", body, signed("generic", body)[0])
    delivery = TrackingDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.FAILED,
        "No shipment with tracking number 084000000001",
    )
    ShipmentFactory(tracking_number="084000000001", status=TrackingStatus.PENDING)
    from premura.shipping.ingest import process_delivery

    delivery = process_delivery(delivery.pk)
    assert (delivery.status, delivery.error, delivery.events_recorded) == (DeliveryStatus.PROCESSED, "", 1)


def test_a_tracking_number_of_two_carriers_goes_to_the_one_named(client, shipment):
    ShipmentFactory(tracking_number="084000000001", carrier=CarrierFactory(code="gls", name="GLS"))
    make_source("generic")
    body = generic_body(event("CONSEGNATA", 1, carrier="gls"))
    post(client, "generic", body, signed("generic", body)[0])
    gls = Shipment.objects.get(carrier__code="gls")
    assert (gls.status, shipment.events.count()) == (TrackingStatus.DELIVERED, 0)


# --- Normalisation and state rules ---------------------------------------------------------------


def test_out_of_order_and_duplicate_events_never_move_the_shipment_back(client, shipment):
    make_source("generic")
    deliveries = [
        generic_body(event("IN CONSEGNA", 5, id="e3"), event_id="d1"),
        generic_body(event("PARTITA", 1, id="e2"), event("IN CONSEGNA", 5, id="e3"), event_id="d2"),
    ]
    for body in deliveries:
        assert post(client, "generic", body, signed("generic", body)[0]).status_code == 200
    shipment.refresh_from_db()
    assert shipment.status == TrackingStatus.OUT_FOR_DELIVERY
    assert sorted(TrackingEvent.objects.values_list("external_id", flat=True)) == ["generic:e2", "generic:e3"]


def test_an_event_dated_in_the_future_is_not_recorded_and_does_not_freeze_the_shipment(client, shipment):
    """A sender's clock error (a year 2062, a date a week ahead) recorded as the latest scan would
    make every real scan after it out of order: the shipment could never move again."""
    make_source("generic")
    received = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    with frozen_at(received):
        ahead = event("CONSEGNATA", 24 * 7, id="bad")  # a week after 2 March 08:00
        body = generic_body(event("PARTITA", 1, id="e1"), ahead, event_id="d1")
        response = post(
            client, "generic", body, signed("generic", body, timestamp=int(received.timestamp()))[0]
        )
    assert response.json()["status"] == "failed"
    delivery = TrackingDelivery.objects.get()
    assert (
        delivery.error == "Events dated more than a day ahead, not recorded, of tracking number 084000000001"
    )
    assert list(TrackingEvent.objects.values_list("external_id", flat=True)) == ["generic:e1"]
    received = datetime.datetime(2026, 3, 2, 14, tzinfo=datetime.UTC)
    with frozen_at(received):
        body = generic_body(event("IN CONSEGNA", 10, id="e2"), event_id="d2")  # hours ahead: a clock
        headers = signed("generic", body, timestamp=int(received.timestamp()))[0]
        assert post(client, "generic", body, headers).json()["status"] == "processed"
    shipment.refresh_from_db()
    assert shipment.status == TrackingStatus.OUT_FOR_DELIVERY


def test_control_characters_in_identifiers_fail_the_delivery_with_the_reason(client, shipment):
    """A NUL cannot be stored by PostgreSQL: the event id and the identifiers of an event are
    refused, descriptions made one line; the raw body is kept either way."""
    make_source("generic")
    body = generic_body(event("PARTITA\x00", 1), event_id="d\x00")
    assert post(client, "generic", body, signed("generic", body)[0]).status_code == 200
    delivery = TrackingDelivery.objects.get()
    assert (delivery.event_id, bytes(delivery.body)) == ("d", body)
    assert delivery.error == (
        "event_id: Value error, must be one line, without control characters; "
        "events.0.code: Value error, must be one line, without control characters"
    )
    body = generic_body(event("PARTITA", 1, description="Partita\x00\nda Bologna"), event_id="d2")
    assert post(client, "generic", body, signed("generic", body)[0]).json()["status"] == "processed"
    assert TrackingEvent.objects.get().raw_description == "Partita da Bologna"


def test_aftership_text_with_control_characters_is_stored_as_one_line(client, shipment):
    make_source("aftership")
    data = payload("aftership")
    data["event_id"] = "evt\x00-1"
    data["msg"]["checkpoints"][0]["message"] = "Dati\x00 ricevuti\r\n"
    body = json.dumps(data).encode()
    assert post(client, "aftership", body, signed("aftership", body)[0]).status_code == 200
    delivery = TrackingDelivery.objects.get()
    assert delivery.event_id == "evt -1" and delivery.status == DeliveryStatus.PROCESSED
    assert "Dati ricevuti" in TrackingEvent.objects.values_list("raw_description", flat=True)


def test_a_return_after_delivery_moves_the_shipment_into_the_return(client, shipment):
    make_source("generic")
    for body in (
        generic_body(event("CONSEGNATA", 5), event_id="d1"),
        generic_body(event("IN TRANSITO", 3), event_id="d2"),  # late scan: delivered stays
        generic_body(event("RESA AL MITTENTE", 30), event_id="d3"),  # the return starts
        generic_body(event("CONSEGNATA", 40), event_id="d4"),  # delivered back to the shop: still a return
    ):
        post(client, "generic", body, signed("generic", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == (
        TrackingStatus.EXCEPTION,
        ExceptionReason.RETURNED,
    )
    assert shipment.delivered_at == datetime.datetime(2026, 3, 2, 13, tzinfo=datetime.UTC)


def test_delivered_stays_delivered_after_a_late_scan(client, shipment):
    make_source("generic")
    for body in (
        generic_body(event("CONSEGNATA", 5), event_id="d1"),
        generic_body(event("GIACENTE", 9), event_id="d2"),
    ):
        post(client, "generic", body, signed("generic", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == (TrackingStatus.DELIVERED, "")


def test_the_shipments_exception_reason_follows_its_state(client, shipment):
    make_source("generic")
    for body in (generic_body(event("IN GIACENZA", 2), event_id="d1"),):
        post(client, "generic", body, signed("generic", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == (TrackingStatus.EXCEPTION, ExceptionReason.DELAY)
    body = generic_body(event("IN CONSEGNA", 6), event_id="d2")
    post(client, "generic", body, signed("generic", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == (TrackingStatus.OUT_FOR_DELIVERY, "")


def test_an_unknown_code_is_kept_raw_listed_and_mapped_by_an_administrator(client, shipment):
    make_source("generic")
    for body in (
        generic_body(event("XZ-77", 1, description="Anomalia in filiale"), event_id="d1"),
        generic_body(event("XZ-77", 2, status="exception", description="Anomalia"), event_id="d2"),
    ):
        post(client, "generic", body, signed("generic", body)[0])
    first, second = TrackingEvent.objects.order_by("occurred_at")
    # Nothing says what it is: a scan (in transit); the sender said exception: exception, unknown.
    assert (first.status, first.exception_reason, first.raw_code) == ("in_transit", "", "XZ-77")
    assert (second.status, second.exception_reason) == ("exception", "unknown")
    code = TrackingCode.objects.get()
    assert (code.scheme, code.code, code.seen_count, code.description, code.is_mapped) == (
        "brt",
        "XZ-77",
        2,
        "Anomalia",
        False,
    )
    TrackingCode.objects.filter(pk=code.pk).update(status="exception", exception_reason="damaged")
    body = generic_body(event("xz-77", 3), event_id="d3")
    post(client, "generic", body, signed("generic", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == ("exception", "damaged")
    assert TrackingCode.objects.get().seen_count == 2


def test_an_unknown_aftership_exception_subtag_is_exception_unknown_and_listed(client, shipment):
    make_source("aftership")
    data = payload("aftership")
    data["msg"]["checkpoints"][1].update(tag="Exception", subtag="Exception_099", raw_tag="")
    body = json.dumps(data).encode()
    post(client, "aftership", body, signed("aftership", body)[0])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_reason) == ("exception", "unknown")
    assert list(TrackingCode.objects.values_list("scheme", "code", "seen_count")) == [
        ("aftership", "Exception_099", 1)
    ]


# --- The API document ----------------------------------------------------------------------------


def test_the_openapi_document_lists_the_webhooks_and_their_signature_headers(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    expected = {
        "aftership": ("header", "aftership-hmac-sha256"),
        "easypost": ("header", "X-Hmac-Signature"),
        "generic": ("header", "X-Premura-Signature"),
        "shippo": ("query", "token"),
    }
    for provider, (place, name) in expected.items():
        operation = paths[f"/api/v1/tracking/webhooks/{provider}/{{slug}}"]["post"]
        assert {(p["in"], p["name"]) for p in operation["parameters"]} >= {(place, name)}
        assert operation.get("security") == [] or "security" not in operation
        assert set(operation["responses"]) == {"200", "401", "404", "413", "503"}


def test_a_secret_no_key_opens_answers_503_so_the_provider_retries(client, shipment, settings, caplog):
    """SECRET_KEY replaced without the old one as a fallback: the signature cannot be checked, so
    nothing is stored and the provider is told to try again later (it keeps the event)."""
    make_source("aftership")
    body = json.dumps(payload("aftership")).encode()
    headers, _query = signed("aftership", body)
    settings.SECRET_KEY = "a-new-installation-secret-key-0123456789-abcdefghijklmnopqrs"
    response = post(client, "aftership", body, headers)
    assert response.status_code == 503, response.content
    assert "enter it again" in response.json()["detail"]
    assert nothing_stored()
    assert "aftership-shop: its secret cannot be decrypted" in caplog.text


def test_a_signed_body_nested_too_deeply_is_kept_failed_and_holds_up_nothing(client, shipment, caplog):
    """JSON nested 100,000 deep is a RecursionError in the parser: it was a 500 and a row retried
    every five minutes ahead of the others. Now it is a failed delivery with the reason."""
    make_source("generic")
    deep = b"[" * 100_000 + b"]" * 100_000
    headers, _query = signed("generic", deep)
    response = post(client, "generic", deep, headers)
    assert response.status_code == 200, response.content[:300]
    delivery = TrackingDelivery.objects.get()
    assert (delivery.status, delivery.error) == ("failed", "The body is JSON nested too deeply to read")
    assert bytes(delivery.body) == deep


def test_an_unexpected_error_fails_the_delivery_and_the_sweep_goes_on(client, shipment, monkeypatch, caplog):
    make_source("generic")
    first = generic_body(event("PARTITA", 9), event_id="first")
    second = generic_body(event("PARTITA", 10), event_id="second")
    for minutes, body in ((11, first), (10, second)):
        TrackingDelivery.objects.create(
            source=TrackingSource.objects.get(), event_id=json.loads(body)["event_id"], body=body,
            received_at=timezone.now() - datetime.timedelta(minutes=minutes),
        )  # fmt: skip
    real, calls = ingest.record_parsed_events, []

    def broken_once(events):
        calls.append(events)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(events)

    monkeypatch.setattr(ingest, "record_parsed_events", broken_once)
    assert ingest.process_stalled() == 2
    statuses = dict(TrackingDelivery.objects.values_list("event_id", "status"))
    assert statuses == {"first": "failed", "second": "processed"}
    assert TrackingDelivery.objects.get(event_id="first").error == "RuntimeError: a bug"
    assert "tracking delivery" in caplog.text
