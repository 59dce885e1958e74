"""Background entry points of conversations: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from premura.conversations import services


@db_periodic_task(crontab(minute="*/15"))
def close_solved_cases_task() -> int:
    return services.close_solved_cases()
