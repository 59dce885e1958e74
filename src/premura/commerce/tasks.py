"""Background entry points of commerce: one service call each (style.md §5). Huey only rings:
the action rows are the queue, and the sweeper finds any lost task; the reconciliation job reads
the shops' orders every 15 minutes."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from premura.commerce import reconcile, submission


@db_task()
def submit_action_task(kind: str, pk: int) -> None:
    """Ask the platform for one requested action (`kind`: a key of submission.ACTIONS)."""
    submission.submit(kind, pk)


@db_periodic_task(crontab(minute="*"))
@lock_task("commerce-submit-due-actions")
def submit_due_actions_task() -> int:
    """Every minute: money actions whose platform call is due (a retry's time come, a task lost)."""
    return submission.submit_due_actions()


@db_periodic_task(crontab(minute="*/15"))
@lock_task("commerce-reconcile-orders")
def reconcile_orders_task() -> int:
    """Every 15 minutes: the orders the shops changed since the last run (a webhook never
    delivered, a platform without webhooks), applied as webhooks would be. Returns how many."""
    return sum(result.read for result in reconcile.reconcile_all())
