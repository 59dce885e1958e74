"""`premura import_tracking FILE`: carrier events from a CSV or JSON-lines file (shipping/imports.py).

Bad rows are reported on standard error with their line numbers and skipped; the rest are
imported. Run it again on the same file after an interruption: it resumes after the last
committed batch. A progress bar is drawn when standard output is a terminal.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.shipping.imports import FORMATS, ImportFileError, count_lines, import_file


class Command(BaseCommand):
    help = "Import carrier tracking events from a CSV or JSON-lines file (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, default="", help="Default: from the file name.")
        parser.add_argument(
            "--encoding",
            default="utf-8",
            help="The file's text encoding (default utf-8; Excel: often cp1252).",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Rows committed together.")

    def handle(self, *args, file: Path, format: str, encoding: str, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        progress = self._progress_bar(file) if self.stdout.isatty() else (lambda line: None)
        try:
            summary = import_file(
                file, format=format, encoding=encoding, batch_size=batch_size, on_progress=progress
            )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        if self.stdout.isatty():
            self.stdout.write("")
        if summary.already_done:
            self.stdout.write(
                f"{file.name} was imported already ({summary.checkpoint.imported_count} events)."
            )
            return
        if summary.resumed_after:
            self.stdout.write(f"Resumed after line {summary.resumed_after}.")
        for number, reason in summary.bad_rows:
            self.stderr.write(f"line {number}: {reason}")
        self.stdout.write(
            f"Imported {summary.imported} events ({summary.duplicates} already recorded), "
            f"{len(summary.bad_rows)} bad rows."
        )

    def _progress_bar(self, file: Path):
        total = max(1, count_lines(file))

        def draw(line: int) -> None:
            done = min(line, total) / total
            bar = "#" * int(done * 30)
            self.stdout.write(f"\r[{bar:<30}] {done:4.0%} line {line}/{total}", ending="")
            self.stdout.flush()

        return draw
