import datetime
from zoneinfo import ZoneInfo

import pytest

from premura.demo.loader import ensure_service_levels
from premura.sla.models import BusinessCalendar

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ROME)


@pytest.fixture
def service_levels(db) -> BusinessCalendar:
    """The demo desk's calendar and policies (issue 12): Milan, Monday–Friday 9–13 and 14–18,
    Saturday 9–13, Sant'Ambrogio, closed 27–31 December 2026; e-mail and web form answered in 8
    business hours, urgent in 1, VIP in half (resolution 40 and 8 business hours, VIP half)."""
    ensure_service_levels()
    return BusinessCalendar.objects.get()
