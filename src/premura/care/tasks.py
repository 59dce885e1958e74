"""Background entry points of care: one service call each (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from premura.care import promises, services


@db_periodic_task(crontab(minute="*/10"))
@lock_task("care-reconcile-incidents")
def reconcile_incidents_task() -> int:
    """Every 10 minutes: what a lost or failed risk signal left undone (services.reconcile_incidents)."""
    return services.reconcile_incidents()


@db_periodic_task(crontab(minute="*/5"))
@lock_task("care-check-promises")
def check_promises_task() -> int:
    """Every 5 minutes: tell the customer of the steps at risk of missing their promised date,
    and escalate their cases (promises.check_due_steps)."""
    return promises.check_due_steps()
