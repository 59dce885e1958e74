"""The case page's parcel reports (thin views over care.resolution): report that the case's order
never arrived or arrived damaged on the customer's behalf, decide a report in review, choose the
remedy for the customer. Plain POSTs with the CSRF token, agents only, the case read through
`access_case` (404 for a case the agent cannot see, or a report of another case); what happened
comes back as a flash message on the case page."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.care import resolution
from premura.care.exceptions import CareError
from premura.care.models import ParcelReport, Remedy
from premura.conversations.models import Case
from premura.conversations.queries import access_case
from premura.core.exceptions import DomainError


class ReportForm(forms.Form):
    problem = forms.ChoiceField(choices=[(kind, kind) for kind in resolution.REPORTED_PROBLEMS])


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("decline", "decline")])
    note = forms.CharField(required=False, max_length=1000)


class RemedyForm(forms.Form):
    remedy = forms.ChoiceField(choices=Remedy.choices)


def reports_panel(case: Case) -> dict | None:
    """The order's reports with what may be chosen for each, and whether a new one can be made."""
    if case.order is None:
        return None
    reports = list(case.order.parcel_reports.select_related("decided_by").order_by("created_at"))
    return {
        "reports": [(report, resolution.offered_remedies(report)) for report in reports],
        "can_report": resolution.reportable_problems(case.order),
    }


def _act(request: HttpRequest, agent: Agent, case_id: int, act: Callable[[Case], str]) -> HttpResponse:
    """Run `act` with the case locked, in one transaction; its words, or the refusal's, as a
    flash message on the case page (a refusal writes nothing)."""
    try:
        with transaction.atomic():
            text = act(access_case(agent, case_id, lock=True))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, text)
    return redirect("console:case", case_id=case_id)


def _report_of(case: Case, report_id: int) -> ParcelReport:
    report = ParcelReport.objects.filter(pk=report_id, case=case).first()
    if report is None:
        raise Http404
    return report


def _check(form: forms.Form) -> dict:
    if not form.is_valid():
        raise CareError(" ".join(str(error) for errors in form.errors.values() for error in errors))
    return form.cleaned_data


@require_POST
@agent_required
def report_parcel(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    """Report, for the customer, that the case's order never arrived or arrived damaged."""
    form = ReportForm(request.POST)

    def act(case: Case) -> str:
        if case.order is None:
            raise Http404
        report = resolution.report_problem(case, case.order, _check(form)["problem"], actor=agent.user)
        return _("Reported: %(state)s.") % {"state": report.get_state_display()}

    return _act(request, agent, case_id, act)


@require_POST
@agent_required
def decide_report(request: HttpRequest, agent: Agent, case_id: int, report_id: int) -> HttpResponse:
    """Approve or decline a report in review; the customer is told either way."""
    form = DecisionForm(request.POST)

    def act(case: Case) -> str:
        report, data = _report_of(case, report_id), _check(form)
        approve = data["decision"] == "approve"
        report = resolution.decide(report, approve=approve, agent=agent, note=data["note"])
        return _("Decided: %(state)s. The customer is told.") % {"state": report.get_state_display()}

    return _act(request, agent, case_id, act)


@require_POST
@agent_required
def choose_remedy(request: HttpRequest, agent: Agent, case_id: int, report_id: int) -> HttpResponse:
    """Choose the remedy for the customer (they asked by phone or by message)."""
    form = RemedyForm(request.POST)

    def act(case: Case) -> str:
        report = resolution.choose(_report_of(case, report_id), _check(form)["remedy"], actor=agent.user)
        return _("%(remedy)s: asked of the shop; the customer gets a confirmation once it is done.") % {
            "remedy": report.get_remedy_display()
        }

    return _act(request, agent, case_id, act)
