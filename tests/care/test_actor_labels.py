"""Care's automatic actors are stored neutral in the audit log and named in the reader's language:
an Italian agent reads "Assistenza proattiva", an English one "Care"."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from premura.care.models import CareActor, Incident
from premura.core.audit import events_for
from premura.core.models import AuditEvent
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


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_labels_stored_translated_neutral():
    before, after = ("care", "0001_incidents"), ("care", "0002_grant_approval_carrier_tasks")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    subject = ContentType.objects.get_for_model(AuditEvent)  # core is not migrated back
    rows = [
        ("care.incident_opened", "Tracciamento"),
        ("care.notice_withdrawn", "Care"),
        ("case.status_changed", "Assistenza proattiva"),
        ("case.status_changed", "Anna Colombo"),  # a customer's
        ("email.bounced", "Care"),  # not care's
    ]
    for action, label in rows:
        AuditEvent.objects.create(
            action=action, actor_label=label, subject_type=subject, subject_id=1, data={}
        )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    assert list(AuditEvent.objects.order_by("pk").values_list("actor_label", flat=True)) == [
        "tracking",
        "care",
        "care",
        "Anna Colombo",
        "Care",
    ]
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
