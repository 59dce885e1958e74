"""`premura import_tracking`: bad rows reported by line and skipped, the rest imported, and an
interrupted import resumed without recording a row twice."""

import io
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from premura.shipping import imports
from premura.shipping.models import TrackingEvent, TrackingImport, TrackingStatus
from tests.factories.shipping import ShipmentFactory

CSV = """tracking_number,carrier,occurred_at,code,status,description,location,id
084000000001,brt,2026-03-02T09:00:00+01:00,DATI RICEVUTI,,Dati ricevuti,Bologna,a1
084000000001,brt,2026-03-02T19:30:00+01:00,PARTITA,,Partita,Bologna,a2
084000000001,brt,not a date,PARTITA,,,,a3
084000000009,brt,2026-03-02T19:30:00+01:00,PARTITA,,,,a4
084000000002,brt,2026-03-03T10:00:00+01:00,CONSEGNATA,,Consegnata,Roma,b1
084000000002,brt,2026-03-03T09:00:00+01:00,IN CONSEGNA,in_transit_typo,,Roma,b2
"""


@pytest.fixture
def shipments(db):
    return [
        ShipmentFactory(tracking_number="084000000001", status=TrackingStatus.PENDING, shipped_at=None),
        ShipmentFactory(tracking_number="084000000002", status=TrackingStatus.PENDING, shipped_at=None),
    ]


def run(path, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tracking", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_bad_rows_are_reported_by_line_and_the_rest_imported(tmp_path, shipments):
    path = tmp_path / "events.csv"
    path.write_text(CSV)
    out, err = run(path)
    assert err.splitlines() == [
        "line 4: occurred_at: Input should be a valid datetime or date, invalid character in year",
        "line 5: no shipment with tracking number 084000000009",
        "line 7: status: Input should be 'pending', 'info_received', 'in_transit', 'out_for_delivery', "
        "'available_for_pickup', 'attempt_fail', 'exception', 'expired' or 'delivered'",
    ]
    assert out.splitlines() == ["Imported 3 events (0 already recorded), 3 bad rows."]
    first, second = shipments
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED)
    checkpoint = TrackingImport.objects.get()
    assert (checkpoint.last_line, checkpoint.imported_count, checkpoint.bad_count) == (7, 3, 3)
    assert checkpoint.finished_at is not None
    assert run(path)[0] == "events.csv was imported already (3 events).\n"


