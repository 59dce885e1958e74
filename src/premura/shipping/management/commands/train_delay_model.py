"""`premura train_delay_model`: train the delay model on the shop's shipments now."""

from django.core.management.base import BaseCommand

from premura.shipping.delays import services


class Command(BaseCommand):
    help = "Train the delay model on the shop's shipments and recalibrate its thresholds."

    def handle(self, *args, **options) -> None:
        row = services.train_delay_model()
        scored_by = "the ahead classifier" if row.ahead_parameters else "the hazard model: too little history"
        self.stdout.write(
            f"delay model v{row.version}: {row.shipments} shipments ({row.delivered} delivered) "
            f"from {row.data_from} to {row.data_until}, "
            f"thresholds {row.ahead_threshold:.3f} ahead "
            f"({scored_by}), "
            f"{row.threshold:.3f} eve"
        )
