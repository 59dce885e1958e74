"""The case page's money actions (docs/architecture.md, "Money"): cancel and refund the case's
order, give a coupon, send it again, change its delivery address, and an administrator's approval
of a refund over its requester's limit. Plain POSTs that
go back to the case page with what happened in a flash message; each form carries the
idempotency key it was rendered with, so a double click makes one action."""

import datetime
import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from premura.agents.access import agent_required
from premura.agents.models import Agent, Role
from premura.care import money
from premura.commerce import services as commerce
from premura.commerce.exceptions import OrderError
from premura.commerce.models import (
    ActionStatus,
    CouponKind,
    Order,
    Refund,
    RefundDestination,
    RefundStatus,
)
from premura.commerce.services import ShippingAddress
from premura.conversations.models import Case
from premura.conversations.queries import access_case
from premura.core import clock


class MoneyForm(forms.Form):
    idempotency_key = forms.CharField(max_length=64)
    reason = forms.CharField(max_length=200, label=gettext_lazy("Reason"))


class RefundForm(MoneyForm):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    to = forms.ChoiceField(choices=RefundDestination.choices)


class CouponForm(MoneyForm):
    kind = forms.ChoiceField(choices=CouponKind.choices, label=gettext_lazy("Kind"))
    value = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, label=gettext_lazy("Value")
    )
    category = forms.CharField(max_length=100, required=False, label=gettext_lazy("Only on the category"))
    expires_on = forms.DateField(required=False, label=gettext_lazy("Expires on"))


class AddressForm(MoneyForm):
    name = forms.CharField(max_length=200, label=gettext_lazy("Ship to"))
    street = forms.CharField(max_length=200, label=gettext_lazy("Street"))
    postcode = forms.CharField(max_length=16, label=gettext_lazy("Postcode"))
    city = forms.CharField(max_length=100, label=gettext_lazy("City"))
    province = forms.CharField(max_length=8, required=False, label=gettext_lazy("Province"))
    country = forms.CharField(max_length=2, min_length=2, label=gettext_lazy("Country"))


def money_panel(case: Case, agent: Agent, order: Order | None) -> dict | None:
    """The order panel's money actions: whether the shop takes them (and which, for the order's
    state), what is left to refund, what the customer will be told, a fresh idempotency key per
    form, the actions asked with their state, and the refunds waiting for an administrator (with
    their buttons when the agent is one)."""
    if order is None:
        return None
    actionable = commerce.shop_connection(order) is not None and bool(order.external_id)
    reshipments = list(order.reshipments.order_by("-created_at"))
    return {
        "actionable": actionable,
        "can_cancel": actionable and order.status in commerce.CANCELLABLE_STATUSES,
        "can_reship": actionable
        and order.status in commerce.RESHIPPABLE_STATUSES
        and all(r.status == ActionStatus.FAILED for r in reshipments),
        "can_change_address": actionable and order.status in commerce.CANCELLABLE_STATUSES,
        "refundable": commerce.refundable_amount(order),
        "previews": money.confirmation_previews(case, order) if actionable else {},
        "cancel_key": uuid.uuid4().hex,
        "refund_key": uuid.uuid4().hex,
        "coupon_key": uuid.uuid4().hex,
        "reship_key": uuid.uuid4().hex,
        "address_key": uuid.uuid4().hex,
        "destinations": RefundDestination.choices,
        "coupon_kinds": CouponKind.choices,
        "categories": sorted({line.category for line in order.lines.all() if line.category}),
        "coupon_expires": timezone.localdate(clock.now()) + datetime.timedelta(days=money.COUPON_DAYS),
        "awaiting": [r for r in order.refunds.all() if r.status == RefundStatus.AWAITING_APPROVAL],
        "can_approve": agent.role == Role.ADMIN,
        "cancellations": list(order.cancellations.order_by("-created_at")),
        "coupons": [(c, money.coupon_value(c)) for c in order.coupons.order_by("-created_at")],
        "reshipments": reshipments,
        "address_changes": list(order.address_changes.order_by("-created_at")),
    }


def _case_order(agent: Agent, case_id: int) -> tuple[Case, Order]:
    case = access_case(agent, case_id)
    if case.order is None:
        raise Http404
    return case, case.order


def _first_error(form: forms.Form) -> str:
    return next(f"{form.fields[name].label or name}: {errors[0]}" for name, errors in form.errors.items())


def _act(request: HttpRequest, case_id: int, form: forms.Form, act) -> HttpResponse:
    """Run `act(cleaned_data)` when the form is valid; its words, or the refusal's, as a flash
    message on the case page."""
    if not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        try:
            _, text = act(form.cleaned_data)
        except OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, text)
    return redirect("console:case", case_id=case_id)


@require_POST
@agent_required
def case_cancel_order(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case, order = _case_order(agent, case_id)
    return _act(
        request,
        case_id,
        MoneyForm(request.POST),
        lambda data: money.cancel_order(
            case, order, idempotency_key=data["idempotency_key"], agent=agent, reason=data["reason"]
        ),
    )


@require_POST
@agent_required
def case_refund_order(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case, order = _case_order(agent, case_id)
    return _act(
        request,
        case_id,
        RefundForm(request.POST),
        lambda data: money.refund_order(
            case,
            order,
            amount=data["amount"],
            to=data["to"],
            idempotency_key=data["idempotency_key"],
            agent=agent,
            reason=data["reason"],
        ),
    )


@require_POST
@agent_required
def case_coupon(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case, order = _case_order(agent, case_id)
    return _act(
        request,
        case_id,
        CouponForm(request.POST),
        lambda data: money.grant_coupon(
            case,
            order,
            kind=data["kind"],
            value=data["value"] or Decimal("0"),
            category=data["category"],
            expires_on=data["expires_on"],
            idempotency_key=data["idempotency_key"],
            agent=agent,
            reason=data["reason"],
        ),
    )


@require_POST
@agent_required
def case_reship(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case, order = _case_order(agent, case_id)
    return _act(
        request,
        case_id,
        MoneyForm(request.POST),
        lambda data: money.reship_order(
            case, order, idempotency_key=data["idempotency_key"], agent=agent, reason=data["reason"]
        ),
    )


@require_POST
@agent_required
def case_change_address(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    case, order = _case_order(agent, case_id)
    return _act(
        request,
        case_id,
        AddressForm(request.POST),
        lambda data: money.change_address(
            case,
            order,
            address=ShippingAddress(
                **{name: data[name] for name in ("name", "street", "postcode", "city", "province", "country")}
            ),
            idempotency_key=data["idempotency_key"],
            agent=agent,
            reason=data["reason"],
        ),
    )


@require_POST
@agent_required
def case_refund_decision(request: HttpRequest, agent: Agent, case_id: int, refund_id: int) -> HttpResponse:
    """An administrator approves (`decision=approve`) or declines a refund of the case's order."""
    if agent.role != Role.ADMIN:
        messages.error(request, _("Only an administrator approves refunds over an agent's limit."))
        return redirect("console:case", case_id=case_id)
    case, order = _case_order(agent, case_id)
    refund = Refund.objects.filter(pk=refund_id, order=order).first()
    if refund is None:
        raise Http404
    decisions = {"approve": money.approve_refund, "reject": money.reject_refund}
    decide = decisions.get(request.POST.get("decision", ""))
    if decide is None:  # never read a missing or unknown answer as a refusal
        messages.error(request, _("Approve or decline the refund."))
        return redirect("console:case", case_id=case_id)
    try:
        messages.success(request, decide(refund, agent=agent))
    except OrderError as error:
        messages.error(request, str(error))
    return redirect("console:case", case_id=case_id)
