"""Money actions from a case (docs/architecture.md, "Money"; decision 0030): the agent's refund
limit (agents), the action itself (commerce.services: the row, then the platform in a task), and
the customer's confirmation in their language (channels.services.send) once the platform has done
it, which commerce says on commit with `money_action_settled`.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from premura.agents.models import Agent, Notification, NotificationKind
from premura.agents.queries import refund_limit
from premura.agents.services import administrators, notify
from premura.care.display import date_phrase
from premura.channels import outbox
from premura.channels import services as channels
from premura.channels.acknowledgements import language_of
from premura.channels.exceptions import NoRecipient
from premura.channels.models import OutboundKind
from premura.channels.rendering import render_mail
from premura.commerce import services as commerce
from premura.commerce.models import (
    Cancellation,
    CancellationOutcome,
    CancellationStatus,
    Order,
    Refund,
    RefundStatus,
)
from premura.conversations.models import Case
from premura.core import clock
from premura.core.audit import record_event
from premura.core.money import format_money

logger = logging.getLogger(__name__)


def refund_order(
    case: Case, order: Order, *, amount: Decimal, to: str, idempotency_key: str, agent: Agent, reason: str
) -> tuple[Refund, str]:
    """Refund `amount` of the case's order as the agent, within their role's limit (over it, the
    refund waits for an administrator, who is notified once). Returns the refund and what to tell
    the agent. Idempotent on the key (commerce.services.refund); raises its RefundError, with
    nothing written, for a refund that cannot be made."""
    limit = refund_limit(agent, order.currency)
    with transaction.atomic():
        refund = commerce.refund(
            order,
            amount,
            to=to,
            idempotency_key=idempotency_key,
            actor=agent.user,
            reason=reason,
            case=case,
            limit=limit,
        )
        shown = format_money(refund.amount, refund.currency)
        if refund.status != RefundStatus.AWAITING_APPROVAL:
            return refund, _(
                "Refund of %(amount)s asked of the shop: the customer gets a confirmation once it is done."
            ) % {"amount": shown}
        asked = Notification.objects.filter(kind=NotificationKind.REFUND_APPROVAL, data__refund_id=refund.pk)
        if not asked.exists():
            notify(
                administrators(),
                kind=NotificationKind.REFUND_APPROVAL,
                case_id=case.pk,
                data={
                    "refund_id": refund.pk,
                    "order": order.number,
                    "amount": str(refund.amount),
                    "currency": refund.currency,
                    "requested_by": agent.display_name,
                },
            )
    return refund, _(
        "Refunds over %(limit)s need an administrator's approval: your request for %(amount)s was sent "
        "to them. The customer hears from us once it is approved and done."
    ) % {"limit": format_money(limit, refund.currency), "amount": shown}


def cancel_order(
    case: Case, order: Order, *, idempotency_key: str, agent: Agent, reason: str
) -> tuple[Cancellation, str]:
    """Cancel the case's unshipped order as the agent. Returns the cancellation and what to tell
    the agent about the money (released at once, refunded, or nothing paid). Idempotent on the
    key; raises commerce's OrderError, with nothing written, for an order that cannot be cancelled."""
    cancellation = commerce.cancel(
        order, idempotency_key=idempotency_key, actor=agent.user, reason=reason, case=case
    )
    values = {"number": order.number, "amount": format_money(cancellation.amount, cancellation.currency)}
    if cancellation.outcome == CancellationOutcome.VOID:
        text = _(
            "Order %(number)s is being cancelled: the card authorisation of %(amount)s is voided at once, "
            "so the customer's money is free; they are told when the shop confirms."
        )
    elif cancellation.outcome == CancellationOutcome.REFUND:
        text = _(
            "Order %(number)s is being cancelled: the %(amount)s paid is refunded to the card once the "
            "shop confirms, and the customer is told."
        )
    else:
        text = _(
            "Order %(number)s is being cancelled: nothing was paid; the customer is told when the "
            "shop confirms."
        )
    return cancellation, text % values


def on_money_action_settled(sender, *, action: Refund | Cancellation, **kwargs) -> None:
    """commerce did a money action on the platform: tell the customer of its case, once."""
    if action.case_id is None or action.status in (RefundStatus.FAILED, CancellationStatus.FAILED):
        return
    case = Case.objects.select_related("customer").get(pk=action.case_id)
    order = action.order
    if isinstance(action, Refund):
        template, key = "care/emails/refund", f"refund-confirmation:{action.pk}"
        context = {"refund": action, "expected_by": _expected_by(action, case)}
    else:
        template, key = "care/emails/cancellation", f"cancellation-confirmation:{action.pk}"
        context = {"cancellation": action}
    try:
        channels.send(
            case, OutboundKind.NOTICE, template, {"order_number": order.number, **context}, dedupe_key=key
        )
    except NoRecipient:
        record_event(case, "money_action.unconfirmed", reason="no e-mail address", order=order.number)


def _expected_by(refund: Refund, case: Case) -> str:
    if refund.expected_arrival_at is None or refund.status != RefundStatus.SUBMITTED:
        return ""
    today = timezone.localtime(clock.now()).date()
    return date_phrase(timezone.localtime(refund.expected_arrival_at).date(), language_of(case), today=today)


def approve_refund(refund: Refund, *, agent: Agent) -> str:
    """An administrator approves a refund over its requester's limit; the platform call follows.
    Raises commerce's RefundError unless it awaits approval. Returns what to tell them."""
    commerce.approve_refund(refund, actor=agent.user)
    return _("Refund of %(amount)s approved: it is asked of the shop now.") % {
        "amount": format_money(refund.amount, refund.currency)
    }


def reject_refund(refund: Refund, *, agent: Agent) -> str:
    """An administrator declines a refund over its requester's limit (nothing reaches the shop)."""
    commerce.reject_refund(refund, actor=agent.user)
    return _("Refund of %(amount)s not approved: nothing was asked of the shop.") % {
        "amount": format_money(refund.amount, refund.currency)
    }


def confirmation_previews(case: Case, order: Order) -> dict[str, str]:
    """What the customer will be told, in their language, for a cancellation of the order now and
    for a refund of what is left to refund (the amount typed replaces it): the e-mail bodies
    `on_money_action_settled` sends, rendered with the rows those actions would write."""
    shop_name = outbox.sender_name(outbox.mailbox_for(case))
    base = {
        "case": case,
        "number": case.number,
        "customer_name": case.customer.full_name.strip(),
        "shop_name": shop_name,
    }
    language = language_of(case)
    outcome, amount = commerce.cancellation_outcome(order)
    cancellation = Cancellation(order=order, outcome=outcome, amount=amount, currency=order.currency)
    left = commerce.refundable_amount(order)
    refund = Refund(order=order, amount=left, currency=order.currency, status=RefundStatus.SUBMITTED)
    refund.expected_arrival_at = clock.now() + datetime.timedelta(days=settings.REFUND_ARRIVAL_DAYS)
    previews = {}
    for name, template, context in (
        ("cancel", "care/emails/cancellation", {"cancellation": cancellation}),
        ("refund", "care/emails/refund", {"refund": refund, "expected_by": _expected_by(refund, case)}),
    ):
        previews[name] = render_mail(
            f"{template}_subject.txt",
            f"{template}_body.txt",
            {**base, "order_number": order.number, **context},
            language,
        )[1]
    return previews
