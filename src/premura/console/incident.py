"""The incident panel's actions on the case page (thin views over care.parcel): ask the carrier
about the parcel, mark such a task done, approve or decline a partial refund. Like the other case
actions: POST with the CSRF token, agents only, the case read through `access_case` (404 for an
unknown case; a task or a case without an incident is a 404 too), htmx refreshes the case body
and a plain POST comes back to the case page."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.care import parcel
from premura.care.exceptions import CareError
from premura.care.models import CarrierAction, CarrierTask, Grant, Incident
from premura.console.views import _case_context, _refused
from premura.conversations.models import Case
from premura.conversations.queries import access_case
from premura.core.exceptions import DomainError
from premura.core.money import format_money


class CarrierRequestForm(forms.Form):
    action = forms.ChoiceField(choices=CarrierAction.choices)
    pickup_point = forms.CharField(required=False, max_length=parcel.MAX_POINT_LENGTH, strip=True)
    delivery_date = forms.DateField(required=False, label=gettext_lazy("new delivery date"))


def _locked_incident(agent: Agent, case_id: int) -> tuple[Case, Incident]:
    case = access_case(agent, case_id, lock=True)
    incident = Incident.objects.filter(case=case).first()
    if incident is None:
        raise Http404
    return case, incident


def _act(request: HttpRequest, agent: Agent, case_id: int, action: Callable[[Incident], str]) -> HttpResponse:
    """Run `action` on the case's incident in one transaction with the case locked; it returns the
    confirmation to show. A refused action writes nothing and says why in the panel (422)."""
    try:
        with transaction.atomic():
            _case, incident = _locked_incident(agent, case_id)
            confirmation = action(incident)
    except DomainError as error:
        return _refused(request, agent, case_id, "incident_panel", incident_error=str(error))
    if request.htmx:
        context = {**_case_context(access_case(agent, case_id), agent), "incident_confirmation": confirmation}
        return render(request, "console/case.html#case_body", context)
    messages.success(request, confirmation)
    return redirect("console:case", case_id=case_id)


@require_POST
@agent_required
def incident_carrier(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    """Ask the carrier to deliver again, to redirect to a pickup point, or to deliver on a date."""
    form = CarrierRequestForm(request.POST)

    def ask(incident: Incident) -> str:
        if not form.is_valid():
            raise CareError(" ".join(str(error) for errors in form.errors.values() for error in errors))
        data = form.cleaned_data
        task = parcel.ask_carrier(
            incident,
            data["action"],
            agent,
            pickup_point=data["pickup_point"],
            delivery_date=data["delivery_date"],
        )
        return _(
            "%(action)s: no connector sends it to %(carrier)s, so it is a task for you on the incident."
        ) % {
            "action": task.get_action_display(),
            "carrier": incident.shipment.carrier.name,
        }

    return _act(request, agent, case_id, ask)


@require_POST
@agent_required
def incident_task_done(request: HttpRequest, agent: Agent, case_id: int, task_id: int) -> HttpResponse:
    def finish(incident: Incident) -> str:
        task = CarrierTask.objects.filter(pk=task_id, incident=incident).first()
        if task is None:
            raise Http404
        parcel.finish_task(task, agent)
        return _("%(action)s: done.") % {"action": task.get_action_display()}

    return _act(request, agent, case_id, finish)


@require_POST
@agent_required
def incident_refund(request: HttpRequest, agent: Agent, case_id: int) -> HttpResponse:
    """Approve (decision=approve) or decline (decision=decline) the incident's partial refund."""
    decision = request.POST.get("decision", "")

    def decide(incident: Incident) -> str:
        grant = Grant.objects.filter(incident=incident).first()
        if grant is None:
            raise Http404
        if decision == "approve":
            grant = parcel.approve_refund(grant, agent)
            return _("Refund of %(amount)s requested.") % {
                "amount": format_money(grant.refund.amount, grant.refund.currency)
            }
        if decision == "decline":
            parcel.decline_refund(grant, agent)
            return _("Refund declined.")
        raise CareError(_("Approve or decline the refund."))

    return _act(request, agent, case_id, decide)