def test_an_interrupted_import_resumes_after_the_last_committed_batch(tmp_path, shipments):
    path = tmp_path / "events.jsonl"
    rows = [
        {
            "tracking_number": "084000000001",
            "occurred_at": f"2026-03-02T1{hour}:00:00+01:00",
            "code": "PARTITA",
        }
        for hour in range(6)
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    real = imports.ingest.record_parsed_events
    calls = []

    def interrupted(events):
        calls.append(len(events))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(events)

    with (
        mock.patch.object(imports.ingest, "record_parsed_events", interrupted),
        pytest.raises(KeyboardInterrupt),
    ):
        run(path, batch_size=2)
    assert TrackingEvent.objects.count() == 2
    assert TrackingImport.objects.get().last_line == 2
    out, err = run(path, batch_size=2)
    assert out.splitlines() == [
        "Resumed after line 2.",
        "Imported 4 events (0 already recorded), 0 bad rows.",
    ]
    assert err == ""
    assert TrackingEvent.objects.count() == 6


def test_an_unknown_format_or_a_missing_file_is_an_error(tmp_path, db):
    path = tmp_path / "events.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="say --format csv or jsonl"):
        run(path)
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv")


def test_a_json_line_nested_too_deeply_is_a_bad_row_not_the_end_of_the_import(tmp_path, shipments):
    good = {"tracking_number": shipments[0].tracking_number, "carrier": "brt", "status": "in_transit",
            "code": "IN TRANSITO", "occurred_at": "2026-03-02T09:00:00+01:00"}  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n" + json.dumps(good) + "\n")
    out, err = run(path)
    assert err.splitlines() == ["line 1: not JSON: nested too deeply to read"]
    assert out.splitlines() == ["Imported 1 events (0 already recorded), 1 bad rows."]


def test_a_file_saved_in_another_encoding_is_reported_by_line_and_read_again_with_encoding(
    tmp_path, shipments
):
    """An Excel export on Windows is cp1252: read as UTF-8, the row with "Città" is a bad row with
    a hint, the others are imported; read again with --encoding cp1252 (another import of the same
    file), that row is imported and the others are duplicates."""
    first, second = shipments
    path = tmp_path / "excel.csv"
    text = (
        "tracking_number,carrier,occurred_at,code,description,location,id\n"
        f"{first.tracking_number},brt,2026-03-02T09:00:00+01:00,PARTITA,Partita,Bologna,c1\n"
        f"{second.tracking_number},brt,2026-03-02T10:00:00+01:00,PARTITA,Partita,Città di Castello,c2\n"
    )
    path.write_bytes(text.encode("cp1252"))
    out, err = run(path)
    assert err.splitlines() == [
        "line 3: not utf-8 text: say --encoding (a file saved by Excel on Windows is often cp1252)"
    ]
    assert out.splitlines() == ["Imported 1 events (0 already recorded), 1 bad rows."]
    out, err = run(path, encoding="cp1252")
    assert (out.splitlines(), err) == (["Imported 1 events (1 already recorded), 0 bad rows."], "")
    assert TrackingEvent.objects.get(shipment=second).location == "Città di Castello"
    assert run(path, encoding="cp1252")[0] == "excel.csv was imported already (1 events).\n"
    with pytest.raises(CommandError, match="latin-2: not an encoding"):
        run(path, encoding="latin-2")


def test_a_csv_field_over_the_csv_modules_limit_is_a_bad_row_not_the_end_of_the_import(tmp_path, shipments):
    first = shipments[0]
    path = tmp_path / "huge.csv"
    path.write_text(
        "tracking_number,carrier,occurred_at,code,description\n"
        f"{first.tracking_number},brt,2026-03-02T09:00:00+01:00,PARTITA,{'x' * 200_000}\n"
        f"{first.tracking_number},brt,2026-03-02T19:00:00+01:00,IN TRANSITO,In transito\n"
    )
    out, err = run(path)
    assert err.splitlines() == ["line 2: not CSV: field larger than field limit (131072)"]
    assert out.splitlines() == ["Imported 1 events (0 already recorded), 1 bad rows."]


def test_a_json_line_with_bytes_that_are_not_utf8_is_a_bad_row(tmp_path, shipments):
    good = {"tracking_number": shipments[0].tracking_number, "carrier": "brt",
            "code": "IN TRANSITO", "occurred_at": "2026-03-02T09:00:00+01:00"}  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_bytes(json.dumps({**good, "description": "x"}).encode().replace(b'"x"', b'"\xff"') + b"\n"
                     + json.dumps(good).encode() + b"\n")  # fmt: skip
    out, err = run(path)
    assert err.splitlines()[0].startswith("line 1: not utf-8 text")
    assert out.splitlines() == ["Imported 1 events (0 already recorded), 1 bad rows."]


def test_a_row_dated_in_the_future_is_a_bad_row(tmp_path, shipments):
    first = shipments[0]
    path = tmp_path / "clock.csv"
    path.write_text(
        "tracking_number,carrier,occurred_at,code\n"
        f"{first.tracking_number},brt,2099-03-02T09:00:00+01:00,CONSEGNATA\n"
        f"{first.tracking_number},brt,2026-03-02T19:00:00+01:00,PARTITA\n"
    )
    out, err = run(path)
    assert err.splitlines() == ["line 2: occurred_at: more than a day in the future"]
    assert out.splitlines() == ["Imported 1 events (0 already recorded), 1 bad rows."]
    first.refresh_from_db()
    assert first.status == TrackingStatus.IN_TRANSIT


def test_a_header_with_unknown_or_missing_columns_is_refused_once_before_anything_is_imported(
    tmp_path, shipments
):
    """Said once for the file, not as a bad row on each of its lines."""
    path = tmp_path / "export.csv"
    path.write_text(
        "Tracking_Number,occurred_at,code,note\n084000000001,2026-03-02T09:00:00+01:00,PARTITA,x\n"
    )
    with pytest.raises(CommandError) as refused:
        run(path)
    assert str(refused.value) == (
        "export.csv: unknown columns Tracking_Number, note; missing columns tracking_number "
        "(the columns are tracking_number, carrier, occurred_at, code, status, description, location, id)"
    )
    assert not TrackingImport.objects.exists() and not TrackingEvent.objects.exists()
    path.write_text("")
    with pytest.raises(CommandError, match="export.csv: no header row"):
        run(path)
