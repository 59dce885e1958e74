"""Read side of the portal and its access getters: the one place that decides what a link shows.

A token grants one order of one customer (links.py); the session holds the tokens of the links
this browser opened (sessions.py). Everything else a portal URL names (a case, an attachment) is
looked up *through* that order, so an id changed in the URL reaches nothing else.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest

from premura.care.resolution import reportable_problems
from premura.commerce.models import Order, OrderStatus
from premura.conversations.models import Attachment, Case, Direction, Message
from premura.portal.links import InvalidLink, read_token
from premura.portal.sessions import remembered_token
from premura.shipping.queries import order_with_details


def access_order(token: str) -> Order:
    """The order the token grants, with its details. Raises InvalidLink."""
    grant = read_token(token)
    try:
        order = order_with_details(grant.order_id)
    except Order.DoesNotExist:
        raise InvalidLink from None
    # The order must still belong to the customer the link was made for.
    if order.customer_id != grant.customer_id:
        raise InvalidLink
    return order


def access_session_order(request: HttpRequest, order_id: int) -> Order:
    """The order of the URL, if this session opened a link to it that is still valid (checked again
    as `access_order` checks a link). Raises InvalidLink otherwise: no link, expired, changed hands.
    """
    token = remembered_token(request, order_id)
    if token is None:
        raise InvalidLink
    order = access_order(token)
    if order.pk != order_id:
        raise InvalidLink
    return order


def order_cases(order: Order) -> QuerySet[Case]:
    """The customer's cases on this order, most recently active first."""
    return Case.objects.filter(order=order, customer_id=order.customer_id).order_by(
        "-last_activity_at", "-pk"
    )


def access_case(order: Order, case_id: int) -> Case:
    """A case of this order and of its customer; anything else is a 404."""
    try:
        return Case.objects.select_related("customer").get(
            pk=case_id,
            order=order,
            customer_id=order.customer_id,
        )
    except Case.DoesNotExist:
        raise Http404 from None


def _seen_by_customer(case: Case, prefix: str = "") -> Q:
    """Messages the customer wrote themselves, and those written to them. Never internal notes,
    nor what an agent wrote on their behalf (a summary of a phone call is the desk's words)."""
    written_by_them = Q(
        **{f"{prefix}direction": Direction.INBOUND, f"{prefix}author_customer_id": case.customer_id}
    )
    written_to_them = Q(**{f"{prefix}direction": Direction.OUTBOUND})
    return (written_by_them | written_to_them) & Q(**{f"{prefix}is_internal": False})


def customer_messages(case: Case) -> QuerySet[Message]:
    """The conversation as the customer sees it (`_seen_by_customer`)."""
    return (
        case.messages.filter(_seen_by_customer(case))
        .select_related("author_agent")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def access_attachment(case: Case, attachment_id: int) -> Attachment:
    """An attachment of a message the customer can see on this case; anything else is a 404."""
    try:
        return Attachment.objects.get(
            _seen_by_customer(case, "message__"), pk=attachment_id, message__case=case
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


def order_actions(order: Order) -> dict:
    """What the order page offers beyond reading: the parcel reports made, the problems that can
    be reported now (care.resolution.reportable_problems), and whether the customer may ask to
    cancel (until it is delivered, and only once)."""
    return {
        "reports": list(order.parcel_reports.order_by("created_at")),
        "can_report": reportable_problems(order),
        "can_ask_to_cancel": order.status in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED)
        and not order.cancellations.exists(),
    }
