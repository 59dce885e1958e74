"""Messages say who wrote them and for whom. A case an agent opens for a caller holds the agent's
summary, written on the customer's behalf: the console says so, the portal never shows it (nor
the desk's subject) to the customer."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from premura.conversations import services
from premura.conversations.models import Attachment, CaseStatus
from premura.core import clock
from premura.portal.links import order_path
from premura.portal.services import attach_upload
from tests.factories.conversations import make_case
from tests.portal.conftest import open_link

CALLED_AT = datetime.datetime(2026, 12, 3, 10, 15, tzinfo=datetime.UTC)
SUMMARY = "Cliente molto arrabbiata, ha già avuto un rimborso: verificare col magazzino."
SUBJECT = "Telefonata: cliente nervosa, moka rotta"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def phone_case(agent, customer, anna_order):
    with clock.frozen_at(CALLED_AT):
        return services.open_case(
            customer=customer,
            order=anna_order,
            subject=SUBJECT,
            body=SUMMARY,
            channel="phone",
            owner=agent,
            written_by=agent,
        )


def portal_page(client, anna_order, path="") -> str:
    client.cookies["django_language"] = "en"
    response = client.get(open_link(client, order_path(anna_order)) + path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_agent_is_the_author_on_behalf_of_the_customer(phone_case, agent, customer):
    message = phone_case.messages.get()
    assert (message.direction, message.author_agent, message.author_customer, message.on_behalf_of) == (
        "inbound",
        agent,
        None,
        customer,
    )
    assert (message.author_name, phone_case.is_subject_internal) == ("Marco Rossi", True)


def test_the_console_new_case_form_records_the_agent_as_author(client, agent, customer, anna_order):
    client.force_login(agent.user)
    client.post(
        reverse("console:new_case"),
        {
            "customer": customer.pk,
            "order_number": "PRM-100001",
            "channel": "phone",
            "priority": "normal",
            "subject": SUBJECT,
            "body": SUMMARY,
        },
    )
    case = customer.cases.get()
    message = case.messages.get()
    assert (message.author_agent, message.author_customer, message.on_behalf_of) == (agent, None, customer)
    assert case.is_subject_internal is True
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "<strong>Marco Rossi per conto di Anna Colombo</strong>" in html


def test_the_console_names_a_customer_s_own_message_plainly(client, agent, customer):
    case = make_case(customer)
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "<strong>Anna Colombo</strong>" in html
    assert "per conto di" not in html


def test_the_portal_shows_neither_the_summary_nor_the_desk_s_subject(client, phone_case, agent, anna_order):
    services.reply(phone_case, agent, "Gentile Anna, le spediamo una moka nuova.")
    services.receive_message(phone_case, body="Grazie mille!", channel="web_form")
    order_page = portal_page(client, anna_order)
    case_page = portal_page(client, anna_order, f"cases/{phone_case.pk}/")
    for html in (order_page, case_page):
        assert SUBJECT not in html
        assert SUMMARY not in html
        assert f"#{phone_case.pk} Phone call of 3 December" in html
    assert "Gentile Anna, le spediamo una moka nuova." in case_page
    assert case_page.count('<span class="message-author">You</span>') == 1
    assert "Grazie mille!" in case_page


def test_before_any_reply_the_portal_says_the_desk_opened_the_request(client, phone_case, anna_order):
    html = portal_page(client, anna_order, f"cases/{phone_case.pk}/")
    assert "We opened this request for you: our replies will appear here." in html
    assert SUMMARY not in html


def test_the_portal_names_a_desk_case_by_its_reason_when_it_has_one(client, agent, customer, anna_order):
    case = services.open_case(
        customer=customer, order=anna_order, subject=SUBJECT, body=SUMMARY, reason="refund", written_by=agent
    )
    assert f"#{case.pk} Refund</a>" in portal_page(client, anna_order)


def test_a_follow_up_of_a_desk_case_keeps_its_subject_internal(client, phone_case, agent, anna_order):
    services.change_status(phone_case, CaseStatus.CLOSED, actor=agent.user)
    follow_up = services.receive_message(phone_case, body="Non è arrivata", channel="email").case
    assert (follow_up.subject, follow_up.is_subject_internal) == (SUBJECT, True)
    html = portal_page(client, anna_order, f"cases/{follow_up.pk}/")
    assert SUBJECT not in html
    assert "Non è arrivata" in html


def test_a_file_on_the_summary_cannot_be_downloaded_from_the_portal(client, phone_case, anna_order):
    def attach(message) -> str:
        png = SimpleUploadedFile("foto.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
        attachment = attach_upload(message, png, content_type="image/png")
        return open_link(client, order_path(anna_order)) + f"cases/{phone_case.pk}/files/{attachment.pk}/"

    on_the_summary = attach(phone_case.messages.get())
    on_her_message = attach(services.receive_message(phone_case, body="Ecco la foto", channel="web_form"))
    assert client.get(on_the_summary).status_code == 404
    assert client.get(on_her_message).status_code == 200
    assert Attachment.objects.count() == 2
