"""Shops' webhooks in (docs/architecture.md, "Shops and money actions"): checked over the raw body
by the shop's connector, stored as they came (a ShopWebhook, committed first; decision 0017),
then applied through commerce.services: a new order imported (its customer found by e-mail or
created), a known one moved along the transition tables, a refund recorded once. The
reconciliation job (commerce.reconcile) applies the orders it reads with the same `apply_order`.
"""

import dataclasses
import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from premura.commerce import services
from premura.commerce.connectors import connector_for
from premura.commerce.connectors.base import PayloadInvalid, ShopEvent, ShopOrder, ShopRefund, key_in
from premura.commerce.exceptions import DuplicateOrder, OrderError
from premura.commerce.models import (
    Order,
    OrderStatus,
    PaymentState,
    ShopConnection,
    ShopWebhook,
    WebhookStatus,
)
from premura.core import clock
from premura.core.signing import kept_headers
from premura.core.text import storable
from premura.customers.models import IdentityKind, Language
from premura.customers.services import CustomerError, NewIdentity, create_customer, find_customer

logger = logging.getLogger(__name__)
# What a platform's order can be refused for; anything else is our bug or the database's.
APPLICATION_ERRORS = (PayloadInvalid, OrderError, CustomerError)
REFUNDED_STATES = frozenset({PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED})


def receive_webhook(
    connection: ShopConnection, *, body: bytes, headers: Mapping[str, str]
) -> tuple[ShopWebhook, bool]:
    """Check a shop's webhook, store it raw and apply it.

    Raises connectors.base.SignatureInvalid when the signature is missing, wrong or stale: nothing
    is stored then. Otherwise the body and headers are committed first; a delivery whose id is
    already stored returns `(the stored row, False)` and changes nothing (a platform's retry). A
    new one is applied at once (`apply_webhook`); whatever happens there, the raw row stays,
    marked processed or failed with the reason. Must not run inside a transaction.
    """
    connector = connector_for(connection)
    connector.verify_webhook(body, headers, now=clock.now())
    webhook = ShopWebhook(
        connection=connection,
        webhook_id=connector.webhook_id(body, headers),
        topic=connector.topic(body, headers),
        body=body,
        headers=kept_headers(headers),
        received_at=clock.now(),
    )
    try:
        with transaction.atomic():
            webhook.save(force_insert=True)
    except IntegrityError:
        if not webhook.webhook_id:
            raise
        return ShopWebhook.objects.get(connection=connection, webhook_id=webhook.webhook_id), False
    return apply_webhook(webhook.pk), True


def apply_webhook(webhook_id: int) -> ShopWebhook:
    """Parse a stored webhook and apply it, in one transaction with its new status. Idempotent:
    an order already imported is updated, a refund already recorded is found, so a failed webhook
    can be applied again from the admin. A body that cannot be read or applied leaves it failed
    with the reason."""
    webhook = ShopWebhook.objects.select_related("connection").get(pk=webhook_id)
    connector = connector_for(webhook.connection)
    try:
        with transaction.atomic():
            event = connector.parse_webhook(bytes(webhook.body), webhook.headers)
            _apply(webhook.connection, event)
            _finish(webhook, WebhookStatus.PROCESSED, "")
    except APPLICATION_ERRORS as failure:
        _finish(webhook, WebhookStatus.FAILED, str(failure))
    except Exception as failure:
        # Our bug or the database's: recorded on the row for an administrator, never retried forever.
        logger.exception("shop webhook %s could not be applied", webhook_id)
        _finish(webhook, WebhookStatus.FAILED, f"{failure.__class__.__name__}: {failure}")
    return webhook


def _finish(webhook: ShopWebhook, status: str, error: str) -> None:
    webhook.status, webhook.error, webhook.processed_at = status, storable(error)[:2000], clock.now()
    webhook.save(update_fields=["status", "error", "processed_at"])


def _order(connection: ShopConnection, external_order_id: str) -> Order:
    order = Order.objects.filter(source=connection.slug, external_id=external_order_id).first()
    if order is None:
        raise OrderError(f"No order {external_order_id!r} from {connection.slug} is known yet")
    return order


def _apply(connection: ShopConnection, event: ShopEvent) -> None:
    if event.kind == "ignored":
        return
    if event.kind in ("order", "cancelled"):
        order = event.order
        if event.kind == "cancelled":
            order = dataclasses.replace(order, status=OrderStatus.CANCELLED)
        apply_order(connection, order)
    elif event.kind == "fulfilled":
        services.sync_order_state(_order(connection, event.external_order_id), status=OrderStatus.SHIPPED)
    elif event.kind == "refund":
        _record_refunds(_order(connection, event.external_order_id), event.refunds)


def apply_order(connection: ShopConnection, shop_order: ShopOrder) -> Order:
    """What the platform says of one order, applied as every webhook and the reconciliation
    (commerce.reconcile) apply it: a new order is imported (its customer found by e-mail or
    created), a known one moved along the transition tables (never back), the refunds it lists
    recorded once. Idempotent: the same ShopOrder again changes nothing. Run it in a transaction."""
    order = Order.objects.filter(source=connection.slug, external_id=shop_order.external_id).first()
    if order is None:
        order = import_shop_order(connection, shop_order)
    # Refunds first: they take the payment from captured to (partially) refunded themselves.
    _record_refunds(order, shop_order.refunds)
    payment_state = shop_order.payment.state if shop_order.payment else ""
    services.sync_order_state(order, status=shop_order.status, payment_state=payment_state)
    return order


def _record_refunds(order: Order, refunds: list[ShopRefund]) -> None:
    for refund in refunds:
        services.record_platform_refund(
            order, external_id=refund.external_id, amount=refund.amount, key=key_in(refund.note)
        )


def import_shop_order(connection: ShopConnection, order: ShopOrder) -> Order:
    """Import a shop's new order, its customer found by e-mail or created (webhooks, the
    reconciliation, the CSV import); with refunds listed, its payment as captured, the refunds
    being recorded next. Raises OrderError or CustomerError when it cannot be imported; an order
    imported meanwhile by another path (a webhook and the reconciliation at once) is returned."""
    if not order.email:
        raise OrderError("The order has no e-mail address: its customer cannot be found or created")
    customer = find_customer(IdentityKind.EMAIL, order.email)
    if customer is None:
        customer = create_customer(
            full_name=order.customer_name or order.email,
            identities=[NewIdentity(kind=IdentityKind.EMAIL, value=order.email, is_primary=True)],
            language=order.language if order.language in Language.values else Language.ITALIAN,
        )
    payment = order.payment
    if payment is not None and order.refunds and payment.state in REFUNDED_STATES:
        # Imported as captured: the refunds it lists, recorded next, refund it as they did.
        payment = dataclasses.replace(payment, state=PaymentState.CAPTURED)
    try:
        return services.import_order(
            number=order.number,
            customer=customer,
            lines=order.lines,
            shipping_total=order.shipping_total,
            total=order.total,
            address=order.address,
            payment=payment,
            email=order.email,
            currency=order.currency,
            status=order.status,
            placed_at=order.placed_at,
            source=connection.slug,
            external_id=order.external_id,
        )
    except DuplicateOrder:
        # A webhook and the reconciliation importing the same order at once: the other one won.
        known = Order.objects.filter(source=connection.slug, external_id=order.external_id).first()
        if known is None:
            raise
        return known
