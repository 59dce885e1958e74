"""Background entry points of channels: ids in, one service call (style.md §5)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from premura.channels import imap, ingest, outbox


@db_task()
def deliver_outbound_task(outbound_id: int) -> str:
    """The doorbell rung when an outbox row commits. Losing it loses nothing: the sweeper below."""
    return outbox.deliver(outbound_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_outbound_task() -> int:
    return outbox.deliver_due()


@db_periodic_task(crontab(minute="*"))
@lock_task("channels-poll-imap")
def poll_imap_task() -> int:
    """Every minute: new mail of every active IMAP mailbox. The lock keeps a slow poll from
    overlapping the next (the checkpoint's conditional UPDATE would stop the second anyway)."""
    return sum(result.stored for result in imap.poll_all())


@db_task()
def process_inbound_task(inbound_id: int) -> int:
    """The doorbell rung when an inbound message commits: file it into a case, with whatever else
    arrived meanwhile (one batch: ingest.process_arrived)."""
    return ingest.process_arrived(inbound_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("channels-process-inbound")
def process_waiting_inbound_task() -> int:
    """Every minute: inbound mail a lost doorbell or a dead worker left waiting."""
    return ingest.process_waiting()
