"""Money actions reach the shop's platform (docs/architecture.md, "Money"; decision 0030).

A requested Refund or Cancellation is claimed with a conditional UPDATE (a lease: `claimed_until`),
so two workers never call the platform for the same row at once; the connector is called outside
any transaction; its answer is recorded: done (the row's state moves on, `money_action_settled`
on commit), transient (the next attempt is due after a backoff, or the platform's Retry-After;
the task is scheduled again and the sweeper finds it anyway), permanent (failed, with the
platform's message). A worker that dies after the platform acted leaves the row requested: the
next attempt asks the platform first (the connectors' idempotency), so it never acts twice.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from premura.commerce import services
from premura.commerce.connectors import connector_for
from premura.commerce.connectors.base import PermanentError, TransientError
from premura.commerce.models import (
    Cancellation,
    CancellationOutcome,
    CancellationStatus,
    Refund,
    RefundDestination,
    RefundStatus,
    ShopConnection,
)
from premura.commerce.signals import money_action_settled
from premura.core import clock

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# How long a worker may take over one platform call before another may try the row again.
LEASE = datetime.timedelta(minutes=2)
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600


def retry_delay(attempts: int, retry_after: float | None) -> datetime.timedelta:
    """30 s, 1 min, 2 min, ... up to an hour after the `attempts`-th try; never sooner than the
    platform's Retry-After."""
    backoff = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS)
    return datetime.timedelta(seconds=max(backoff, retry_after or 0))


def _due(now: datetime.datetime) -> Q:
    # "requested" is the same value in RefundStatus and CancellationStatus.
    return Q(status=RefundStatus.REQUESTED, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(model: type[Refund] | type[Cancellation], pk: int) -> bool:
    now = clock.now()
    claimed = model.objects.filter(_due(now), pk=pk).update(
        claimed_until=now + LEASE, attempts=F("attempts") + 1
    )
    return claimed == 1


def _settled(action: Refund | Cancellation) -> None:
    transaction.on_commit(lambda: money_action_settled.send(sender=type(action), action=action))


def _connector(action: Refund | Cancellation):
    connection = ShopConnection.objects.filter(slug=action.order.source, is_active=True).first()
    if connection is None:
        raise PermanentError(f"The shop connection {action.order.source!r} is gone or inactive")
    return connector_for(connection)


def _record_error(action: Refund | Cancellation, error: TransientError | PermanentError) -> None:
    if isinstance(error, PermanentError) or action.attempts >= MAX_ATTEMPTS:
        message = str(error)
        if isinstance(error, TransientError):
            message = f"Gave up after {action.attempts} attempts: {message}"
        _settled(services.mark_money_action_failed(action, error=message))
        return
    delay = retry_delay(action.attempts, error.retry_after)
    type(action).objects.filter(pk=action.pk).update(
        next_attempt_at=clock.now() + delay, claimed_until=None, error=str(error)[:2000]
    )
    from premura.commerce import tasks

    task = tasks.submit_refund_task if isinstance(action, Refund) else tasks.submit_cancellation_task
    transaction.on_commit(lambda: task.schedule((action.pk,), delay=delay.total_seconds()))


def _ask_platform(action: Refund | Cancellation, call: Callable[[], str]) -> tuple[bool, str]:
    """Make the platform call (outside any transaction): (True, its answer), or (False, "") after
    recording its error on the action (retried with backoff, or failed)."""
    try:
        return True, call()
    except (TransientError, PermanentError) as error:
        failure = error
    except Exception as error:
        # Our bug or the database's: retried with backoff like an outage, never forever.
        logger.exception("%s %s could not be submitted", action._meta.model_name, action.pk)
        failure = TransientError(f"{error.__class__.__name__}: {error}")
    with transaction.atomic():
        _record_error(action, failure)
    return False, ""


def submit_refund(refund_id: int) -> Refund:
    """Ask the platform for a requested refund (to the card, or store credit as a single-use
    discount code) and record its answer. Returns the row; does nothing unless it is due and
    this worker claims it."""
    if not _claim(Refund, refund_id):
        return Refund.objects.get(pk=refund_id)
    refund = Refund.objects.select_related("order").get(pk=refund_id)

    def call() -> str:
        connector = _connector(refund)
        if refund.destination == RefundDestination.STORE_CREDIT:
            return connector.create_discount_code(
                key=refund.idempotency_key, amount=refund.amount, currency=refund.currency
            )
        return connector.refund(
            refund.order.external_id,
            amount=refund.amount,
            currency=refund.currency,
            key=refund.idempotency_key,
            note=refund.reason,
        )

    answered, external_id = _ask_platform(refund, call)
    if not answered:
        return Refund.objects.get(pk=refund_id)
    with transaction.atomic():
        # Store credit is usable at once; money to a card takes the bank's days.
        days = 0 if refund.destination == RefundDestination.STORE_CREDIT else settings.REFUND_ARRIVAL_DAYS
        refund = services.mark_refund_submitted(
            refund, expected_arrival_at=clock.now() + datetime.timedelta(days=days), external_id=external_id
        )
        if refund.destination == RefundDestination.STORE_CREDIT:
            refund = services.mark_refund_completed(refund)
        _settled(refund)
    return refund


def submit_cancellation(cancellation_id: int) -> Cancellation:
    """Ask the platform to cancel the order (and void its authorisation) and record its answer.
    Returns the row; does nothing unless it is due and this worker claims it."""
    if not _claim(Cancellation, cancellation_id):
        return Cancellation.objects.get(pk=cancellation_id)
    cancellation = Cancellation.objects.select_related("order").get(pk=cancellation_id)

    def call() -> str:
        connector = _connector(cancellation)
        connector.cancel_order(cancellation.order.external_id, reason="customer")
        if cancellation.outcome == CancellationOutcome.VOID:
            return connector.void_authorization(cancellation.order.external_id)
        return ""

    answered, void_id = _ask_platform(cancellation, call)
    if not answered:
        return Cancellation.objects.get(pk=cancellation_id)
    with transaction.atomic():
        cancellation = services.mark_cancellation_done(cancellation, void_id=void_id)
        if cancellation.status == CancellationStatus.DONE:
            _settled(cancellation)
    return cancellation


def submit_due_actions(*, batch: int = 100) -> int:
    """The sweeper: submit the requested refunds and cancellations whose attempt is due (a task
    lost, a retry's time come), oldest due first, at most `batch` of each. Returns how many it
    tried."""
    now = clock.now()
    tried = 0
    for model, submit in ((Cancellation, submit_cancellation), (Refund, submit_refund)):
        due = model.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:batch]
        for pk in list(due):
            submit(pk)
            tried += 1
    return tried
