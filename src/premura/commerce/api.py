"""Orders in the REST API: /api/v1/orders, their refunds, cancellation, coupons, re-shipments and
address changes; shops' webhooks:
/api/v1/shop/webhooks/<platform>/<slug> (docs/architecture.md, "Shops and money actions")."""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from premura.api.auth import current_agent
from premura.api.errors import errors, referenced
from premura.api.idempotency import HEADER, idempotency_required, idempotent
from premura.api.pagination import LimitOffset
from premura.api.webhooks import signed_webhook
from premura.care import money
from premura.commerce import ingest, services
from premura.commerce.connectors import connector_for, woocommerce
from premura.commerce.exceptions import OrderError
from premura.commerce.models import (
    AddressChange,
    Cancellation,
    Coupon,
    Order,
    Refund,
    Reshipment,
    ShopConnection,
)
from premura.commerce.schemas import (
    AddressChangeActionOut,
    AddressChangeIn,
    AddressChangeOut,
    CancelIn,
    CancellationOut,
    CouponActionOut,
    CouponIn,
    CouponOut,
    OrderDetailOut,
    OrderFilters,
    OrderIn,
    OrderOut,
    RefundActionOut,
    RefundIn,
    RefundOut,
    ReshipIn,
    ReshipmentActionOut,
    ReshipmentOut,
    ShopWebhookAccepted,
)
from premura.commerce.services import OrderAction
from premura.core.signing import SIGNATURE_HEADERS
from premura.core.text import is_ascii_number
from premura.customers.models import Customer

router = Router(tags=["orders"])


def _orders_with_details() -> QuerySet[Order]:
    return Order.objects.prefetch_related("lines", "payments", "refunds", "shipments__carrier")


@router.get("/orders", response={200: list[OrderOut], **errors(401, 403, 422)})
@paginate(LimitOffset)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]):
    """Orders, newest first; filter by `customer` id or exact `number`."""
    orders = Order.objects.all()
    if filters.customer is not None:
        orders = orders.filter(customer_id=filters.customer)
    if filters.number:
        orders = orders.filter(number=filters.number.strip().upper())
    return orders.order_by("-placed_at", "-pk")


@router.get("/orders/{int:order_id}", response={200: OrderDetailOut, **errors(401, 403, 404, 422)})
def get_order(request: HttpRequest, order_id: int):
    """One order with its lines, payments, refunds and shipments."""
    return get_object_or_404(_orders_with_details(), pk=order_id)


@router.get("/orders/by-number/{number}", response={200: OrderDetailOut, **errors(401, 403, 404, 422)})
def get_order_by_number(request: HttpRequest, number: str):
    """One order, by its shop number (case-insensitive)."""
    return get_object_or_404(_orders_with_details(), number=number.strip().upper())


@router.post("/orders", response={201: OrderDetailOut, **errors(401, 403, 409, 422)})
@idempotent
def import_order(request: HttpRequest, payload: OrderIn):
    """Import an order from a shop. A number already imported is a 409; amounts that do not add up
    (total = sum of lines + shipping) are a 422.
    """
    order = services.import_order(
        number=payload.number,
        customer=referenced(Customer, payload.customer_id, "body.customer_id"),
        lines=[services.NewOrderLine(**line.model_dump()) for line in payload.lines],
        shipping_total=payload.shipping_total,
        total=payload.total,
        address=services.ShippingAddress(**payload.address.model_dump()),
        payment=services.NewPayment(**payload.payment.model_dump()) if payload.payment else None,
        email=payload.email or "",
        currency=payload.currency,
        status=payload.status,
        placed_at=payload.placed_at,
        source=payload.source,
        external_id=payload.external_id,
        actor=request.user,
    )
    return Status(201, get_object_or_404(_orders_with_details(), pk=order.pk))


def _order_by_number(number: str) -> Order:
    return get_object_or_404(Order, number=number.strip().upper())


