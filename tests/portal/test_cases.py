"""The customer's cases on the order: status, the conversation without internal notes, replies."""

import pytest

from premura.conversations import services
from premura.conversations.models import Attachment, CaseStatus, Message
from premura.portal.links import order_path
from tests.factories.conversations import make_case
from tests.portal.conftest import open_link

NOTE = "Nota interna: cliente già rimborsato due volte, attenzione"


@pytest.fixture
def anna_case(customer, anna_order, agent):
    case = make_case(
        customer,
        subject="Pacco in ritardo",
        body="Il pacco non arriva.",
        order=anna_order,
        channel="web_form",
    )
    services.add_note(case, agent, NOTE)
    services.reply(case, agent, "Gentile Anna, il pacco arriva domani.")
    return case


@pytest.fixture
def bruno_case(other_customer, bruno_order):
    return make_case(
        other_customer, subject="Zaino rotto", body="Lo zaino ha una cucitura aperta.", order=bruno_order
    )


def case_path(anna_path, case):
    return f"{anna_path}cases/{case.pk}/"


def test_the_case_page_shows_the_conversation_and_status(client, anna_path, anna_case):
    client.cookies["django_language"] = "en"
    response = client.get(case_path(anna_path, anna_case))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>#{anna_case.pk} Pacco in ritardo</h1>" in body
    assert "Il pacco non arriva." in body
    assert (
        "Gentile Anna, il pacco arriva domani.<br><br>Marco Rossi<br>Servizio clienti Bottega Premura" in body
    )
    assert '<strong class="case-status case-status-open">We are working on it</strong>' in body


def test_internal_notes_never_appear(client, anna_path, anna_case, anna_order):
    note = Message.objects.get(is_internal=True)
    assert note.case == anna_case
    for path in (anna_path, case_path(anna_path, anna_case)):
        assert NOTE not in client.get(path).content.decode()
    reply = client.post(case_path(anna_path, anna_case), {"body": "Grazie"}, headers={"hx-request": "true"})
    assert NOTE not in reply.content.decode()


def test_an_attachment_on_an_internal_note_cannot_be_downloaded(client, anna_path, anna_case, settings):
    from django.core.files.base import ContentFile

    note = Message.objects.get(is_internal=True)
    attachment = Attachment(message=note, filename="interno.pdf", content_type="application/pdf", size=8)
    attachment.file.save("interno.pdf", ContentFile(b"%PDF-1.4"), save=True)
    response = client.get(f"{case_path(anna_path, anna_case)}files/{attachment.pk}/")
    assert response.status_code == 404
    assert "interno.pdf" not in client.get(case_path(anna_path, anna_case)).content.decode()


def test_the_customer_can_download_her_own_attachment(client, anna_path, anna_case):
    from django.core.files.base import ContentFile

    first = anna_case.messages.order_by("pk").first()
    attachment = Attachment(message=first, filename="foto.png", content_type="image/png", size=8)
    attachment.file.save("foto.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    path = f"{case_path(anna_path, anna_case)}files/{attachment.pk}/"
    assert f'href="{path}"' in client.get(case_path(anna_path, anna_case)).content.decode()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="foto.png"'
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n"


def test_a_reply_appends_an_inbound_web_form_message(client, anna_path, anna_case, customer):
    response = client.post(case_path(anna_path, anna_case), {"body": "Grazie, attendo."})
    assert response.status_code == 302
    assert response.headers["Location"] == case_path(anna_path, anna_case)
    message = anna_case.messages.order_by("-pk").first()
    assert (message.body, message.direction, message.channel, message.is_internal) == (
        "Grazie, attendo.",
        "inbound",
        "web_form",
        False,
    )
    assert message.author_customer == customer
    assert anna_case.messages.count() == 4


def test_a_reply_with_htmx_returns_the_thread_fragment(client, anna_path, anna_case):
    client.cookies["django_language"] = "en"
    response = client.post(
        case_path(anna_path, anna_case), {"body": "Ecco la foto"}, headers={"hx-request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="thread">')
    assert "Ecco la foto" in body
    assert "Your reply has been sent." in body
    assert "<html" not in body


def test_a_reply_reopens_a_case_waiting_on_the_customer(client, anna_path, anna_case, agent):
    services.change_status(anna_case, CaseStatus.WAITING_ON_CUSTOMER, actor=agent.user)
    client.post(case_path(anna_path, anna_case), {"body": "Ecco i dati richiesti"})
    anna_case.refresh_from_db()
    assert anna_case.status == CaseStatus.OPEN


def test_an_empty_reply_shows_an_error_and_writes_nothing(client, anna_path, anna_case):
    client.cookies["django_language"] = "en"
    response = client.post(case_path(anna_path, anna_case), {"body": "   "})
    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_body_error"><li>This field is required.</li></ul>'
        in response.content.decode()
    )
    assert anna_case.messages.count() == 3


def test_a_closed_case_takes_no_reply(client, anna_path, anna_case, agent):
    client.cookies["django_language"] = "en"
    services.change_status(anna_case, CaseStatus.CLOSED, actor=agent.user)
    page = client.get(case_path(anna_path, anna_case)).content.decode()
    assert 'name="body"' not in page
    assert "This request is closed." in page
    response = client.post(case_path(anna_path, anna_case), {"body": "Ancora io"})
    assert response.status_code == 409
    assert anna_case.messages.count() == 3


def test_bruno_case_is_not_reachable_with_anna_token(client, anna_path, anna_case, bruno_case):
    path = case_path(anna_path, bruno_case)
    for response in (client.get(path), client.post(path, {"body": "Intrusione"})):
        body = response.content.decode()
        assert response.status_code == 404
        assert "Zaino rotto" not in body
        assert "cucitura" not in body
    assert bruno_case.messages.count() == 1


def test_anna_case_on_another_order_is_not_reachable_with_this_order_token(client, customer, anna_path):
    from tests.factories.commerce import OrderFactory

    other_order = OrderFactory(customer=customer)
    elsewhere = make_case(customer, subject="Altro ordine", order=other_order)
    no_order = make_case(customer, subject="Senza ordine")
    for case in (elsewhere, no_order):
        assert client.get(case_path(anna_path, case)).status_code == 404
    assert client.get(f"{open_link(client, order_path(other_order))}cases/{elsewhere.pk}/").status_code == 200


def test_bruno_attachment_is_not_reachable_with_anna_token(client, anna_path, anna_case, bruno_case):
    from django.core.files.base import ContentFile

    attachment = Attachment(
        message=bruno_case.messages.get(), filename="zaino.png", content_type="image/png", size=8
    )
    attachment.file.save("zaino.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    # Bruno's file id under Anna's own case, and under Bruno's case: both refused.
    assert client.get(f"{case_path(anna_path, anna_case)}files/{attachment.pk}/").status_code == 404
    assert client.get(f"{case_path(anna_path, bruno_case)}files/{attachment.pk}/").status_code == 404


def test_a_case_of_anna_moved_to_bruno_disappears(client, anna_path, anna_case, other_customer):
    # A case must match the order AND its customer: data fixed by hand must not leak either way.
    anna_case.customer = other_customer
    anna_case.save(update_fields=["customer"])
    assert client.get(case_path(anna_path, anna_case)).status_code == 404
    assert "Pacco in ritardo" not in client.get(anna_path).content.decode()
