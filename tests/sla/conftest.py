import datetime
from zoneinfo import ZoneInfo

import pytest

from premura.agents.models import Team
from premura.core import clock
from premura.demo.loader import ensure_service_levels
from premura.sla import services as sla_services
from premura.sla.models import BusinessCalendar
from tests.factories.agents import make_agent

ROME = ZoneInfo("Europe/Rome")
T = datetime.time


def rome(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ROME)


@pytest.fixture
def service_levels(db) -> BusinessCalendar:
    """The demo desk's calendar and policies (issue 12): Milan, Monday–Friday 9–13 and 14–18,
    Saturday 9–13, Sant'Ambrogio, closed 27–31 December 2026; e-mail and web form answered in 8
    business hours, urgent in 1, VIP in half (resolution 40 and 8 business hours, VIP half)."""
    ensure_service_levels()
    return BusinessCalendar.objects.get()


# Monday 7 December 2026 is Sant'Ambrogio only in Milan: this calendar keeps no holidays.
MONDAY_9 = rome(2026, 12, 7, 9)


@pytest.fixture
def calendar(db):
    """An office open Monday to Friday 9–18 in Rome, without holidays."""
    with clock.frozen_at(MONDAY_9 - datetime.timedelta(days=7)):
        return sla_services.create_calendar(
            name="Ufficio",
            weekly_hours={day: [(T(9), T(18))] for day in range(5)},
            time_zone="Europe/Rome",
            public_holidays=False,
        )


@pytest.fixture
def policy(calendar):
    """First response in 4 business hours, next response in 2, resolution in 16; the owner
    warned at 75 %."""
    with clock.frozen_at(MONDAY_9 - datetime.timedelta(days=7)):
        return sla_services.create_policy(
            name="Standard",
            calendar=calendar,
            position=10,
            first_response_minutes=240,
            next_response_minutes=120,
            resolution_minutes=16 * 60,
        )


@pytest.fixture
def lead(team: Team):
    """Sara Conti leads Marco's team."""
    sara = make_agent("sara", "Sara Conti", team=team)
    team.lead = sara
    team.save(update_fields=["lead"])
    return sara