def _action_key(request: HttpRequest) -> str:
    """The money action's idempotency key (unique among all actions, 64 characters at most) from
    the client's Idempotency-Key, which is theirs alone (decision 0007): the same key from the same
    user is the same action, from another user another one."""
    digest = hashlib.sha256(request.headers[HEADER].encode()).hexdigest()[:40]
    return f"api:{request.user.pk}:{digest}"


def _acting_case(order: Order):
    """The case the action is made from, as in the console: the order's latest case. Its page is
    where an administrator approves a refund over the limit, and its customer is told in their
    language once the shop has done it; an order with no case is refused (nothing written)."""
    case = order.cases.order_by("-pk").first()
    if case is None:
        raise OrderError(
            _(
                "Order %(number)s has no case: open one for it (POST /api/v1/cases with its order_id) "
                "so the customer is told and an approval has a place, then try again."
            )
            % {"number": order.number}
        )
    return case


def _act(
    request: HttpRequest,
    number: str,
    model: type[OrderAction],
    act: Callable[..., tuple[OrderAction, str]],
):
    """A money action on the order (by its number) as the token's agent would from its case page
    (`act(case, order, key, agent)`, care.money): 201 with the row and what happened, 200 when the
    request's Idempotency-Key made it before (nothing more is done)."""
    order = _order_by_number(number)
    key = _action_key(request)
    made_before = model.objects.filter(idempotency_key=key).exists()
    row, text = act(_acting_case(order), order, key, current_agent(request))
    row.message = text
    return Status(200 if made_before else 201, row)


MONEY_RESPONSES = errors(401, 403, 404, 422)


@router.get("/orders/{number}/refunds", response={200: list[RefundOut], **errors(401, 403, 404, 422)})
def list_refunds(request: HttpRequest, number: str):
    """The refunds of an order (by its shop number, case-insensitive), oldest first, with their state."""
    return _order_by_number(number).refunds.order_by("created_at", "pk")


@router.post(
    "/orders/{number}/refunds",
    response={200: RefundActionOut, 201: RefundActionOut, **MONEY_RESPONSES},
)
@idempotency_required
def refund_order(request: HttpRequest, number: str, payload: RefundIn):
    """Refund part or all of an order's captured payment, to the card or as store credit, as the
    token's agent would from the case page: the shop is asked, and the customer told once it is
    done. Over the agent's refund limit the refund waits for an administrator (status
    `awaiting_approval`) and nothing reaches the shop. The `Idempotency-Key` header is required and
    is the refund's key: the same request again refunds nothing more. 201 with the refund; 200 when
    the key's refund was already made; 422, with nothing written, when the refund cannot be made
    (an amount not refundable, no reason, a shop Premura cannot act on, an order with no case).
    """
    return _act(
        request,
        number,
        Refund,
        lambda case, order, key, agent: money.refund_order(
            case,
            order,
            amount=payload.amount,
            to=payload.to,
            idempotency_key=key,
            agent=agent,
            reason=payload.reason,
        ),
    )


@router.post(
    "/orders/{number}/cancel",
    response={200: CancellationOut, 201: CancellationOut, **MONEY_RESPONSES},
)
@idempotency_required
def cancel_order(request: HttpRequest, number: str, payload: CancelIn):
    """Cancel an order not yet shipped, as the token's agent would from the case page: an authorised
    card is voided at once, a captured payment refunded once the shop has cancelled, and the
    customer told. The `Idempotency-Key` header is required and is the cancellation's key. 201 with
    the cancellation; 200 when the key's cancellation was already made; 422, with nothing written,
    when the order cannot be cancelled (shipped, already cancelled or being cancelled, no reason, a
    shop Premura cannot act on, no case)."""
    return _act(
        request,
        number,
        Cancellation,
        lambda case, order, key, agent: money.cancel_order(
            case, order, idempotency_key=key, agent=agent, reason=payload.reason
        ),
    )


@router.get("/orders/{number}/coupons", response={200: list[CouponOut], **MONEY_RESPONSES})
def list_coupons(request: HttpRequest, number: str):
    """The coupons given on an order (by its shop number), oldest first, with their state and code."""
    return _order_by_number(number).coupons.order_by("created_at", "pk")


