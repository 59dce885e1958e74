"""Background entry points of the SLA: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from premura.sla import services, sweeper


@db_task()
def recompute_deadlines_task(recompute_id: int) -> None:
    """One batch, then ring again for the next: a long desk never holds one task for long."""
    if services.recompute_deadlines(recompute_id):
        recompute_deadlines_task(recompute_id)


@db_periodic_task(crontab(minute="*"))
def resume_recomputes_task() -> None:
    """Finish a recompute whose task was lost (a worker stopped, Huey dropped it)."""
    for recompute_id in services.pending_recompute_ids():
        recompute_deadlines_task(recompute_id)


@db_periodic_task(crontab(minute="*"))
def sweep_deadlines_task() -> None:
    """Warn before deadlines and escalate the missed ones (sla.sweeper); safe to overlap."""
    sweeper.sweep()
