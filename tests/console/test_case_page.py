import datetime
import re

import pytest
from django.urls import reverse

from premura.conversations.models import CaseStatus, Message
from tests.factories.conversations import make_case


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def case(customer, anna_order):
    return make_case(customer, order=anna_order, subject="Dov'è il mio pacco?")


def test_case_page_shows_conversation_customer_and_order(marco_client, case):
    html = marco_client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Dov&#x27;è il mio pacco?" in html
    assert "anna.colombo@example.it" in html
    assert "PRM-100001" in html
    assert "084012345678" in html  # the shipment with its tracking timeline
    assert "Spedizione in transito verso Milano" in html
    assert "Moka Bialetti 6 tazze" in html


def test_reply_is_signed_and_appears_in_the_timeline(marco_client, case):
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]),
        {"body": "Il pacco arriverà domani.", "status": "waiting_on_customer"},
    )
    assert response.status_code == 302
    reply = Message.objects.get(case=case, direction="outbound")
    assert reply.body == "Il pacco arriverà domani.\n\nMarco Rossi\nServizio clienti Bottega Premura"
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING_ON_CUSTOMER
    assert case.owner.display_name == "Marco Rossi"
    html = marco_client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Il pacco arriverà domani." in html
    assert "Marco Rossi ha preso in carico il caso" in html
    assert "ha assegnato il caso a Marco Rossi" not in html


def test_htmx_reply_returns_the_refreshed_case_body(marco_client, case):
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]),
        {"body": "Ecco il nuovo tracking."},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ecco il nuovo tracking." in html
    assert "<html" not in html


def test_empty_reply_is_refused_with_a_message(marco_client, case):
    response = marco_client.post(reverse("console:case_reply", args=[case.pk]), {"body": "  "}, follow=True)
    assert "Il messaggio è vuoto." in response.content.decode()
    assert case.messages.count() == 1


def test_note_assign_status_and_priority(marco_client, case, admin):
    marco_client.post(reverse("console:case_note", args=[case.pk]), {"body": "Chiamare BRT"})
    marco_client.post(reverse("console:case_assign", args=[case.pk]), {"owner": admin.pk})
    marco_client.post(reverse("console:case_status", args=[case.pk]), {"status": "waiting_on_carrier"})
    marco_client.post(reverse("console:case_priority", args=[case.pk]), {"priority": "high"})
    case.refresh_from_db()
    assert (case.owner, case.status, case.priority) == (admin, "waiting_on_carrier", "high")
    note = case.messages.get(is_internal=True)
    assert note.body == "Chiamare BRT"
    html = marco_client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Marco Rossi ha assegnato il caso a Giulia Bianchi" in html
    assert "In attesa del corriere" in html


def test_unknown_status_or_owner_changes_nothing(marco_client, case):
    marco_client.post(reverse("console:case_status", args=[case.pk]), {"status": "exploded"})
    marco_client.post(reverse("console:case_assign", args=[case.pk]), {"owner": "99999"})
    case.refresh_from_db()
    assert (case.status, case.owner) == ("new", None)


@pytest.mark.parametrize("owner", ["²", "99999999999999999999", "١٢"])
def test_an_owner_id_that_cannot_exist_is_refused_not_an_error(marco_client, case, owner):
    response = marco_client.post(reverse("console:case_assign", args=[case.pk]), {"owner": owner})
    assert response.status_code in (302, 422)
    case.refresh_from_db()
    assert case.owner is None


def test_missing_case_is_404(marco_client, db):
    assert marco_client.get(reverse("console:case", args=[424242])).status_code == 404


def test_a_closed_case_and_its_follow_up_link_to_each_other(marco_client, agent, case):
    from premura.conversations import services

    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    follow_up = services.receive_message(case, body="Il pacco non è ancora arrivato", channel="email").case

    def page(c):
        url = reverse("console:case", args=[c.pk])
        return marco_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    closed = page(case)
    assert "wrote again after the case was closed" in closed
    assert f'href="{reverse("console:case", args=[follow_up.pk])}">#{follow_up.pk}</a>' in closed
    assert f'follow-up of <a href="{reverse("console:case", args=[case.pk])}">#{case.pk}</a>' in page(
        follow_up
    )


@pytest.mark.parametrize(
    ("signal", "expected", "line"),
    [
        ("lost", None, "Presunto smarrito · probabilità 97% di mancare la data promessa"),
        ("stalled", datetime.date(2026, 12, 9), "Fermo · previsto il 9 dic · probabilità 97%"),
    ],
)
def test_the_shipment_s_risk_reads_as_one_line_with_or_without_an_expected_date(
    marco_client, case, signal, expected, line
):
    """A parcel presumed lost has no expected date: its risk line joins what there is, with no
    dangling separator."""
    case.order.shipments.update(
        delay_level="high", delay_signal=signal, delay_probability=0.97, expected_delivery_date=expected
    )
    page = marco_client.get(reverse("console:case", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="it")
    html = page.content.decode()
    risk = re.search(r'<p class="delay-risk">(.*?)</p>', html, re.S).group(1)
    assert line in " ".join(re.sub(r"<[^>]+>", " ", risk).split())
