"""The incident panel's actions for one parcel: ask the carrier to deliver again, redirect to a
pickup point, deliver on a new date. No carrier connector exists, so each is a task for the agent,
recorded on the timeline; a new date moves the incident's expected date and tells the customer
only when it is news. POST only, with the CSRF token, agents only, other ids are 404."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from premura.care.models import CarrierAction, CarrierTask, Incident
from premura.channels.models import OutboundEmail, OutboundKind
from premura.core.audit import events_for
from premura.core.clock import frozen_at
from tests.care.conftest import MORNING, signal
from tests.factories.conversations import make_case

EXPECTED = datetime.date(2026, 12, 7)


@pytest.fixture
def incident(mailbox, shipment, coupon_rule, morning):
    signal(shipment, "predicted", EXPECTED)
    return Incident.objects.get()


@pytest.fixture
def marco(client, agent):
    client.force_login(agent.user)
    return client


def ask(client, incident, *, htmx=False, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("console:incident_carrier", args=[incident.case_id]), data, **headers)


def events(incident, action):
    return list(events_for(incident.case).filter(action=action).order_by("pk"))


def notices() -> int:
    return OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).count()


def test_asking_for_redelivery_is_a_task_on_the_timeline_once_however_often_it_is_clicked(marco, incident):
    for _ in range(2):  # a double click
        response = ask(marco, incident, action="redelivery")
        assert response.status_code == 302 and response.url == reverse(
            "console:case", args=[incident.case_id]
        )
    task = CarrierTask.objects.get()
    assert (task.action, task.done_at, task.requested_by.display_name) == ("redelivery", None, "Marco Rossi")
    [event] = events(incident, "care.carrier_task")
    assert event.data["kind"] == "redelivery" and event.actor_label == "Marco Rossi"
    page = marco.get(reverse("console:case", args=[incident.case_id])).content.decode()
    assert "Marco Rossi ha chiesto al corriere: Riconsegnare" in page
    assert "Riconsegnare: nessun connettore lo invia a BRT" in page  # the confirmation, after the redirect
    assert "da fare" in page


def test_with_htmx_the_case_body_comes_back_with_the_confirmation(marco, incident):
    response = ask(
        marco, incident, htmx=True, action="pickup_point", pickup_point="Tabaccheria Rossi, Via Po 3"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="incident"' in body
    assert 'role="status">Dirottare a un punto di ritiro: nessun connettore' in body
    assert "Tabaccheria Rossi, Via Po 3" in body  # the task and the timeline both name the point


def test_a_redirect_needs_a_point_and_another_point_changes_the_open_task(marco, incident):
    response = ask(marco, incident, htmx=True, action="pickup_point", pickup_point="   ")
    assert response.status_code == 422 and response["HX-Retarget"] == "#incident"
    assert "Indica il punto di ritiro" in response.content.decode()
    assert not CarrierTask.objects.exists() and not events(incident, "care.carrier_task")

    ask(marco, incident, action="pickup_point", pickup_point="Edicola Centrale")
    ask(marco, incident, action="pickup_point", pickup_point="Locker BRT Fermopoint 112")
    task = CarrierTask.objects.get()
    assert task.pickup_point == "Locker BRT Fermopoint 112"
    assert [e.data["pickup_point"] for e in events(incident, "care.carrier_task")] == [
        "Edicola Centrale",
        "Locker BRT Fermopoint 112",
    ]
    assert ask(marco, incident, action="pickup_point", pickup_point="Via Po 3\r\nBcc: x").status_code == 422


def test_a_new_date_moves_the_expected_date_and_tells_the_customer_only_when_it_is_news(marco, incident):
    assert notices() == 1
    ask(marco, incident, action="new_date", delivery_date="2026-12-09")
    incident.refresh_from_db()
    assert incident.expected_date == datetime.date(2026, 12, 9)
    assert notices() == 2
    notice = incident.notices.order_by("pk").last()
    assert notice.expected_date == datetime.date(2026, 12, 9)
    assert "mercoledì 9 dicembre" in notice.outbound.body_text

    ask(marco, incident, action="new_date", delivery_date="2026-12-09")  # the same date again
    assert notices() == 2 and len(events(incident, "care.carrier_task")) == 1


def test_a_new_date_in_the_past_or_not_a_date_is_refused_and_writes_nothing(marco, incident):
    page = marco.get(reverse("console:case", args=[incident.case_id])).content.decode()
    assert 'name="delivery_date" required min="2026-12-01" max="2026-12-31"' in page
    assert ask(marco, incident, action="new_date", delivery_date="2027-01-01").status_code == 422
    for value in ("2026-11-30", "domani", ""):
        response = ask(marco, incident, action="new_date", delivery_date=value)
        assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.expected_date == EXPECTED and not CarrierTask.objects.exists() and notices() == 1
    assert ask(marco, incident, action="teleport").status_code == 422


def test_a_new_date_for_a_customer_who_wrote_first_sends_no_notice(
    marco, mailbox, shipment, customer, morning
):
    make_case(customer, order=shipment.order)
    signal(shipment, "predicted", EXPECTED)
    incident = Incident.objects.get()
    assert incident.customer_wrote_first
    ask(marco, incident, action="new_date", delivery_date="2026-12-10")
    incident.refresh_from_db()
    assert incident.expected_date == datetime.date(2026, 12, 10) and notices() == 0


def test_marking_the_task_done_records_who_did_it(marco, incident, agent):
    ask(marco, incident, action="redelivery")
    task = CarrierTask.objects.get()
    url = reverse("console:incident_task_done", args=[incident.case_id, task.pk])
    assert marco.post(url).status_code == 302
    assert marco.post(url).status_code == 302  # done twice is done once
    task.refresh_from_db()
    assert task.done_by == agent and task.done_at == MORNING
    assert len(events(incident, "care.carrier_task_done")) == 1
    ask(marco, incident, action="redelivery")  # a new request after the done one is a new task
    assert CarrierTask.objects.filter(action=CarrierAction.REDELIVERY).count() == 2


def test_the_incidents_page_lists_the_requests_still_to_make_until_they_are_done(marco, incident):
    ask(marco, incident, action="pickup_point", pickup_point="Tabaccheria Rossi, Via Po 3")
    task = CarrierTask.objects.get()
    page = marco.get(reverse("care:incidents")).content.decode()
    assert f'data-carrier-task="{task.pk}"' in page and "Tabaccheria Rossi, Via Po 3" in page
    assert "Richieste ai corrieri ancora da fare" in page
    marco.post(reverse("console:incident_task_done", args=[incident.case_id, task.pk]))
    assert "data-carrier-task" not in marco.get(reverse("care:incidents")).content.decode()


def test_a_closed_incident_takes_no_more_requests(marco, incident, shipment):
    with frozen_at(MORNING + datetime.timedelta(days=6)):
        signal(shipment, "", None, status="delivered", delivered_at=MORNING + datetime.timedelta(days=6))
    incident.refresh_from_db()
    assert incident.closed_at is not None
    response = ask(marco, incident, action="redelivery")
    assert response.status_code == 422 and "L&#x27;incidente è chiuso" in response.content.decode()
    assert not CarrierTask.objects.exists()


def test_only_agents_post_with_the_token_and_other_ids_are_not_found(
    client, marco, incident, customer, agent
):
    url = reverse("console:incident_carrier", args=[incident.case_id])
    assert marco.get(url).status_code == 405
    assert (
        marco.post(reverse("console:incident_carrier", args=[999999]), {"action": "redelivery"}).status_code
        == 404
    )
    other = make_case(customer, subject="Fattura")  # a case without an incident
    without_incident = reverse("console:incident_carrier", args=[other.pk])
    assert marco.post(without_incident, {"action": "redelivery"}).status_code == 404
    ask(marco, incident, action="redelivery")
    task = CarrierTask.objects.get()
    assert marco.post(reverse("console:incident_task_done", args=[other.pk, task.pk])).status_code == 404

    anonymous = Client()
    assert anonymous.post(url, {"action": "redelivery"}).status_code == 302  # to the login page
    stranger = Client()
    stranger.force_login(get_user_model().objects.create_user("ospite", password="x"))
    assert stranger.post(url, {"action": "redelivery"}).status_code == 403

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent.user)
    assert strict.post(url, {"action": "pickup_point", "pickup_point": "Edicola"}).status_code == 403
    assert not CarrierTask.objects.filter(action="pickup_point").exists()