@router.post(
    "/orders/{number}/coupons", response={200: CouponActionOut, 201: CouponActionOut, **MONEY_RESPONSES}
)
@idempotency_required
def give_coupon(request: HttpRequest, number: str, payload: CouponIn):
    """Give the order's customer a single-use coupon made on the order's shop, as the token's agent
    would from the case page: an amount or a percentage off (optionally only on one of the order's
    categories), or free shipping; the customer gets its code once the shop made it. An amount
    over the agent's refund limit is refused. The `Idempotency-Key` header is required and is the
    coupon's key. 201 with the coupon; 200 when the key's coupon was already asked; 422, with
    nothing written, when it cannot be given (a value out of bounds, another category, an expiry
    past or more than a year ahead, over the limit, a shop Premura cannot act on, no case)."""
    return _act(
        request,
        number,
        Coupon,
        lambda case, order, key, agent: money.grant_coupon(
            case,
            order,
            kind=payload.kind,
            value=payload.value,
            category=payload.category,
            expires_on=payload.expires_on,
            idempotency_key=key,
            agent=agent,
            reason=payload.reason,
        ),
    )


@router.get("/orders/{number}/reshipments", response={200: list[ReshipmentOut], **MONEY_RESPONSES})
def list_reshipments(request: HttpRequest, number: str):
    """The re-shipments of an order (by its shop number), oldest first, with their replacement order."""
    return _order_by_number(number).reshipments.order_by("created_at", "pk")


@router.post(
    "/orders/{number}/reshipments",
    response={200: ReshipmentActionOut, 201: ReshipmentActionOut, **MONEY_RESPONSES},
)
@idempotency_required
def reship_order(request: HttpRequest, number: str, payload: ReshipIn):
    """Send the order's goods again, free, as a replacement order on its shop (the lines given, at
    most as many as ordered, or all of them); the customer is told the replacement's number. The
    `Idempotency-Key` header is required and is the re-shipment's key. 201; 200 when the key's
    re-shipment was already asked; 422, with nothing written, when it cannot be (lines not in the
    order, an order cancelled, refunded or already sent again, a shop Premura cannot act on, no case)."""
    lines = [line.model_dump() for line in payload.lines] if payload.lines is not None else None
    return _act(
        request,
        number,
        Reshipment,
        lambda case, order, key, agent: money.reship_order(
            case, order, idempotency_key=key, agent=agent, reason=payload.reason, lines=lines
        ),
    )


@router.get("/orders/{number}/address", response={200: list[AddressChangeOut], **MONEY_RESPONSES})
def list_address_changes(request: HttpRequest, number: str):
    """The delivery address changes of an order (by its shop number), oldest first, with their state."""
    return _order_by_number(number).address_changes.order_by("created_at", "pk")


@router.post(
    "/orders/{number}/address",
    response={200: AddressChangeActionOut, 201: AddressChangeActionOut, **MONEY_RESPONSES},
)
@idempotency_required
def change_address(request: HttpRequest, number: str, payload: AddressChangeIn):
    """Deliver an order not yet shipped to another address, on its shop; the order's address changes
    once the shop has it, and the customer is told. The `Idempotency-Key` header is required and
    is the change's key. 201; 200 when the key's change was already asked; 422, with nothing
    written, once the order is shipped, delivered, cancelled or refunded, while another change is
    under way, or for a shop Premura cannot act on, or no case."""
    address = services.ShippingAddress(**payload.address.model_dump())
    return _act(
        request,
        number,
        AddressChange,
        lambda case, order, key, agent: money.change_address(
            case, order, address=address, idempotency_key=key, agent=agent, reason=payload.reason
        ),
    )


# Shops' webhooks: no API token; each request is signed with the shop connection's secret.
webhooks_router = Router(tags=["shop webhooks"], auth=None)


