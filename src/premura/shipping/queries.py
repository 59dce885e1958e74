"""Read side of shipping: an order with everything the case page and the portal show beside it.

It lives here, not in commerce, because it reads shipments: commerce sits below shipping and
never imports it (docs/architecture.md, "Apps").
"""

from django.db.models import Prefetch

from premura.commerce.models import Order
from premura.shipping.models import Shipment, TrackingEvent


def order_with_details(order_id: int) -> Order:
    """The order with its lines, payments, refunds and shipments (events newest first)."""
    return (
        Order.objects.select_related("customer")
        .prefetch_related(
            "lines",
            "payments",
            "refunds",
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("carrier").prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
                ),
            ),
        )
        .get(pk=order_id)
    )
