"""`premura import_tracking`: a file of carrier events (CSV with a header row, or JSON lines) in the
generic endpoint's row format (shipping.adapters.generic.EventRow), validated row by row and
recorded through the same path as webhooks (ingest.record_parsed_events).

Resumable: the file is known by the SHA-256 of its content and the encoding it is read in
(shipping.TrackingImport), and each batch of rows commits together with the number of the last
line it covers, so an import that is interrupted resumes after the last committed batch and never
records a row twice.
"""

import codecs
import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from pydantic import ValidationError

from premura.core import clock
from premura.core.text import describe_invalid
from premura.shipping import ingest
from premura.shipping.adapters.generic import EventRow
from premura.shipping.models import TrackingImport

FORMATS = ("csv", "jsonl")


class ImportFileError(Exception):
    """The file cannot be read as a whole (missing, unknown format, no header)."""


@dataclass
class ImportSummary:
    checkpoint: TrackingImport
    resumed_after: int = 0
    already_done: bool = False
    imported: int = 0
    duplicates: int = 0
    # (line number, reason) of each refused row of this run.
    bad_rows: list[tuple[int, str]] = field(default_factory=list)


def file_format(path: Path, given: str = "") -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ImportFileError(f"{path.name}: say --format csv or jsonl (the name does not tell)")


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def check_encoding(encoding: str) -> str:
    """The codec's name for `encoding`; UTF-8 reads past a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ImportFileError(f"{encoding}: not an encoding Python knows") from None
    return "utf-8-sig" if name == "utf-8" else name


def _undecoded(text: str) -> bool:
    """Whether `text` holds bytes its encoding could not read (kept as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _not_text(encoding: str) -> str:
    hint = " (a file saved by Excel on Windows is often cp1252)" if encoding == "utf-8-sig" else ""
    return f"not {encoding.removesuffix('-sig')} text: say --encoding{hint}"


def _check_csv_header(path: Path, encoding: str) -> None:
    """Raise ImportFileError for a CSV file without a header row, or one that names a column the
    row format does not have or lacks a required one: the file's error, said once before anything
    is imported, not a bad row on every line."""
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as file:
        try:
            header = next(csv.reader(file), None)
        except csv.Error as error:
            raise ImportFileError(f"{path.name}: the header row is not CSV: {error}") from None
    if not header:
        raise ImportFileError(f"{path.name}: no header row")
    if _undecoded("".join(header)):
        raise ImportFileError(f"{path.name}: the header row is {_not_text(encoding)}")
    names = [name.strip() for name in header]
    known = EventRow.model_fields
    unknown = [name for name in names if name not in known]
    missing = [name for name, field in known.items() if field.is_required() and name not in names]
    problems = []
    if unknown:
        problems.append(f"unknown columns {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns {', '.join(missing)}")
    if problems:
        raise ImportFileError(f"{path.name}: {'; '.join(problems)} (the columns are {', '.join(known)})")


def _rows(path: Path, format: str, encoding: str) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, row or None, why not) for each data row; blank JSON lines are skipped. A row
    with bytes the encoding cannot read, or a CSV record the csv module refuses (a field over its
    limit), is a bad row, not the end of the import."""
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as file:
        if format == "csv":
            reader = csv.DictReader(file)
            if reader.fieldnames is None:  # reads the header row (checked by _check_csv_header)
                return
            while True:
                first_line = reader.line_num + 1  # where the next record starts
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield first_line, None, f"not CSV: {error}"
                    continue
                if None in row:
                    yield reader.line_num, None, "more values than columns"
                elif _undecoded("".join(value or "" for value in row.values())):
                    yield reader.line_num, None, _not_text(encoding)
                else:
                    yield reader.line_num, {key.strip(): value for key, value in row.items()}, ""
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            if _undecoded(line):
                yield number, None, _not_text(encoding)
                continue
            try:
                data = json.loads(line)
            except ValueError as error:
                yield number, None, f"not JSON: {error}"
                continue
            except RecursionError:
                yield number, None, "not JSON: nested too deeply to read"
                continue
            yield (
                number,
                data if isinstance(data, dict) else None,
                "" if isinstance(data, dict) else "not an object",
            )


def import_file(
    path: Path,
    *,
    format: str = "",
    encoding: str = "utf-8",
    batch_size: int = 500,
    on_progress: Callable[[int], None] = lambda line: None,
) -> ImportSummary:
    """Import the events of `path`, resuming after the last committed batch of an earlier run of
    the same content. Bad rows (invalid, or naming no shipment) are reported with their line
    number and skipped; the rest are recorded. Raises ImportFileError for an unreadable file."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    format = file_format(path, format)
    encoding = check_encoding(encoding)
    if format == "csv":
        _check_csv_header(path, encoding)
    checkpoint, _created = TrackingImport.objects.get_or_create(
        sha256=content_hash(path),
        encoding=encoding,
        defaults={"file_name": path.name[:300], "started_at": clock.now()},
    )
    summary = ImportSummary(checkpoint=checkpoint, resumed_after=checkpoint.last_line)
    if checkpoint.finished_at is not None:
        summary.already_done = True
        return summary
    batch: list[tuple[int, EventRow]] = []
    batch_bad: list[tuple[int, str]] = []
    last_line = checkpoint.last_line
    for number, row, problem in _rows(path, format, encoding):
        if number <= checkpoint.last_line:
            continue
        last_line = number
        if row is not None:
            try:
                event = EventRow.model_validate(row)
            except ValidationError as error:
                problem = describe_invalid(error)
            else:
                if ingest.dated_ahead(event.occurred_at):
                    problem = "occurred_at: more than a day in the future"
                else:
                    batch.append((number, event))
        if problem:
            batch_bad.append((number, problem))
        if len(batch) >= batch_size:
            _commit(summary, batch, batch_bad, last_line)
            on_progress(last_line)
            batch, batch_bad = [], []
    _commit(summary, batch, batch_bad, last_line, finished=True)
    on_progress(last_line)
    return summary


def _commit(
    summary: ImportSummary,
    batch: list[tuple[int, EventRow]],
    bad: list[tuple[int, str]],
    last_line: int,
    *,
    finished: bool = False,
) -> None:
    with transaction.atomic():
        result = ingest.record_parsed_events([row.to_parsed() for _number, row in batch])
        unmatched = set(result.unmatched)
        bad = bad + [
            (number, f"no shipment with tracking number {row.tracking_number}")
            for number, row in batch
            if row.tracking_number in unmatched
        ]
        TrackingImport.objects.filter(pk=summary.checkpoint.pk).update(
            last_line=last_line,
            imported_count=F("imported_count") + result.recorded,
            bad_count=F("bad_count") + len(bad),
            finished_at=clock.now() if finished else None,
        )
    summary.imported += result.recorded
    summary.duplicates += result.duplicates
    summary.bad_rows.extend(sorted(bad))
