"""Background entry points of care: one service call each (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from premura.care import services


@db_periodic_task(crontab(minute="*/10"))
@lock_task("care-reconcile-incidents")
def reconcile_incidents_task() -> int:
    """Every 10 minutes: what a lost or failed risk signal left undone (services.reconcile_incidents)."""
    return services.reconcile_incidents()
