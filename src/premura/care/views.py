"""Care's pages in the console (mounted under /console/care/): the incidents of the day, by kind,
carrier and promised date, the report of care's measures over a period, and the agent's "done"
on a step the customer waits on. Agents only, like the console."""

import datetime
import zoneinfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.care import promises
from premura.care.display import shop_today
from premura.care.models import Compensation, PendingStep, Situation
from premura.care.queries import care_report, incident_counts, open_carrier_tasks, todays_incidents
from premura.conversations.queries import access_case
from premura.core.text import is_ascii_number
from premura.shipping.models import Carrier

MAX_ROWS = 500
REPORT_DAYS = 30  # the report's period when none is asked for: the last 30 days
MAX_REPORT_DAYS = 366


@require_GET
@agent_required
def incidents(request: HttpRequest, agent: Agent) -> HttpResponse:
    today_starts_at = datetime.datetime.combine(
        shop_today(), datetime.time(), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)
    )
    situation = request.GET.get("situation", "")
    situation = situation if situation in Situation.values else ""
    carrier = request.GET.get("carrier", "")
    carrier_id = int(carrier) if is_ascii_number(carrier) and len(carrier) < 10 else None
    by_situation, by_carrier = incident_counts(todays_incidents(today_starts_at=today_starts_at))
    rows = todays_incidents(today_starts_at=today_starts_at, situation=situation, carrier_id=carrier_id)
    return render(
        request,
        "care/incidents.html",
        {
            "agent": agent,
            "incidents": rows[:MAX_ROWS],
            "carrier_tasks": open_carrier_tasks(limit=MAX_ROWS),
            "by_situation": [(value, Situation(value).label, count) for value, count in by_situation],
            "by_carrier": by_carrier,
            "situation": situation,
            "carrier": Carrier.objects.filter(pk=carrier_id).first() if carrier_id else None,
            "max_rows": MAX_ROWS,
        },
    )


def _day(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def report_period(query) -> tuple[datetime.date, datetime.date, str]:
    """The period asked for (?from=YYYY-MM-DD&to=YYYY-MM-DD, days in the shop's zone) and an
    error to show when it cannot be used: then the last REPORT_DAYS days."""
    last_default = shop_today()
    first_default = last_default - datetime.timedelta(days=REPORT_DAYS - 1)
    first_text, last_text = query.get("from", ""), query.get("to", "")
    if not first_text and not last_text:
        return first_default, last_default, ""
    first, last = _day(first_text), _day(last_text)
    if first is None or last is None or not 0 <= (last - first).days < MAX_REPORT_DAYS:
        error = _(
            "Give the period as two dates, the first not after the second, at most %(days)d days apart."
        )
        return first_default, last_default, error % {"days": MAX_REPORT_DAYS}
    return first, last, ""


@require_GET
@agent_required
def report(request: HttpRequest, agent: Agent) -> HttpResponse:
    """Care's measures over the incidents opened in a period (care.queries.care_report)."""
    first, last, error = report_period(request.GET)
    measures = care_report(first, last)
    told = measures.told_in_time + measures.told_late
    return render(
        request,
        "care/report.html",
        {
            "agent": agent,
            "first": first,
            "last": last,
            "period_error": error,
            "report": measures,
            "told": told,
            "in_time_percent": round(100 * measures.told_in_time / told) if told else None,
            "grant_rows": [(Compensation(row[0]).label, *row) for row in measures.grants],
        },
        status=400 if error else 200,
    )


@require_POST
@agent_required
def step_done(request: HttpRequest, agent: Agent, case_id: int, step_id: int) -> HttpResponse:
    """The agent says a step of the case happened (promises.confirm_done); back to the case."""
    case = access_case(agent, case_id)
    promises.confirm_done(get_object_or_404(PendingStep, pk=step_id, case=case), agent=agent)
    return redirect("console:case", case_id=case.pk)
