"""Money actions from a case (docs/architecture.md, "Money"; decisions 0030, 0031): the agent's
refund limit (agents; an amount coupon counts against it too), the action itself
(commerce.services: the row, then the platform in a task) for a refund, a cancellation, a coupon, a
re-shipment or a new delivery address, and the customer's confirmation in their language
(channels.services.send) once the platform has done it, which commerce says on commit with
`money_action_settled`.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from premura.agents.models import Agent, Notification, NotificationKind
from premura.agents.queries import refund_limit
from premura.agents.services import administrators, notify
from premura.care.display import date_phrase
from premura.care.services import quiet_hours_end
from premura.channels import outbox
from premura.channels import services as channels
from premura.channels.acknowledgements import language_of
from premura.channels.exceptions import NoRecipient
from premura.channels.models import OutboundKind
from premura.channels.rendering import render_mail
from premura.commerce import services as commerce
from premura.commerce.exceptions import OrderError
from premura.commerce.models import (
    ActionStatus,
    AddressChange,
    Cancellation,
    CancellationOutcome,
    Coupon,
    CouponKind,
    Order,
    Refund,
    RefundStatus,
    Reshipment,
)
from premura.commerce.services import OrderAction, ShippingAddress
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


def grant_coupon(
    case: Case,
    order: Order,
    *,
    kind: str,
    value: Decimal,
    idempotency_key: str,
    agent: Agent,
    reason: str,
    category: str = "",
    expires_on: datetime.date | None = None,
) -> tuple[Coupon, str]:
    """A single-use coupon for the case's customer on the order's shop (commerce.create_coupon).
    An amount coupon is money given: over the agent's refund limit it is refused (OrderError,
    nothing written); an administrator gives it. Returns the coupon and what to tell the agent."""
    limit = refund_limit(agent, order.currency)
    if kind == CouponKind.AMOUNT and limit is not None and value > limit:
        raise OrderError(
            _("A coupon of %(amount)s is over your limit of %(limit)s: ask an administrator to give it.")
            % {"amount": format_money(value, order.currency), "limit": format_money(limit, order.currency)}
        )
    coupon = commerce.create_coupon(
        order,
        kind=kind,
        value=value,
        idempotency_key=idempotency_key,
        actor=agent.user,
        reason=reason,
        case=case,
        category=category,
        expires_on=expires_on,
    )
    return coupon, _("Coupon (%(value)s) asked of the shop: the customer gets its code once it is made.") % {
        "value": coupon_value(coupon)
    }


def coupon_value(coupon: Coupon) -> str:
    """What the coupon gives, for the agent, in the page's language: an amount off, "15% off",
    "free shipping"."""
    if coupon.kind == CouponKind.AMOUNT:
        return _("%(amount)s off") % {"amount": format_money(coupon.value, coupon.currency)}
    if coupon.kind == CouponKind.PERCENTAGE:
        return _("%(percent)s%% off") % {"percent": f"{coupon.value.normalize():f}"}
    return _("free shipping")


def reship_order(
    case: Case,
    order: Order,
    *,
    idempotency_key: str,
    agent: Agent,
    reason: str,
    lines: list[dict] | None = None,
) -> tuple[Reshipment, str]:
    """Send the case's order again, free: its `lines` ([{sku, quantity}]), every one when None
    (commerce.reship). Returns the row and what to tell the agent; raises commerce's OrderError,
    nothing written, when it cannot be."""
    reshipment = commerce.reship(
        order, idempotency_key=idempotency_key, actor=agent.user, reason=reason, case=case, lines=lines
    )
    return reshipment, _(
        "Order %(number)s is being sent again: the customer is told the new order's number once the "
        "shop has made it."
    ) % {"number": order.number}


def change_address(
    case: Case, order: Order, *, address: ShippingAddress, idempotency_key: str, agent: Agent, reason: str
) -> tuple[AddressChange, str]:
    """Deliver the case's unshipped order elsewhere (commerce.change_address). Returns the row and
    what to tell the agent; raises commerce's OrderError, nothing written, when it cannot be."""
    change = commerce.change_address(
        order, address=address, idempotency_key=idempotency_key, actor=agent.user, reason=reason, case=case
    )
    return change, _(
        "New delivery address for order %(number)s asked of the shop: the customer is told once it is "
        "changed."
    ) % {"number": order.number}


