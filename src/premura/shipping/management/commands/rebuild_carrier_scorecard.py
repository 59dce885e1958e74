"""`premura rebuild_carrier_scorecard`: compute the carrier scorecard's summary rows again from
every shipment (docs/architecture.md, "Carrier scorecard"). The same figures as the incremental
path; for after a bulk import that bypassed the services, or to check the rows."""

from django.core.management.base import BaseCommand, CommandParser

from premura.shipping.models import Shipment
from premura.shipping.scorecard import rebuild_scorecard


class Command(BaseCommand):
    help = "Recompute the carrier scorecard from every shipment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="shipments read per query")

    def handle(self, *args, batch_size: int, **options) -> None:
        total = Shipment.objects.count()

        def progress(read: int) -> None:
            self.stderr.write(f"\r{read}/{total} shipments", ending="")

        read = rebuild_scorecard(batch_size=max(batch_size, 1), progress=progress)
        self.stderr.write("")
        self.stdout.write(f"Carrier scorecard rebuilt from {read} shipments.")
