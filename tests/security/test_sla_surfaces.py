"""The SLA's surfaces as an attacker tries them: another agent's notifications, hostile report
parameters, hostile names in the admin's preview, ids that name nothing, forged and replayed
POSTs. Each refusal also checks that nothing changed."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from premura.agents.models import Notification, NotificationKind
from premura.agents.services import notify
from premura.core import clock
from premura.core.audit import record_event
from premura.core.models import AuditEvent
from premura.customers.models import CustomerIdentity
from premura.sla import services as sla
from premura.sla.models import BusinessCalendar, DeadlineRecompute, Policy
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case
from tests.factories.sla import make_office_policy
from tests.sla.test_admin import calendar_form

HOSTILE_NAME = '<img src=x onerror="alert(1)">'


@pytest.fixture
def sara(team):
    return make_agent("sara", "Sara Conti", team=team)


@pytest.fixture
def saras_notification(sara, customer) -> Notification:
    case = make_case(customer, owner=sara)
    (notification,) = notify([sara], kind=NotificationKind.SLA_BREACH, case_id=case.pk, data={})
    return notification


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def test_marking_all_read_reads_only_one_s_own(marco_client, agent, customer, saras_notification):
    case = make_case(customer, owner=agent)
    (own,) = notify([agent], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={})
    page = marco_client.get(reverse("console:notifications"))
    assert [n.pk for n in page.context["notifications"]] == [own.pk]
    assert marco_client.post(reverse("console:notifications_read")).status_code == 302
    own.refresh_from_db()
    saras_notification.refresh_from_db()
    assert own.read_at is not None and saras_notification.read_at is None


@pytest.mark.parametrize("notification_id", ["0", "9223372036854775807", "9223372036854775808", "1" * 25])
def test_a_notification_id_that_names_nothing_is_a_404(marco_client, saras_notification, notification_id):
    response = marco_client.post(f"/console/notifications/{notification_id}/")
    assert response.status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_notification_posts_need_their_csrf_token(agent, customer):
    case = make_case(customer, owner=agent)
    (own,) = notify([agent], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={})
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    assert client.post(reverse("console:notification_open", args=[own.pk])).status_code == 403
    assert client.post(reverse("console:notifications_read")).status_code == 403
    own.refresh_from_db()
    assert own.read_at is None


def test_opening_a_notification_again_keeps_when_it_was_read(marco_client, agent, customer):
    case = make_case(customer, owner=agent)
    (own,) = notify([agent], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={})
    url = reverse("console:notification_open", args=[own.pk])
    marco_client.post(url)
    own.refresh_from_db()
    first_read = own.read_at
    with clock.frozen_at(first_read + datetime.timedelta(hours=1)):
        assert marco_client.post(url)["Location"] == reverse("console:case", args=[case.pk])
    own.refresh_from_db()
    assert own.read_at == first_read


@pytest.mark.parametrize(
    "days",
    [
        "",
        "0",
        "-7",
        "7.0",
        " 7",
        "1e9",
        "99999999999999999999",
        "٧",
        "7\x00",
        "<script>",
        "30 OR 1=1",
        "x" * 5000,
    ],
)
def test_the_report_takes_only_its_periods(marco_client, days):
    response = marco_client.get(reverse("sla:report"), {"days": days})
    assert response.status_code == 200
    assert response.context["period"] == 30
    html = response.content.decode()
    assert "negli ultimi 30 giorni" in html
    assert "<script>" not in html  # the header's link back to this page escapes it


def test_the_report_reads_the_last_of_repeated_periods(marco_client):
    response = marco_client.get(reverse("sla:report") + "?days=7&days=90&days[]=7")
    assert (response.status_code, response.context["period"]) == (200, 90)


def test_the_report_is_for_agents_only(client, db):
    from django.contrib.auth.models import User

    assert client.get(reverse("sla:report"))["Location"].startswith(reverse("console:login"))
    client.force_login(User.objects.create_user("curioso", password="x"))
    assert client.get(reverse("sla:report")).status_code == 403
    assert client.post(reverse("sla:report")).status_code in (403, 405)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin.user)
    return client


def test_the_admin_preview_escapes_hostile_names(admin_client):
    policy = make_office_policy()
    Policy.objects.filter(pk=policy.pk).update(name=HOSTILE_NAME)
    for url in (
        reverse("admin:sla_policy_change", args=[policy.pk]),
        reverse("admin:sla_businesscalendar_change", args=[policy.calendar_id]),
    ):
        html = admin_client.get(url).content.decode()
        assert HOSTILE_NAME not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;: <strong>entro" in html


def test_the_preview_of_a_calendar_closed_for_years_says_so_in_the_page_s_language(admin_client):
    policy = make_office_policy()
    start = datetime.date(2030, 1, 1)
    for year in range(4):
        first = start + datetime.timedelta(days=365 * year)
        sla.add_closure(policy.calendar, first_day=first, last_day=first + datetime.timedelta(days=364))
    url = reverse("admin:sla_businesscalendar_change", args=[policy.calendar_id])
    with clock.frozen_at(datetime.datetime(2029, 12, 31, 20, tzinfo=datetime.UTC)):
        italian = admin_client.get(url).content.decode()
        english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The day the search gave up, written as the page's language writes dates, never 2031-02-05.
    assert re.search(
        r'Standard: <span class="errornote">Il calendario resta chiuso per più di un anno dal '
        r"\d{1,2} [a-z]+ \d{4}: aggiungi degli orari di apertura.</span>",
        italian,
    )
    assert re.search(r"The calendar is closed for more than a year from \d{1,2} [A-Z][a-z]+ \d{4}:", english)


def test_the_preview_of_a_policy_without_a_response_target_says_so(admin_client):
    policy = make_office_policy(first_response_minutes=None, next_response_minutes=None)
    html = admin_client.get(reverse("admin:sla_policy_change", args=[policy.pk])).content.decode()
    assert "Standard: <strong>nessuna promessa: la policy non fissa un tempo di risposta</strong>" in html


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "../../../../etc/passwd"},
        {"time_zone": "Europe/Rome\x00"},
        {"time_zone": "Europe/" + "x" * 300},
        {"patron_saint_city": "<script>"},
        {"opening_hours-0-opens_at": "25:00"},
        {"opening_hours-0-closes_at": "09:00\r\n"},
        {
            "closures-TOTAL_FORMS": 1,
            "closures-0-first_day": "0001-01-01",
            "closures-0-last_day": "9999-12-31",
        },
    ],
)
def test_a_hostile_calendar_form_is_refused_and_changes_nothing(admin_client, change):
    blank = BusinessCalendar(name="Magazzino", time_zone="Europe/Rome", patron_saint_city="")
    data = calendar_form(blank, [(0, "09:00", "18:00")]) | change
    response = admin_client.post(reverse("admin:sla_businesscalendar_add"), data)
    assert response.status_code in (200, 400)
    assert not BusinessCalendar.objects.exists()
    assert not DeadlineRecompute.objects.exists()


def test_an_address_that_wrote_into_another_case_cannot_be_added_here(marco_client, customer, other_customer):
    stranger = "intruso@altrove.example"
    theirs = make_case(other_customer)
    record_event(theirs, "email.unknown_sender", address=stranger)
    mine = make_case(customer)
    identities, events = CustomerIdentity.objects.count(), AuditEvent.objects.count()
    response = marco_client.post(reverse("console:case_add_identity", args=[mine.pk]), {"address": stranger})
    assert response.status_code == 422
    assert f"{stranger} non ha scritto in questo caso." in response.content.decode()
    assert (CustomerIdentity.objects.count(), AuditEvent.objects.count()) == (identities, events)
