"""What the customer is promised: the stored first-response deadline, in their language and the
shop's time zone, in the acknowledgement, the portal and `premura sla_promise`."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from premura.channels.acknowledgements import acknowledge
from premura.channels.models import Mailbox
from premura.conversations import services
from premura.core.clock import frozen_at
from premura.core.models import Channel
from premura.portal.links import order_path
from premura.sla import services as sla
from premura.sla.display import promise_sentence
from premura.sla.models import Policy
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory, EmailIdentityFactory
from tests.sla.conftest import rome

SATURDAY_NIGHT = datetime.datetime.fromisoformat("2026-12-05T23:48:00+01:00")


def sla_promise(*args: str) -> tuple[str, dict]:
    out = io.StringIO()
    call_command("sla_promise", *args, stdout=out)
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])


def test_sla_promise_prints_the_policy_every_deadline_and_the_sentence(service_levels):
    text, result = sla_promise("--received", "2026-12-05T23:48:00+01:00", "--json")
    assert result == {
        "received": "2026-12-05T23:48:00+01:00",
        "policy": "E-mail e modulo web",
        "first_response_due": "2026-12-09T18:00:00+01:00",
        "next_response_due": "2026-12-09T18:00:00+01:00",
        "resolution_due": "2026-12-15T13:00:00+01:00",
        "promise": "entro mercoledì 9 dicembre alle 18:00",
    }
    assert "First response: 2026-12-09T18:00:00+01:00" in text
    _text, vip = sla_promise(
        "--received",
        "2026-12-05T23:48:00+01:00",
        "--tier",
        "vip",
        "--priority",
        "urgent",
        "--language",
        "en",
        "--json",
    )
    assert (vip["policy"], vip["first_response_due"], vip["promise"]) == (
        "Urgenti VIP",
        "2026-12-09T09:30:00+01:00",
        "by Wednesday 9 December at 09:30",
    )


def test_the_issue_example_with_a_team_open_monday_to_friday(service_levels, team):
    """A team whose own calendar is Monday–Friday 9–18 (no patron saint): Saturday 23:48 plus 4
    business hours is "entro lunedì 7 dicembre alle 13:00"."""
    weekdays = sla.create_calendar(
        name="Lun–Ven 9–18", weekly_hours={day: [(datetime.time(9), datetime.time(18))] for day in range(5)}
    )
    sla.create_policy(name="Ordini", calendar=weekdays, position=1, teams=[team], first_response_minutes=240)
    _text, result = sla_promise("--received", "2026-12-05T23:48:00+01:00", "--team", team.slug, "--json")
    assert (result["policy"], result["first_response_due"], result["next_response_due"]) == (
        "Ordini",
        "2026-12-07T13:00:00+01:00",
        None,
    )
    assert result["promise"] == "entro lunedì 7 dicembre alle 13:00"


def test_sla_promise_gives_what_a_case_opened_then_stores(service_levels, customer):
    _text, result = sla_promise("--received", "2026-12-24T17:00:00+01:00", "--json")
    with frozen_at(rome(2026, 12, 24, 17)):
        case = make_case(customer)
    case.refresh_from_db()
    assert datetime.datetime.fromisoformat(result["first_response_due"]) == case.first_response_due_at
    assert datetime.datetime.fromisoformat(result["resolution_due"]) == case.resolution_due_at


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--received", "2026-12-05T23:48:00"], r"2026-12-05T23:48:00\+01:00"),
        (["--received", "2026-12-05T23:48:00+01:00", "--team", "nessuno"], "no team"),
    ],
)
def test_sla_promise_refuses_what_it_cannot_read(service_levels, args, error):
    with pytest.raises(CommandError, match=error):
        call_command("sla_promise", *args, stdout=io.StringIO())


def test_without_a_policy_nothing_is_promised(db):
    text, result = sla_promise("--received", "2026-12-05T23:48:00+01:00", "--json")
    assert result["policy"] is None and result["promise"] is None
    assert "No SLA policy applies" in text


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega Premura")


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("it", "Avrai una risposta entro mercoledì 9 dicembre alle 18:00."),
        ("en", "You will hear from us by Wednesday 9 December at 18:00."),
    ],
)
def test_the_acknowledgement_promises_the_stored_deadline(service_levels, mailbox, language, sentence):
    customer = CustomerFactory(full_name="Anna Colombo", language=language)
    EmailIdentityFactory(customer=customer, value="anna@example.it")
    with frozen_at(SATURDAY_NIGHT):
        case = make_case(customer)
        row = acknowledge(case)
    case.refresh_from_db()
    assert sla.promised_time(case).due_at == case.first_response_due_at == rome(2026, 12, 9, 18)
    assert sentence in row.body_text


def test_a_reopened_case_is_promised_the_next_response(service_levels, mailbox, customer, agent):
    with frozen_at(rome(2026, 11, 23, 9)):
        case = make_case(customer)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.reply(case, agent, "Fatto", new_status="solved")
    with frozen_at(rome(2026, 11, 24, 9)):
        services.receive_message(case, body="Non è arrivato", channel=Channel.EMAIL)
        row = acknowledge(case)
    case.refresh_from_db()
    assert sla.promised_time(case).due_at == case.next_response_due_at == rome(2026, 11, 24, 18)
    assert "Avrai una risposta entro martedì 24 novembre alle 18:00." in row.body_text


def test_the_year_is_said_when_it_is_not_this_one(service_levels):
    promise = sla.Promise(due_at=rome(2027, 1, 4, 12), time_zone=rome(2027, 1, 4).tzinfo)
    assert (
        promise_sentence(promise, "it", now=rome(2026, 12, 24, 17))
        == "entro lunedì 4 gennaio 2027 alle 12:00"
    )
    assert promise_sentence(promise, "en", now=rome(2027, 1, 2)) == "by Monday 4 January at 12:00"


def test_the_portal_contact_form_and_case_page_show_the_promise(service_levels, client, anna_order):
    client.get(order_path(anna_order))
    with frozen_at(SATURDAY_NIGHT):
        response = client.post(
            reverse("portal:contact", args=[anna_order.pk]),
            {"category": "delivery", "message": "Il pacco non è arrivato"},
            headers={"HX-Request": "true"},
        )
    assert "Una persona ti risponderà entro mercoledì 9 dicembre alle 18:00." in response.content.decode()
    case = anna_order.cases.get()
    with frozen_at(SATURDAY_NIGHT + datetime.timedelta(minutes=5)):
        page = client.get(reverse("portal:case", args=[anna_order.pk, case.pk]))
    assert "Una persona ti risponderà entro mercoledì 9 dicembre alle 18:00." in page.content.decode()


def test_the_portal_promises_nothing_once_an_agent_has_answered(service_levels, client, anna_order, agent):
    client.get(order_path(anna_order))
    with frozen_at(rome(2026, 11, 23, 9)):
        case = make_case(anna_order.customer, order=anna_order, channel=Channel.WEB_FORM)
    with frozen_at(rome(2026, 11, 23, 10)):
        services.reply(case, agent, "Arriva domani")
    page = client.get(reverse("portal:case", args=[anna_order.pk, case.pk]))
    assert "Una persona ti risponderà" not in page.content.decode()
    assert not Policy.objects.filter(first_response_minutes__isnull=True).exists()