# The confirmation of each action once the platform has done it: its templates and their name
# for the row.
CONFIRMATIONS = {
    Refund: ("care/emails/refund", "refund"),
    Cancellation: ("care/emails/cancellation", "cancellation"),
    Coupon: ("care/emails/coupon", "coupon"),
    Reshipment: ("care/emails/reshipment", "reshipment"),
    AddressChange: ("care/emails/address_change", "change"),
}


def _confirmation_context(action: OrderAction, case: Case) -> dict:
    template, name = CONFIRMATIONS[type(action)]
    context = {"order_number": action.order.number, name: action}
    if isinstance(action, Refund):
        context["expected_by"] = _expected_by(action, case)
    if isinstance(action, Coupon):
        context["expires"] = _day(action.expires_on, case)
    return context


def on_money_action_settled(sender, *, action: OrderAction, **kwargs) -> None:
    """commerce did a money action on the platform: tell the customer of its case, once. One no
    agent asked (a care grant's coupon, a policy's re-shipment) waits for the end of the
    customer's quiet hours."""
    if action.case_id is None or action.status == ActionStatus.FAILED:
        return
    case = Case.objects.select_related("customer").get(pk=action.case_id)
    template = CONFIRMATIONS[type(action)][0]
    now, customer = clock.now(), case.customer
    held = action.requested_by_id is None and customer.is_in_quiet_hours(now)
    try:
        channels.send(
            case,
            OutboundKind.NOTICE,
            template,
            _confirmation_context(action, case),
            not_before=quiet_hours_end(customer, now) if held else None,
            dedupe_key=f"{action._meta.model_name}-confirmation:{action.pk}",
        )
    except NoRecipient:
        record_event(case, "money_action.unconfirmed", reason="no e-mail address", order=action.order.number)


def _day(day: datetime.date | None, case: Case) -> str:
    if day is None:
        return ""
    return date_phrase(day, language_of(case), today=timezone.localtime(clock.now()).date())


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
    """What the customer will be told, in their language, for each action on the order now: a
    cancellation, a refund of what is left to refund (the amount typed replaces it), a coupon (an
    example: the kind, value and dates chosen replace it), a re-shipment of every line, a new
    address (the one typed replaces it). The e-mail bodies `on_money_action_settled` sends,
    rendered with the rows those actions would write."""
    shop_name = outbox.sender_name(outbox.mailbox_for(case))
    base = {
        "case": case,
        "number": case.number,
        "customer_name": case.customer.full_name.strip(),
        "shop_name": shop_name,
        "order_number": order.number,
    }
    language = language_of(case)
    outcome, amount = commerce.cancellation_outcome(order)
    left = commerce.refundable_amount(order)
    refund = Refund(order=order, amount=left, currency=order.currency, status=RefundStatus.SUBMITTED)
    refund.expected_arrival_at = clock.now() + datetime.timedelta(days=settings.REFUND_ARRIVAL_DAYS)
    with translation.override(language):
        # Words the shop's platform fills in once it has done the action.
        code, replacement = _("(the code the shop makes)"), _("(the new order's number)")
    rows = [
        Cancellation(order=order, outcome=outcome, amount=amount, currency=order.currency),
        refund,
        Coupon(
            order=order,
            kind=CouponKind.PERCENTAGE,
            value=Decimal("10"),
            currency=order.currency,
            code=code,
            expires_on=timezone.localdate(clock.now()) + datetime.timedelta(days=COUPON_DAYS),
        ),
        Reshipment(order=order, replacement_number=replacement),
        AddressChange(
            order=order, **{f"shipping_{k}": v for k, v in vars(commerce.order_address(order)).items()}
        ),
    ]
    previews = {}
    for name, row in zip(("cancel", "refund", "coupon", "reship", "address"), rows, strict=True):
        template = CONFIRMATIONS[type(row)][0]
        previews[name] = render_mail(
            f"{template}_subject.txt",
            f"{template}_body.txt",
            {**base, **_confirmation_context(row, case)},
            language,
        )[1]
    return previews


# How long a coupon given from the console is valid unless the agent chooses.
COUPON_DAYS = 90
