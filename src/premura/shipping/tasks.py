"""Background entry points of shipping: one service call each (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from premura.shipping import ingest
from premura.shipping.delays import services as delays


@db_periodic_task(crontab(minute="*/5"))
@lock_task("shipping-process-stalled-deliveries")
def process_stalled_deliveries_task() -> int:
    """Every 5 minutes: tracking webhooks stored but never processed (a worker died between the
    raw commit and the processing)."""
    return ingest.process_stalled()


@db_periodic_task(crontab(hour="23", minute="30"))
def assess_open_shipments_task() -> None:
    """The end-of-day run of the delay detector over every undelivered shipment."""
    delays.assess_open_shipments()


@db_periodic_task(crontab(day_of_week="1", hour="2", minute="15"))
def train_delay_model_task() -> None:
    """Retrain the delay model weekly on what the shop knows by then; the thresholds follow."""
    delays.train_delay_model()
