"""Care's automatic actors are stored neutral in the audit log and named in the reader's language:
an Italian agent reads "Assistenza proattiva", an English one "Care"."""

import datetime

from django.urls import reverse

from premura.care.models import CareActor, Incident
from premura.core.audit import events_for
from tests.care.conftest import signal


def test_the_actor_is_stored_neutral_and_each_agent_reads_their_language(
    client, agent, mailbox, shipment, morning
):
    signal(shipment, "predicted", datetime.date(2026, 12, 7))
    case = Incident.objects.get().case
    labels = dict(
        events_for(case)
        .filter(action__in=["care.incident_opened", "case.status_changed"])
        .values_list("action", "actor_label")
    )
    assert labels == {
        "care.incident_opened": CareActor.TRACKING.value,
        "case.status_changed": CareActor.CARE.value,
    }
    client.force_login(agent.user)
    url = reverse("console:case", args=[case.pk])
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Assistenza proattiva ha cambiato lo stato" in italian
    client.cookies["django_language"] = "en"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Care changed the status" in english and "Assistenza proattiva" not in english