def _receive(request: HttpRequest, platform: str, slug: str):
    connection = get_object_or_404(ShopConnection, platform=platform, slug=slug, is_active=True)
    if not connector_for(connection).receives_webhooks:
        raise HttpError(
            404,
            _("This shop's platform sends no webhooks: Premura reads its orders every 15 minutes."),
        )
    with signed_webhook(
        request,
        max_bytes=settings.SHOP_WEBHOOK_MAX_BYTES,
        not_signed=_("The request is not signed with this shop's secret."),
        unreadable_secret=_("This shop's secret cannot be read: an administrator must enter it again."),
        sender=f"shop connection {slug}",
    ):
        webhook, created = ingest.receive_webhook(connection, body=request.body, headers=request.headers)
    return Status(
        200,
        {
            "webhook_id": webhook.pk,
            "duplicate": not created,
            "status": webhook.status,
            "error": webhook.error,
        },
    )


SHOP_WEBHOOK_RESPONSES = {200: ShopWebhookAccepted, **errors(401, 404, 413, 503)}


def _header_doc(headers: dict[str, str]) -> dict:
    return {
        "parameters": [
            {
                "name": name,
                "in": "header",
                "required": True,
                "description": text,
                "schema": {"type": "string"},
            }
            for name, text in headers.items()
        ]
    }


@webhooks_router.post(
    "/shop/webhooks/shopify/{slug}",
    response=SHOP_WEBHOOK_RESPONSES,
    openapi_extra=_header_doc(
        {
            "X-Shopify-Hmac-Sha256": "Base64 HMAC-SHA256 of the raw body under the app's client secret.",
            "X-Shopify-Webhook-Id": "The delivery's id: a retry with the same id changes nothing.",
            "X-Shopify-Topic": "orders/create, orders/updated, orders/cancelled, fulfillments/create, ...",
        }
    ),
)
def shopify_webhook(request: HttpRequest, slug: str):
    """Shopify webhook (orders, fulfillments, refunds). 200 once the body is stored, also for a
    repeated `X-Shopify-Webhook-Id` (nothing changes then); 401 and nothing stored when the
    signature is missing or wrong."""
    return _receive(request, "shopify", slug)


@webhooks_router.post(
    "/shop/webhooks/woocommerce/{slug}",
    response=SHOP_WEBHOOK_RESPONSES,
    openapi_extra=_header_doc(
        {
            woocommerce.SIGNATURE_HEADER: "Base64 HMAC-SHA256 of the raw body under the webhook's secret.",
            woocommerce.TOPIC_HEADER: "order.created, order.updated, order.deleted, ...",
        }
    ),
)
def woocommerce_webhook(request: HttpRequest, slug: str):
    """WooCommerce webhook (orders, with their refunds). 200 once the body is stored, also for a
    body already received (nothing changes then); 401 and nothing stored when the signature is
    missing or wrong. WooCommerce's unsigned ping (`webhook_id=<n>`, sent when a webhook is saved)
    answers 200 with status `ping` and is not stored."""
    get_object_or_404(ShopConnection, platform="woocommerce", slug=slug, is_active=True)
    length = request.headers.get("Content-Length", "")
    small = is_ascii_number(length) and int(length) <= woocommerce.PING_MAX_BYTES
    if small and woocommerce.is_ping(request.body, request.headers):
        return Status(200, {"webhook_id": None, "duplicate": False, "status": "ping", "error": ""})
    return _receive(request, "woocommerce", slug)


@webhooks_router.post(
    "/shop/webhooks/generic/{slug}",
    response=SHOP_WEBHOOK_RESPONSES,
    openapi_extra=_header_doc(SIGNATURE_HEADERS),
)
def generic_webhook(request: HttpRequest, slug: str):
    """A custom shop's system: `{"event_id", "topic", ...}` (see commerce/connectors/generic.py),
    signed with `X-Premura-Signature` over the timestamp and the body; the timestamp must be within
    5 minutes of ours. A repeated `event_id` answers 200 and changes nothing."""
    return _receive(request, "generic", slug)


@webhooks_router.post("/shop/webhooks/prestashop/{slug}", response=SHOP_WEBHOOK_RESPONSES)
def prestashop_webhook(request: HttpRequest, slug: str):
    """PrestaShop sends no webhooks of its own: its orders come by the reconciliation job
    (decision 0034). Always 404 with the reason; nothing is stored."""
    return _receive(request, "prestashop", slug)
