"""Teams are created by a service that records who made them."""

import pytest
from django.db import IntegrityError

from premura.agents.models import Team
from premura.agents.services import create_team
from premura.core.audit import events_for


def test_a_team_gets_a_slug_from_its_name_and_an_audit_event(admin):
    team = create_team(name="  Resi e   rimborsi ", actor=admin.user)
    assert (team.name, team.slug) == ("Resi e rimborsi", "resi-e-rimborsi")
    (event,) = events_for(team)
    assert (event.action, event.actor, event.data) == (
        "team.created",
        admin.user,
        {"name": "Resi e rimborsi", "slug": "resi-e-rimborsi"},
    )


def test_a_taken_name_writes_nothing(team):
    with pytest.raises(IntegrityError):
        create_team(name=team.name, slug="altro")
    assert Team.objects.count() == 1
