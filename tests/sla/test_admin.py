"""Administrators edit calendars and policies in the admin, with a preview of the promise; an edit
recomputes the open cases; an agent cannot reach them; the case page shows the deadlines."""

import pytest
from django.forms import MultiWidget
from django.urls import reverse

from premura.conversations import services
from premura.core.clock import frozen_at
from premura.core.models import AuditEvent
from premura.sla.models import BusinessCalendar, Closure, DeadlineRecompute, Policy
from tests.factories.conversations import make_case
from tests.sla.conftest import rome
from tests.sla.test_promise import SATURDAY_NIGHT


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin.user)
    return client


def policy_form(policy: Policy, **changes) -> dict:
    data = {
        "name": policy.name,
        "position": policy.position,
        "is_active": "on",
        "calendar": policy.calendar_id,
        "channels": policy.channels,
        "priorities": policy.priorities,
        "tiers": policy.tiers,
        "first_response_minutes": policy.first_response_minutes,
        "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
    }
    return {**data, **changes}


def test_the_calendar_page_previews_what_each_policy_promises(service_levels, admin_client):
    with frozen_at(SATURDAY_NIGHT):
        page = admin_client.get(reverse("admin:sla_businesscalendar_change", args=[service_levels.pk]))
    text = page.content.decode()
    assert "A un messaggio che arrivasse ora prometteremmo una risposta:" in text
    assert "E-mail e modulo web: <strong>entro mercoledì 9 dicembre alle 18:00</strong>" in text
    assert "Urgenti VIP: <strong>entro mercoledì 9 dicembre alle 09:30</strong>" in text


def test_editing_a_policy_recomputes_the_open_cases(
    service_levels, admin_client, customer, django_capture_on_commit_callbacks
):
    with frozen_at(rome(2026, 11, 23, 9)):
        case = make_case(customer)
    policy = Policy.objects.get(name="E-mail e modulo web")
    url = reverse("admin:sla_policy_change", args=[policy.pk])
    with frozen_at(rome(2026, 11, 23, 9, 30)), django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, policy_form(policy, first_response_minutes=120))
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.first_response_due_at == rome(2026, 11, 23, 11)
    assert DeadlineRecompute.objects.latest("pk").finished_at is not None
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        page = admin_client.get(url)
    assert "entro lunedì 23 novembre alle 11:30" in page.content.decode()


def test_a_policy_with_an_unknown_channel_or_a_zero_target_is_refused(service_levels, admin_client):
    policy = Policy.objects.get(name="E-mail e modulo web")
    url = reverse("admin:sla_policy_change", args=[policy.pk])
    edits = AuditEvent.objects.filter(action="sla.policy_changed")
    before = edits.count()
    for bad in ({"channels": ["email", "fax"]}, {"first_response_minutes": 0}):
        response = admin_client.post(url, policy_form(policy, **bad))
        assert response.status_code == 200
    policy.refresh_from_db()
    assert (policy.channels, policy.first_response_minutes) == (["email", "web_form"], 480)
    assert edits.count() == before


def calendar_form(calendar: BusinessCalendar, hours: list[tuple[int, str, str]], closures=()) -> dict:
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "public_holidays": "on",
        "patron_saint_city": calendar.patron_saint_city,
        "opening_hours-TOTAL_FORMS": len(hours),
        "opening_hours-INITIAL_FORMS": 0,
        "closures-TOTAL_FORMS": len(closures),
        "closures-INITIAL_FORMS": 0,
        "extra_openings-TOTAL_FORMS": 0,
        "extra_openings-INITIAL_FORMS": 0,
    }
    for index, (weekday, opens, closes) in enumerate(hours):
        data |= {
            f"opening_hours-{index}-weekday": weekday,
            f"opening_hours-{index}-opens_at": opens,
            f"opening_hours-{index}-closes_at": closes,
        }
    for index, (first, last) in enumerate(closures):
        data |= {f"closures-{index}-first_day": first, f"closures-{index}-last_day": last}
    return data


