"""The carrier scorecard page and its CSV: managers only (administrators and team leads), the
figures of the period chosen, flagged carriers first, and a CSV that no spreadsheet runs."""

import csv
import io

import pytest
from django.urls import reverse

from premura.core import clock
from premura.core.text import spreadsheet_cell
from premura.shipping.models import ScorecardThresholds
from premura.shipping.services import configure_carrier
from tests.factories.agents import make_agent
from tests.shipping.test_carrier_scorecard import at, ship

pytestmark = pytest.mark.django_db

PAGE = reverse("console:carrier_scorecard")
CSV = reverse("console:carrier_scorecard_csv")


@pytest.fixture
def shipments(db):
    configure_carrier(code="brt", name="BRT")
    configure_carrier(code="evil", name='=HYPERLINK("http://evil.example","click")')
    ship("brt", delivered=at(9))
    ship("brt", delivered=at(13))
    ship("evil", origin="+39 Lombardia", province="@MI", delivered=at(9))
    ScorecardThresholds.objects.create(min_on_time_percent=90, min_shipments=2)


@pytest.fixture
def lead(team):
    lead = make_agent("lucia", "Lucia Neri", team=team)
    team.lead = lead
    team.save(update_fields=["lead"])
    return lead


def get(client, user, url, **params):
    client.force_login(user)
    with clock.frozen_at(at(20)):
        return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_an_agent_without_the_role_gets_403(client, agent, shipments, url):
    assert get(client, agent.user, url).status_code == 403


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_someone_logged_out_is_sent_to_the_login(client, shipments, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


@pytest.mark.parametrize("who", ["admin", "lead"])
def test_administrators_and_team_leads_see_it_from_the_navigation(client, request, shipments, who):
    manager = request.getfixturevalue(who)
    inbox = get(client, manager.user, reverse("console:inbox"))
    assert f'href="{PAGE}"'.encode() in inbox.content
    assert get(client, manager.user, PAGE, months=1).status_code == 200


def test_the_navigation_has_no_link_for_other_agents(client, agent):
    assert f'href="{PAGE}"'.encode() not in get(client, agent.user, reverse("console:inbox")).content


def test_the_page_shows_flagged_carriers_first_with_why(client, admin, shipments):
    page = get(client, admin.user, PAGE, months=1).content.decode()
    flagged = page[page.index("data-flagged") : page.index("</section>", page.index("data-flagged"))]
    assert "<strong>BRT</strong>: On time 50.0%, below 90%" in flagged
    assert "HYPERLINK" not in flagged
    assert "<svg" in page and "On-time rate per carrier" in page
    assert 'data-scorecard="carriers"' in page and 'data-scorecard="lanes"' in page
    assert "+39 Lombardia → @MI" in page


def test_an_earlier_period_without_shipments_says_so(client, admin, shipments):
    client.force_login(admin.user)
    with clock.frozen_at(at(20, month=11).replace(year=2027)):
        page = client.get(PAGE, {"months": 3}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No shipment scanned by a carrier in this period." in page


def test_the_csv_has_the_figures_and_runs_no_formula(client, admin, shipments):
    response = get(client, admin.user, CSV, months=1)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="carrier-scorecard-2026-11-2026-11.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:7] == [
        "Level",
        "Carrier",
        "Origin",
        "Destination",
        "Shipments",
        "Delivered with a promised date",
        "On time (%)",
    ]
    assert rows[1:] == [
        [
            "carrier",
            "BRT",
            "",
            "",
            "2",
            "2",
            "50.0",
            "1.50",
            "3.0",
            "0.0",
            "0.00",
            "0.0",
            "On time 50.0%, below 90%",
        ],
        [
            "carrier",
            '\'=HYPERLINK("http://evil.example","click")',
            "",
            "",
            "1",
            "1",
            "100.0",
            "0.00",
            "0.0",
            "0.0",
            "0.00",
            "0.0",
            "",
        ],
        ["lane", "BRT", "Lombardia", "MI", "2", "2", "50.0", "1.50", "3.0", "0.0", "0.00", "0.0", ""],
        [
            "lane",
            '\'=HYPERLINK("http://evil.example","click")',
            "'+39 Lombardia",
            "'@MI",
            "1",
            "1",
            "100.0",
            "0.00",
            "0.0",
            "0.0",
            "0.00",
            "0.0",
            "",
        ],
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+39", "'+39"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("BRT", "BRT"),
        (-2, -2),
    ],
)
def test_a_text_cell_that_starts_like_a_formula_is_quoted(value, cell):
    assert spreadsheet_cell(value) == cell


def test_the_page_speaks_italian(client, admin, shipments):
    client.force_login(admin.user)
    with clock.frozen_at(at(20)):
        page = client.get(PAGE, {"months": 1}, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Pagella dei corrieri" in page
    assert "<strong>BRT</strong>: Puntuali 50,0%, sotto il 90%" in page


def test_administrators_change_the_thresholds_in_the_admin(client, admin, lead, shipments):
    changelist = reverse("admin:shipping_scorecardthresholds_changelist")
    assert f'href="{changelist}"' in get(client, admin.user, PAGE).content.decode()
    assert f'href="{changelist}"' not in get(client, lead.user, PAGE).content.decode()
    client.force_login(admin.user)
    assert client.get(changelist).status_code == 200
    # One row: the scorecard reads the first, so a second cannot be added.
    assert client.get(reverse("admin:shipping_scorecardthresholds_add")).status_code == 403
