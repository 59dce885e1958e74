import pytest

from premura.agents.models import Team
from premura.demo.loader import ensure_service_levels
from premura.sla.models import BusinessCalendar
from tests.factories.agents import make_agent
from tests.factories.sla import (
    make_office_policy,
    rome,  # noqa: F401 (the tests of this package import it from here)
)


@pytest.fixture
def service_levels(db) -> BusinessCalendar:
    """The demo desk's calendar and policies (issue 12): Milan, Monday–Friday 9–13 and 14–18,
    Saturday 9–13, Sant'Ambrogio, closed 27–31 December 2026; e-mail and web form answered in 8
    business hours, urgent in 1, VIP in half (resolution 40 and 8 business hours, VIP half)."""
    ensure_service_levels()
    return BusinessCalendar.objects.get()


@pytest.fixture
def policy(db):
    """An office's SLA (tests.factories.sla): open Monday to Friday 9–18 in Rome, first response
    in 4 business hours, the owner warned at 75 %."""
    return make_office_policy()


@pytest.fixture
def lead(team: Team):
    """Sara Conti leads Marco's team."""
    sara = make_agent("sara", "Sara Conti", team=team)
    team.lead = sara
    team.save(update_fields=["lead"])
    return sara
