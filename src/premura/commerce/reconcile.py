"""The reconciliation job (decision 0034): orders the shops' platforms changed since the last run,
read through their connectors and applied exactly as a webhook would be (ingest.apply_order), so
a webhook the platform never delivered, or a platform that sends none (PrestaShop), still brings
every order and its state.

Each connection keeps a checkpoint, `reconciled_until`: the newest change time applied. A run
reads from the checkpoint less an overlap (the platforms' clocks and their eventual consistency:
an order changed just before the last read may have been listed only after it), applies each
order in its own transaction with the checkpoint moved to its change time, so a run that stops
halfway (a platform outage, a deploy) loses nothing and the next one goes on from there. An order
that cannot be read or applied is reported on the connection (an audit event the admin shows) and
passed:
it is read again when the platform next changes it, or with `premura reconcile_orders --since`.
Running it twice changes nothing the second time.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet

from premura.commerce import ingest
from premura.commerce.connectors import CONNECTORS, connector_class, connector_for
from premura.commerce.connectors.base import ConnectorError, PermanentError, ShopOrder, UnreadableOrder
from premura.commerce.models import ShopConnection
from premura.core import clock
from premura.core.audit import events_for, record_event

logger = logging.getLogger(__name__)
OVERLAP = datetime.timedelta(minutes=10)
# Orders changed after the checkpoint applied per connection and run; the next run goes on.
MAX_ORDERS_PER_RUN = 500
NOT_RECONCILED = "shop.order_not_reconciled"
NOT_LISTED = "shop.orders_not_listed"


@dataclass
class Reconciliation:
    """What one run did for one shop."""

    shop: str
    read: int = 0
    # "<order id on the platform>: <why>" for each order that could not be applied.
    failed: list[str] = field(default_factory=list)
    # The platform's error that stopped the listing early ("" when it went to the end).
    stopped: str = ""
    # The per-run limit was reached: the next run goes on from the checkpoint.
    more: bool = False
    reconciled_until: datetime.datetime | None = None


def connections_to_reconcile() -> QuerySet[ShopConnection]:
    """The active shops with an API address on a platform whose connector lists orders."""
    platforms = [platform for platform in CONNECTORS if connector_class(platform).lists_orders]
    return ShopConnection.objects.filter(is_active=True, platform__in=platforms).exclude(api_url="")


def reconcile_all(*, limit: int = MAX_ORDERS_PER_RUN) -> list[Reconciliation]:
    """One run over every shop (the periodic task). Must not run inside a transaction."""
    return [reconcile(connection, limit=limit) for connection in connections_to_reconcile().order_by("pk")]


def reconcile(
    connection: ShopConnection,
    *,
    since: datetime.datetime | None = None,
    limit: int = MAX_ORDERS_PER_RUN,
) -> Reconciliation:
    """Read the shop's orders changed since `since` (default: its checkpoint less OVERLAP; never
    reconciled: since the connection was made, less OVERLAP) and apply each in its own
    transaction, at most `limit` of them changed after the checkpoint (those in the overlap are
    read again without counting). The checkpoint only moves forward, never past our own clock.
    A platform error stops the run where it is; a permanent one (a wrong key, say) is reported on
    the connection. Must not run inside a transaction."""
    connector = connector_for(connection)
    start = since
    if start is None:
        start = (connection.reconciled_until or connection.created_at) - OVERLAP
    checkpoint, now = connection.reconciled_until, clock.now()
    result = Reconciliation(shop=connection.slug)
    counted = 0
    try:
        for shop_order in connector.orders_changed_since(start):
            after = checkpoint is None or shop_order.changed_at is None or shop_order.changed_at > checkpoint
            if after and counted >= limit:
                result.more = True
                break
            counted += after
            result.read += 1
            error = _apply(connection, shop_order, now=now)
            if error:
                result.failed.append(f"{shop_order.external_id}: {error}")
    except ConnectorError as error:
        result.stopped = str(error)
        logger.warning("shop %s: orders not listed: %s", connection.slug, error)
        if isinstance(error, PermanentError):
            record_event(connection, NOT_LISTED, error=result.stopped[:2000])
    except Exception as error:
        # Our bug in reading a listing: this shop stops, the others still run.
        logger.exception("shop %s: orders not listed", connection.slug)
        result.stopped = f"{error.__class__.__name__}: {error}"
        record_event(connection, NOT_LISTED, error=result.stopped[:2000])
    connection.refresh_from_db(fields=["reconciled_until"])
    result.reconciled_until = connection.reconciled_until
    return result


def _apply(
    connection: ShopConnection, shop_order: ShopOrder | UnreadableOrder, *, now: datetime.datetime
) -> str:
    """Apply one order with the checkpoint moved to its change time, in one transaction; "" or why
    it could not be read or applied (then reported, and the checkpoint moved past it all the
    same)."""
    moment = min(shop_order.changed_at, now) if shop_order.changed_at else None
    if isinstance(shop_order, UnreadableOrder):
        reason = shop_order.reason
    else:
        try:
            with transaction.atomic():
                ingest.apply_order(connection, shop_order)
                _advance(connection, moment)
            return ""
        except ingest.APPLICATION_ERRORS as failure:
            reason = str(failure)
        except Exception as failure:
            # Our bug or the database's: reported like a bad order, never stopping the others.
            logger.exception(
                "shop %s: order %s could not be applied", connection.slug, shop_order.external_id
            )
            reason = f"{failure.__class__.__name__}: {failure}"
    with transaction.atomic():
        _report(connection, shop_order, reason[:2000])
        _advance(connection, moment)
    return reason


def _advance(connection: ShopConnection, moment: datetime.datetime | None) -> None:
    if moment is not None:
        ShopConnection.objects.filter(
            Q(reconciled_until__isnull=True) | Q(reconciled_until__lt=moment), pk=connection.pk
        ).update(reconciled_until=moment)


def _report(connection: ShopConnection, shop_order: ShopOrder | UnreadableOrder, reason: str) -> None:
    """An audit event on the connection, once per order, change and reason (the overlap reads a
    failing order again)."""
    changed_at = shop_order.changed_at.isoformat() if shop_order.changed_at else ""
    logger.warning("shop %s: order %s not reconciled: %s", connection.slug, shop_order.external_id, reason)
    reported = events_for(connection).filter(
        action=NOT_RECONCILED,
        data__external_id=shop_order.external_id,
        data__changed_at=changed_at,
        data__error=reason,
    )
    if not reported.exists():
        record_event(
            connection,
            NOT_RECONCILED,
            external_id=shop_order.external_id,
            number=shop_order.number,
            changed_at=changed_at,
            error=reason,
        )


def problems(connection: ShopConnection, *, count: int = 10):
    """The latest orders the job could not apply and listings it could not make, newest first
    (the connection's admin page)."""
    return (
        events_for(connection).filter(action__in=[NOT_RECONCILED, NOT_LISTED]).order_by("-created_at")[:count]
    )
