import datetime

import pytest

from premura.conversations import services
from premura.core import clock
from premura.core.audit import events_for

WHEN = datetime.datetime(2026, 3, 4, 10, 30, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_services_record_the_frozen_time_on_rows_and_audit_events(customer, agent):
    with clock.frozen_at(WHEN):
        case = services.open_case(customer=customer, subject="Pacco", body="Dov'è?")
        note = services.add_note(case, agent, "Chiamato il corriere")
    assert case.created_at == WHEN
    assert case.messages.first().created_at == WHEN
    assert note.created_at == WHEN
    assert {event.created_at for event in events_for(case)} == {WHEN}


def test_outside_the_block_it_is_the_real_time_again():
    with clock.frozen_at(WHEN):
        assert clock.now() == WHEN
    assert clock.now() > datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError), clock.frozen_at(datetime.datetime(2026, 1, 1)):
        pass