def test_a_new_calendar_needs_opening_hours_in_order_and_short_closures(admin, admin_client):
    url = reverse("admin:sla_businesscalendar_add")
    blank = BusinessCalendar(name="Magazzino", time_zone="Europe/Rome", patron_saint_city="")
    assert admin_client.post(url, calendar_form(blank, [])).status_code == 200
    assert admin_client.post(url, calendar_form(blank, [(0, "18:00", "09:00")])).status_code == 200
    too_long = [("2026-01-01", "2027-06-30")]
    assert admin_client.post(url, calendar_form(blank, [(0, "09:00", "18:00")], too_long)).status_code == 200
    assert not BusinessCalendar.objects.exists()
    response = admin_client.post(url, calendar_form(blank, [(0, "09:00", "13:00"), (0, "14:00", "00:00")]))
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.schedule().weekly[0] == (
        (rome(2026, 1, 1, 9).time(), rome(2026, 1, 1, 13).time()),
        (rome(2026, 1, 1, 14).time(), rome(2026, 1, 1, 0).time()),
    )
    assert not Closure.objects.exists()


def test_agents_cannot_reach_the_sla_admin(service_levels, client, agent):
    client.force_login(agent.user)
    response = client.get(reverse("admin:sla_policy_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_case_page_shows_the_deadlines_and_why_they_moved(service_levels, client, agent, customer):
    with frozen_at(rome(2026, 11, 23, 9)):
        case = make_case(customer)
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        services.change_priority(case, "urgent")
    client.force_login(agent.user)
    with frozen_at(rome(2026, 11, 23, 9, 45)):
        text = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Scadenze" in text and "Urgenti" in text
    assert "entro 23 nov, 10:00" in text
    assert "era 23 nov, 18:00, cambiata perché è cambiata la priorità" in text
    with frozen_at(rome(2026, 11, 23, 10, 30)):
        text = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "scaduta" in text


def test_a_tier_changed_in_the_customer_admin_moves_the_deadlines(service_levels, admin_client, customer):
    with frozen_at(rome(2026, 11, 23, 9)):
        case = make_case(customer)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = admin_client.get(url)
    data = {}
    for form in [
        page.context["adminform"].form,
        *(f for s in page.context["inline_admin_formsets"] for f in s.formset.forms),
    ]:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field.widget, MultiWidget):  # the admin's date and time boxes
                data |= {
                    f"{form.add_prefix(name)}_{i}": part or ""
                    for i, part in enumerate(field.widget.decompress(value))
                }
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {management.add_prefix(name): management[name].value() for name in management.fields}
    data["tier"] = "vip"
    with frozen_at(rome(2026, 11, 23, 9, 30)):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.first_response_due_at == rome(2026, 11, 23, 13)
    assert AuditEvent.objects.filter(
        action="customer.updated", data__changes__tier=["standard", "vip"]
    ).exists()


def test_the_calendar_page_lists_each_interval_s_day_before_its_hours(service_levels, admin_client):
    page = admin_client.get(reverse("admin:sla_businesscalendar_change", args=[service_levels.pk]))
    text = page.content.decode()
    hours = text.split('id="opening_hours-group"')[1].split('id="closures-group"')[0]
    assert hours.index("column-weekday") < hours.index("column-opens_at") < hours.index("column-closes_at")
    extra = text.split('id="extra_openings-group"')[1]
    assert extra.index("column-day") < extra.index("column-opens_at") < extra.index("column-closes_at")


def test_the_policy_page_s_labels_are_capitalised_like_the_others(service_levels, admin_client):
    policy = Policy.objects.get(name="E-mail e modulo web")
    html = admin_client.get(reverse("admin:sla_policy_change", args=[policy.pk])).content.decode()
    for label in ("Canali", "Priorità", "Livelli cliente", "Calendario lavorativo"):
        assert f">{label}:</label>" in html, label
