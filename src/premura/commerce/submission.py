"""Money actions reach the shop's platform (docs/architecture.md, "Money"; decisions 0030, 0031).

A requested action (Refund, Cancellation, Coupon, Reshipment, AddressChange: ACTIONS says how each
is asked and recorded) is claimed with a conditional UPDATE (a lease: `claimed_until`),
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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from premura.commerce import services
from premura.commerce.connectors import connector_for
from premura.commerce.connectors.base import (
    Connector,
    NewCoupon,
    PermanentError,
    ReplacementLine,
    TransientError,
)
from premura.commerce.models import (
    ActionStatus,
    AddressChange,
    Cancellation,
    CancellationOutcome,
    Coupon,
    CouponKind,
    Refund,
    RefundDestination,
    Reshipment,
    ShopConnection,
)
from premura.commerce.services import OrderAction
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
    # "requested" is the same value in every action's statuses.
    return Q(status=ActionStatus.REQUESTED, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(model: type[OrderAction], pk: int) -> bool:
    now = clock.now()
    claimed = model.objects.filter(_due(now), pk=pk).update(
        claimed_until=now + LEASE, attempts=F("attempts") + 1
    )
    return claimed == 1


def _settled(action: OrderAction) -> None:
    transaction.on_commit(lambda: money_action_settled.send(sender=type(action), action=action))


def _connector(action: OrderAction) -> Connector:
    connection = ShopConnection.objects.filter(slug=action.order.source, is_active=True).first()
    if connection is None:
        raise PermanentError(f"The shop connection {action.order.source!r} is gone or inactive")
    return connector_for(connection)


def _record_error(action: OrderAction, error: TransientError | PermanentError) -> None:
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

    kind = action._meta.model_name
    transaction.on_commit(
        lambda: tasks.submit_action_task.schedule((kind, action.pk), delay=delay.total_seconds())
    )


def _ask_platform(action: OrderAction, call: Callable[[], str]) -> tuple[bool, str]:
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


@dataclass(frozen=True)
class Action:
    """How one kind of action reaches the platform: `call(connector, row)` asks it (idempotent on
    the platform for the row's key) and returns its answer; `record(row, answer)`, in a
    transaction, moves the row on and returns it."""

    model: type
    call: Callable[[Connector, Any], str]
    record: Callable[[Any, str], Any]


def _refund_call(connector: Connector, refund: Refund) -> str:
    if refund.destination == RefundDestination.STORE_CREDIT:
        # Store credit is a single-use coupon of the amount.
        return connector.create_coupon(
            NewCoupon(
                key=refund.idempotency_key,
                kind=CouponKind.AMOUNT,
                value=refund.amount,
                currency=refund.currency,
                email=refund.order.email,
            )
        )
    return connector.refund(
        refund.order.external_id,
        amount=refund.amount,
        currency=refund.currency,
        key=refund.idempotency_key,
        note=refund.reason,
    )


def _refund_record(refund: Refund, external_id: str) -> Refund:
    # Store credit is usable at once; money to a card takes the bank's days.
    days = 0 if refund.destination == RefundDestination.STORE_CREDIT else settings.REFUND_ARRIVAL_DAYS
    refund = services.mark_refund_submitted(
        refund, expected_arrival_at=clock.now() + datetime.timedelta(days=days), external_id=external_id
    )
    if refund.destination == RefundDestination.STORE_CREDIT:
        refund = services.mark_refund_completed(refund)
    _settled(refund)
    return refund


def _cancellation_call(connector: Connector, cancellation: Cancellation) -> str:
    connector.cancel_order(cancellation.order.external_id, reason="customer")
    if cancellation.outcome == CancellationOutcome.VOID:
        return connector.void_authorization(cancellation.order.external_id)
    return ""


def _coupon_call(connector: Connector, coupon: Coupon) -> str:
    return connector.create_coupon(
        NewCoupon(
            key=coupon.idempotency_key,
            kind=coupon.kind,
            value=coupon.value,
            currency=coupon.currency,
            email=coupon.order.email,
            category=coupon.category,
            expires_on=coupon.expires_on,
        )
    )


def _reshipment_call(connector: Connector, reshipment: Reshipment) -> str:
    return connector.create_replacement_order(
        reshipment.order.external_id,
        key=reshipment.idempotency_key,
        lines=[ReplacementLine(sku=line["sku"], quantity=line["quantity"]) for line in reshipment.lines],
        note=reshipment.reason,
    )


def _address_call(connector: Connector, change: AddressChange) -> str:
    connector.change_shipping_address(
        change.order.external_id,
        address=services.ShippingAddress(
            name=change.shipping_name,
            street=change.shipping_street,
            postcode=change.shipping_postcode,
            city=change.shipping_city,
            province=change.shipping_province,
            country=change.shipping_country,
        ),
    )
    return ""


def _done(record: Callable[..., Any]) -> Callable[[Any, str], Any]:
    """`record` (services' mark of the platform's answer), then `money_action_settled` on commit
    when it moved the row to done (not when another worker had already)."""

    def mark(action: Any, answer: str) -> Any:
        was = type(action).objects.filter(pk=action.pk).values_list("status", flat=True).get()
        action = record(action, answer)
        if was == ActionStatus.REQUESTED and action.status != ActionStatus.REQUESTED:
            _settled(action)
        return action

    return mark


ACTIONS = {
    "cancellation": Action(
        Cancellation,
        _cancellation_call,
        _done(lambda cancellation, void_id: services.mark_cancellation_done(cancellation, void_id=void_id)),
    ),
    "refund": Action(Refund, _refund_call, _refund_record),
    "coupon": Action(
        Coupon, _coupon_call, _done(lambda coupon, code: services.mark_action_done(coupon, result=code))
    ),
    "reshipment": Action(
        Reshipment, _reshipment_call, _done(lambda row, number: services.mark_action_done(row, result=number))
    ),
    "addresschange": Action(
        AddressChange, _address_call, _done(lambda change, _answer: services.mark_action_done(change))
    ),
}


def submit(kind: str, pk: int) -> OrderAction:
    """Ask the platform for the requested action `kind` (a key of ACTIONS: its model's name) and
    record its answer. Returns the row; does nothing unless it is due and this worker claims it."""
    action = ACTIONS[kind]
    if not _claim(action.model, pk):
        return action.model.objects.get(pk=pk)
    row = action.model.objects.select_related("order").get(pk=pk)
    answered, answer = _ask_platform(row, lambda: action.call(_connector(row), row))
    if not answered:
        return action.model.objects.get(pk=pk)
    with transaction.atomic():
        return action.record(row, answer)


def submit_due_actions(*, batch: int = 100) -> int:
    """The sweeper: submit the requested actions whose attempt is due (a task lost, a retry's time
    come), oldest due first, at most `batch` of each kind. Returns how many it tried."""
    now = clock.now()
    tried = 0
    for kind, action in ACTIONS.items():
        due = action.model.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)
        for pk in list(due[:batch]):
            submit(kind, pk)
            tried += 1
    return tried
