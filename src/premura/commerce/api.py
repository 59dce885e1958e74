"""Orders in the REST API: /api/v1/orders."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.api.errors import errors, referenced
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset
from premura.commerce import services
from premura.commerce.models import Order
from premura.commerce.schemas import OrderDetailOut, OrderFilters, OrderIn, OrderOut
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
