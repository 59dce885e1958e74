"""Read side of the portal and its access getters: the one place that decides what a link shows.

A token grants one order of one customer (links.py). Everything else a portal URL names (a case, an
attachment) is looked up *through* that order, so an id changed in the URL reaches nothing else.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from premura.commerce.models import Order
from premura.commerce.queries import order_with_details
from premura.conversations.models import Attachment, Case, Message
from premura.portal.links import InvalidLink, read_token


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


def customer_messages(case: Case) -> QuerySet[Message]:
    """The conversation as the customer sees it: internal notes are never part of it."""
    return (
        case.messages.filter(is_internal=False)
        .select_related("author_agent")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def access_attachment(case: Case, attachment_id: int) -> Attachment:
    """An attachment of a message the customer can see on this case; anything else is a 404."""
    try:
        return Attachment.objects.get(
            pk=attachment_id,
            message__case=case,
            message__is_internal=False,
        )
    except Attachment.DoesNotExist:
        raise Http404 from None
