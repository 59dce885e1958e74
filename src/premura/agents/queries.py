"""Read side of agents: an agent's notifications and refund limit."""

from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from premura.agents.models import Agent, Notification, RefundLimit


def unread_notification_count(agent: Agent, cap: int) -> int:
    """The agent's unread notifications, counted up to `cap` + 1 (a bounded range of
    notification_unread_idx): the header shows "cap+" beyond."""
    unread = Notification.objects.filter(recipient=agent, read_at__isnull=True).order_by()
    return unread[: cap + 1].count()


def notifications_for(agent: Agent) -> QuerySet[Notification]:
    """The agent's notifications, newest first, with their case."""
    return Notification.objects.filter(recipient=agent).select_related("case").order_by("-created_at", "-pk")


def access_notification(agent: Agent, notification_id: int) -> Notification:
    """One of the agent's own notifications; anyone else's is a 404."""
    try:
        return Notification.objects.get(pk=notification_id, recipient=agent)
    except Notification.DoesNotExist:
        raise Http404 from None


def refund_limit(agent: Agent, currency: str) -> Decimal | None:
    """The largest refund in `currency` the agent may give without an administrator's approval,
    from the administrators' RefundLimit row for the agent's role; None when there is no row."""
    row = RefundLimit.objects.filter(role=agent.role, currency=currency.upper()).first()
    return row.amount if row is not None else None
