"""The SLA in the console: the countdown badge on every open case (green, amber past the warning
share, red once overdue) without a query per row, "due soonest", the breached view, the
escalation on the case's timeline, the notifications an agent gets, and the report."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from premura.agents.models import Notification, NotificationKind
from premura.agents.services import notify
from premura.conversations import services
from premura.conversations.models import CaseStatus
from premura.core import clock
from premura.sla.sweeper import sweep
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case
from tests.factories.sla import MONDAY_9, make_office_policy, rome

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def policy(db):
    return make_office_policy()


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def get(client, moment, *args, **kwargs):
    with clock.frozen_at(moment):
        return client.get(*args, **kwargs)


def opened_at(moment, customer, **kwargs):
    with clock.frozen_at(moment):
        return make_case(customer, **kwargs)


def badges(response) -> dict[int, tuple[str, str]]:
    """Case number -> (badge state, text) in an inbox page."""
    html = response.content.decode()
    found = {}
    for row in re.findall(r'<tr class="case-row".*?</tr>', html, re.S):
        number = int(re.search(r">#(\d+)<", row).group(1))
        badge = re.search(r'data-sla="(\w+)".*?</span>([^<]*)</span>', row, re.S)
        found[number] = (badge.group(1), badge.group(2)) if badge else None
    return found


def rows_of(response) -> list[int]:
    return [case.pk for case in response.context["cases"]]


def test_the_badge_is_green_then_amber_at_the_share_then_red(marco_client, agent, customer, policy):
    case = opened_at(MONDAY_9, customer, owner=agent)  # first response by 13:00, warned at 12:00
    url = reverse("console:inbox")
    assert badges(get(marco_client, rome(2026, 12, 7, 9, 30), url))[case.pk] == ("ok", "3 h 30 min")
    assert badges(get(marco_client, rome(2026, 12, 7, 12, 15), url))[case.pk] == ("warning", "45 min")
    assert badges(get(marco_client, rome(2026, 12, 7, 15), url))[case.pk] == ("breached", "−2 h 0 min")


def test_a_case_without_a_running_clock_has_no_badge(marco_client, agent, customer, policy):
    case = opened_at(MONDAY_9, customer, owner=agent)
    services.change_status(case, CaseStatus.WAITING_ON_CUSTOMER)
    response = get(marco_client, rome(2026, 12, 7, 10), reverse("console:inbox"), {"view": "mine"})
    assert badges(response) == {case.pk: None}


def test_badges_cost_no_query_per_row(marco_client, agent, customer, policy):
    url = reverse("console:inbox")
    opened_at(MONDAY_9, customer, owner=agent)
    get(marco_client, rome(2026, 12, 7, 10), url)  # the first request fills per-process caches
    with CaptureQueriesContext(connection) as one:
        get(marco_client, rome(2026, 12, 7, 10), url)
    for minutes in range(1, 8):
        opened_at(MONDAY_9 + datetime.timedelta(minutes=minutes), customer, owner=agent)
    with CaptureQueriesContext(connection) as eight:
        response = get(marco_client, rome(2026, 12, 7, 10), url)
    assert len(badges(response)) == 8
    assert len(eight) == len(one)


def test_due_soonest_lists_the_running_clocks_earliest_deadline_first(
    marco_client, agent, customer, other_customer, policy
):
    late = opened_at(MONDAY_9 + HOUR, customer, owner=agent)  # due 14:00
    early = opened_at(MONDAY_9, other_customer)  # due 13:00
    waiting = opened_at(MONDAY_9 - HOUR, customer, owner=agent)
    services.change_status(waiting, CaseStatus.WAITING_ON_CARRIER)
    url = reverse("console:inbox")
    moment = rome(2026, 12, 7, 11)
    assert rows_of(get(marco_client, moment, url, {"view": "open", "sort": "due"})) == [early.pk, late.pk]
    assert rows_of(get(marco_client, moment, url, {"view": "open"})) == [late.pk, early.pk]
    assert rows_of(get(marco_client, moment, url, {"view": "mine", "sort": "due"})) == [late.pk]
    assert rows_of(get(marco_client, moment, url, {"view": "unassigned", "sort": "due"})) == [early.pk]
    new = {"view": "open", "sort": "due", "status": "new"}
    assert rows_of(get(marco_client, moment, url, new)) == [early.pk, late.pk]
    paused = {"view": "mine", "sort": "due", "status": "waiting_on_carrier"}
    assert rows_of(get(marco_client, moment, url, paused)) == [waiting.pk]  # no clock: activity order
    page = get(marco_client, moment, url, {"view": "open", "sort": "due"}).content.decode()
    assert '<option value="due" selected>' in page


def test_the_breached_view_lists_overdue_cases_most_overdue_first(marco_client, agent, customer, policy):
    first = opened_at(MONDAY_9, customer, owner=agent)  # due 13:00
    second = opened_at(MONDAY_9 + HOUR, customer, owner=agent)  # due 14:00
    opened_at(MONDAY_9 + 3 * HOUR, customer, owner=agent)  # due 16:00
    url = reverse("console:inbox")
    response = get(marco_client, rome(2026, 12, 7, 15), url, {"view": "breached"})
    assert rows_of(response) == [first.pk, second.pk]
    views = {view.slug: count for view, count in response.context["views"]}
    assert views["breached"] == "2"
    assert "Fuori SLA" in response.content.decode()


def test_the_case_page_shows_the_badge_and_the_escalation(marco_client, agent, customer, policy):
    case = opened_at(MONDAY_9, customer, owner=agent)
    with clock.frozen_at(rome(2026, 12, 7, 12)):
        sweep()
    with clock.frozen_at(rome(2026, 12, 7, 13)):
        sweep()
    page = get(
        marco_client, rome(2026, 12, 7, 13, 30), reverse("console:case", args=[case.pk])
    ).content.decode()
    assert 'data-sla="breached"' in page
    assert "Prima risposta: entro il 7 dic, 13:00, usato il 75% del tempo · avviso a Marco Rossi" in page
    assert "Prima risposta: scadenza superata (entro il 7 dic, 13:00)" in page
    # Nobody raised the priority: Premura did, in the page's language ("system" in the audit log).
    assert "Premura ha cambiato la priorità: Alta" in page
    english = marco_client.get(
        reverse("console:case", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Premura changed the priority: High" in english and "system" not in english


def test_the_header_counts_unread_notifications(marco_client, agent, customer):
    case = make_case(customer, owner=agent)
    assert "data-notification-count" not in marco_client.get(reverse("console:inbox")).content.decode()
    notify([agent], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={"target": "first_response"})
    page = marco_client.get(reverse("console:inbox")).content.decode()
    assert re.search(r"data-notification-count>1<", page)


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(marco_client, agent, customer, policy):
    case = opened_at(MONDAY_9, customer, owner=agent)
    with clock.frozen_at(rome(2026, 12, 7, 12)):
        sweep()
    page = marco_client.get(reverse("console:notifications"))
    assert "Prima risposta: entro il 7 dic, 13:00" in page.content.decode()
    (notification,) = page.context["notifications"]
    response = marco_client.post(reverse("console:notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("console:case", args=[case.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_all_read(marco_client, agent, customer):
    case = make_case(customer, owner=agent)
    notify([agent], kind=NotificationKind.SLA_BREACH, case_id=case.pk, data={"target": "resolution"})
    notify([agent], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={"target": "first_response"})
    marco_client.post(reverse("console:notifications_read"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_nobody_opens_another_agents_notification(marco_client, agent, team, customer):
    sara = make_agent("sara", "Sara Conti", team=team)
    case = make_case(customer, owner=sara)
    (theirs,) = notify([sara], kind=NotificationKind.SLA_WARNING, case_id=case.pk, data={})
    response = marco_client.post(reverse("console:notification_open", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert marco_client.get(reverse("console:notification_open", args=[theirs.pk])).status_code == 405


def test_notifications_need_an_agent(client, db):
    response = client.get(reverse("console:notifications"))
    assert response.status_code == 302


def test_the_report_counts_met_and_missed_deadlines(marco_client, agent, customer, other_customer, policy):
    answered = opened_at(MONDAY_9, customer, owner=agent, team=agent.team)
    opened_at(MONDAY_9, other_customer, owner=agent, team=agent.team)
    with clock.frozen_at(rome(2026, 12, 7, 10)):
        services.reply(answered, agent, "Eccomi")
    with clock.frozen_at(rome(2026, 12, 7, 13)):
        sweep()
    response = get(marco_client, rome(2026, 12, 8, 9), reverse("sla:report"))
    by_policy, by_team, by_agent, by_channel, by_target = (
        [(row.label, row.met, row.breached, row.met_percent) for row in rows]
        for _label, rows in response.context["tables"]
    )
    assert by_policy == [("Standard", 1, 1, 50)]
    assert by_team == [("Ordini e spedizioni", 1, 1, 50)]
    assert by_agent == [("Marco Rossi", 1, 1, 50)]
    assert by_channel == [("E-mail", 1, 1, 50)]
    assert by_target == [("Prima risposta", 1, 1, 50)]
    old = get(marco_client, rome(2027, 2, 1, 9), reverse("sla:report"), {"days": "7"})
    assert all(rows == [] for _label, rows in old.context["tables"])
