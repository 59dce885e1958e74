"""The customer's side of the resolution policies (care.resolution): report from the order page
that the parcel never arrived or arrived damaged, choose the remedy the shop's policy offers, and
ask to cancel. Each POST is throttled with the portal's others (`portal_view`) and idempotent: a
second report of the same problem, or the same choice again, changes nothing."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override
from django.views.decorators.http import require_GET, require_POST

from premura.care import resolution
from premura.care.models import ParcelReport, PolicyKind, Remedy
from premura.commerce.exceptions import OrderError
from premura.commerce.models import Order
from premura.conversations.models import CaseReason
from premura.core.exceptions import DomainError
from premura.portal.services import open_case_from_portal
from premura.portal.views import portal_view

# The case a report from the portal opens: its reason, and the customer's words in its first message.
_REPORT_CASES = {
    PolicyKind.LOST_PARCEL: (CaseReason.DELIVERY, gettext_noop("My parcel has not arrived.")),
    PolicyKind.DAMAGED: (CaseReason.DAMAGED, gettext_noop("My order arrived damaged.")),
}


def _report_of(order: Order, report_id: int) -> ParcelReport:
    report = ParcelReport.objects.filter(pk=report_id, order=order).select_related("case").first()
    if report is None:
        raise Http404
    return report


@require_POST
@portal_view
def report(request: HttpRequest, order: Order) -> HttpResponse:
    """Report a problem with the parcel: a case is opened in the customer's words (their
    language) and the shop's policy decides at once."""
    problem = request.POST.get("problem", "")
    if problem not in _REPORT_CASES:
        raise Http404
    existing = ParcelReport.objects.filter(order=order, problem=problem).first()
    if existing is not None:
        return redirect("portal:report", order_id=order.pk, report_id=existing.pk)
    reason, words = _REPORT_CASES[problem]
    try:
        # All or nothing: a report the policy refuses leaves no case behind.
        with transaction.atomic(), override(order.customer.language):
            case = open_case_from_portal(order=order, reason=reason, body=_(words))
            created = resolution.report_problem(case, order, problem)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("portal:order", order_id=order.pk)
    return redirect("portal:report", order_id=order.pk, report_id=created.pk)


@require_GET
@portal_view
def report_page(request: HttpRequest, order: Order, report_id: int) -> HttpResponse:
    report = _report_of(order, report_id)
    context = {"order": order, "report": report, "remedies": resolution.offered_remedies(report)}
    return render(request, "portal/report.html", context)


@require_POST
@portal_view
def choose(request: HttpRequest, order: Order, report_id: int) -> HttpResponse:
    """The customer's choice of remedy; the shop's confirmation follows by e-mail."""
    report = _report_of(order, report_id)
    remedy = request.POST.get("remedy", "")
    if remedy not in Remedy.values:
        raise Http404
    try:
        resolution.choose(report, remedy)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you: we are on it, and we will confirm by e-mail."))
    return redirect("portal:report", order_id=order.pk, report_id=report.pk)


@require_POST
@portal_view
def cancel(request: HttpRequest, order: Order) -> HttpResponse:
    """The customer asks to cancel: cancelled at once before shipment when the shop's policy says
    so, return instructions after shipment; otherwise the case waits for an agent."""
    try:
        with override(order.customer.language):
            case = open_case_from_portal(
                order=order, reason=CaseReason.RETURN, body=_("I would like to cancel my order.")
            )
        answer = resolution.cancel_on_request(case, order)
    except (DomainError, OrderError) as error:
        messages.error(request, str(error))
        return redirect("portal:order", order_id=order.pk)
    if answer.cancellation is not None:
        messages.success(request, _("Your order is being cancelled: we confirm by e-mail once it is done."))
    elif answer.instructions:
        messages.success(request, _("Your order has already left: we have e-mailed you how to send it back."))
    else:
        messages.success(request, _("We have received your request: we will answer you soon."))
    return redirect("portal:case", order_id=order.pk, case_id=case.pk)
