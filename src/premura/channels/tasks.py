"""Background entry points of channels: ids in, one service call (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from premura.channels import outbox


@db_task()
def deliver_outbound_task(outbound_id: int) -> str:
    """The doorbell rung when an outbox row commits. Losing it loses nothing: the sweeper below."""
    return outbox.deliver(outbound_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_outbound_task() -> int:
    return outbox.deliver_due()
