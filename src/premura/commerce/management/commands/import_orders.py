"""`premura import_orders FILE --shop <slug>`: a custom shop's orders from a CSV file
(commerce/csv_orders.py: the columns and the rules).

Bad orders are reported on standard error with their line numbers and the reason; the others are
imported. Orders already imported from the shop are skipped, so the same file can be imported
again. `--json` prints the counts as one JSON object instead of the summary line.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.commerce import csv_orders
from premura.commerce.models import Platform, ShopConnection


class Command(BaseCommand):
    help = "Import a custom shop's orders from a CSV file (one row per order line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--shop", required=True, help="The slug of the shop's connection (a custom shop)."
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the counts as one JSON object."
        )

    def handle(self, *args, file: Path, shop: str, as_json: bool, **options) -> None:
        connection = ShopConnection.objects.filter(slug=shop).first()
        if connection is None:
            raise CommandError(f"No shop connection {shop!r}: add it in the admin first")
        if connection.platform != Platform.GENERIC:
            raise CommandError(
                f"{shop} is a {connection.get_platform_display()} shop: its orders come from its platform, "
                "the CSV import is for custom shops"
            )
        drawn = self.stdout.isatty() and not as_json
        progress = self._progress if drawn else (lambda done, total: None)
        try:
            summary = csv_orders.import_file(file, connection, on_progress=progress)
        except csv_orders.ImportFileError as error:
            raise CommandError(str(error)) from None
        if drawn:
            self.stdout.write("")
        if summary.ignored_columns:
            self.stderr.write(f"Columns ignored: {', '.join(summary.ignored_columns)}")
        for bad in summary.bad:
            where = ("line " if len(bad.lines) == 1 else "lines ") + ", ".join(map(str, bad.lines))
            self.stderr.write(f"{where} (order {bad.order_number or '?'}): {bad.reason}")
        if as_json:
            self.stdout.write(json.dumps(summary.counts()))
            return
        self.stdout.write(
            f"Imported {summary.imported} orders ({summary.skipped} already imported), "
            f"{len(summary.bad)} bad orders, from {summary.rows} rows."
        )

    def _progress(self, done: int, total: int) -> None:
        bar = "#" * int(done / total * 30)
        self.stdout.write(f"\r[{bar:<30}] {done / total:4.0%} order {done}/{total}", ending="")
        self.stdout.flush()
