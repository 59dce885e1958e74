"""Care's page in the console (mounted under /console/care/): the incidents of the day, by kind,
carrier and promised date. Agents only, like the console."""

import datetime
import zoneinfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from premura.agents.access import agent_required
from premura.agents.models import Agent
from premura.care.models import Situation
from premura.care.queries import incident_counts, todays_incidents
from premura.core import clock
from premura.core.text import is_ascii_number
from premura.shipping.models import Carrier

MAX_ROWS = 500


@require_GET
@agent_required
def incidents(request: HttpRequest, agent: Agent) -> HttpResponse:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today_starts_at = datetime.datetime.combine(
        clock.now().astimezone(zone).date(), datetime.time(), tzinfo=zone
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
            "by_situation": [(value, Situation(value).label, count) for value, count in by_situation],
            "by_carrier": by_carrier,
            "situation": situation,
            "carrier": Carrier.objects.filter(pk=carrier_id).first() if carrier_id else None,
            "max_rows": MAX_ROWS,
        },
    )
