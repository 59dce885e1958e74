"""Background entry points of shipping: one service call each (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from premura.shipping import ingest


@db_periodic_task(crontab(minute="*/5"))
@lock_task("shipping-process-stalled-deliveries")
def process_stalled_deliveries_task() -> int:
    """Every 5 minutes: tracking webhooks stored but never processed (a worker died between the
    raw commit and the processing)."""
    return ingest.process_stalled()
