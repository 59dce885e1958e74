"""The SLA's pages in the console (mounted under /console/sla/): the report of targets met and
breached. Agents only, like the console."""

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.core import clock
from premura.sla.reports import GROUPINGS, outcome_report

PERIODS = (7, 30, 90)


@require_GET
@agent_required
def report(request: HttpRequest, agent: Agent) -> HttpResponse:
    """Met and breached targets of the last 7, 30 or 90 days, by policy, team, agent, channel
    and target."""
    days = request.GET.get("days", "")
    period = int(days) if days in {str(p) for p in PERIODS} else 30
    since = clock.now() - datetime.timedelta(days=period)
    tables = [(label, outcome_report(since, key)) for key, (label, _column) in GROUPINGS.items()]
    context = {
        "agent": agent,
        "tables": tables,
        "has_outcomes": any(rows for _label, rows in tables),
        "period": period,
        "periods": PERIODS,
    }
    return render(request, "sla/report.html", context)
