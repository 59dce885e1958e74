"""Background entry points of shipping: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from premura.shipping.delays import services


@db_periodic_task(crontab(hour="23", minute="30"))
def assess_open_shipments_task() -> None:
    """The end-of-day run of the delay detector over every undelivered shipment."""
    services.assess_open_shipments()


@db_periodic_task(crontab(day_of_week="1", hour="2", minute="15"))
def train_delay_model_task() -> None:
    """Retrain the delay model weekly on what the shop knows by then; the threshold follows."""
    services.train_delay_model()
