"""The console in natural Italian: lower-case months, "un'ora fa", views named as lists, "Gruppo",
"ha preso in carico il caso"; and English dates written as in Europe."""

import datetime
import re

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone, translation

from premura.conversations import services
from tests.factories.conversations import make_case

JUNE_6 = datetime.datetime(2026, 6, 6, 14, 5, tzinfo=datetime.UTC)  # 16:05 in Rome
DEC_9 = datetime.datetime(2026, 12, 9, 8, 30, tzinfo=datetime.UTC)


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def render(source: str, **context) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_italian_dates_have_lower_case_months_and_no_leading_zero():
    with translation.override("it"):
        assert formats.date_format(JUNE_6, "DATE_FORMAT") == "6 giugno 2026"
        assert formats.date_format(timezone.localtime(JUNE_6), "DATETIME_FORMAT") == "6 giugno 2026, 16:05"
        assert formats.date_format(JUNE_6, "MONTH_DAY_FORMAT") == "6 giugno"
        assert formats.date_format(JUNE_6, "l j E") == "sabato 6 giugno"
        assert formats.date_format(DEC_9, "D N") == "mer dic."
        assert render("{{ d|day_month }} · {{ d|short_date }}", d=DEC_9) == "9 dic · 9 dic 2026"
        assert render("{{ d|short_datetime }} · {{ d|day_month_time }}", d=JUNE_6) == (
            "6 giu 2026, 16:05 · 6 giu, 16:05"
        )


def test_english_dates_stay_european():
    with translation.override("en"):
        assert formats.date_format(JUNE_6, "DATE_FORMAT") == "6 June 2026"
        assert formats.date_format(DEC_9, "SHORT_DATE_FORMAT") == "09/12/2026"
        assert render("{{ d|day_month }} · {{ d|short_datetime }}", d=DEC_9) == "9 Dec · 9 Dec 2026, 09:30"


def test_an_hour_ago_has_its_apostrophe():
    now = timezone.now()
    with translation.override("it"):
        assert naturaltime(now - datetime.timedelta(minutes=65)) == "un'ora fa"
        assert naturaltime(now - datetime.timedelta(hours=3, minutes=1)) == "3\u00a0ore fa"
    with translation.override("en"):
        assert naturaltime(now - datetime.timedelta(minutes=65)) == "an hour ago"


def test_taking_a_case_is_not_assigning_it_to_oneself(marco_client, agent, admin, customer):
    case = make_case(customer)
    services.assign(case, agent, actor=agent.user)
    services.assign(case, admin, actor=agent.user)
    url = reverse("console:case", args=[case.pk])
    italian = marco_client.get(url).content.decode()
    assert "Marco Rossi ha preso in carico il caso" in italian
    assert "Marco Rossi ha assegnato il caso a Giulia Bianchi" in italian
    assert "ha assegnato il caso a Marco Rossi" not in italian
    english = marco_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Marco Rossi took the case" in english


def test_the_inbox_speaks_of_groups_and_names_its_views_in_the_plural(marco_client):
    html = marco_client.get(reverse("console:inbox")).content.decode()
    labels = re.findall(r'<a href="\?view=[^"]+"[^>]*>\s*<span>([^<]+)</span>', html)
    assert labels == [
        "Assegnati a me",
        "Non assegnati",
        "Tutti i casi aperti",
        "In attesa",
        "In attesa del cliente",
        "In attesa del corriere",
        "In attesa della banca",
        "Risolti",
        "Fuori SLA",
        "Tutti i casi",
    ]
    assert "<label>Gruppo" in html
    assert ">Team<" not in html and "<label>Team" not in html
