"""Background entry points of the API app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from premura.api.idempotency import purge_idempotent_requests


@db_periodic_task(crontab(minute="17"))
def purge_idempotent_requests_task() -> int:
    """Hourly: forget Idempotency-Keys older than 24 hours."""
    return purge_idempotent_requests()
