"""The contact form: one case on the order, from the web form, with an optional attachment."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from premura.channels.models import OutboundEmail
from premura.conversations.models import Attachment, Case, Message
from premura.core.models import AuditEvent
from premura.portal import forms

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BODY = "Buongiorno, la moka è arrivata con il manico rotto."


def contact_path(anna_path):
    return anna_path + "contact/"


def post(client, path, **data):
    fields = {"category": "damaged", "message": BODY, "website": ""}
    fields.update(data)
    return client.post(path, fields)


def test_the_form_opens_exactly_one_case_on_the_order(client, customer, anna_order, anna_path):
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = post(client, contact_path(anna_path))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == f"{anna_path}cases/{case.pk}/"
    assert (case.customer, case.order, case.channel) == (customer, anna_order, "web_form")
    message = case.messages.get(direction="inbound")
    assert (message.body, message.direction, message.channel) == (BODY, "inbound", "web_form")
    assert message.author_customer == customer


def test_the_reason_is_a_field_and_the_subject_the_customer_s_own_words(client, anna_path):
    long_message = "Buongiorno,\n\nil pacco risulta consegnato ma a casa non è arrivato niente: " * 3
    post(client, contact_path(anna_path), category="delivery", message=long_message)
    case = Case.objects.get()
    assert case.reason == "delivery"
    assert case.is_subject_internal is False
    assert case.subject == "Buongiorno, il pacco risulta consegnato ma a casa non è arrivato niente…"


def test_after_sending_the_customer_sees_the_case_number(client, anna_path):
    client.cookies["django_language"] = "en"
    response = post(client, contact_path(anna_path), category="delivery")
    case = Case.objects.get()
    page = client.get(response.headers["Location"]).content.decode()
    assert f"Your case number is #{case.pk}." in page
    assert BODY in page


def test_with_htmx_it_answers_with_the_confirmation_fragment(client, anna_path):
    client.cookies["django_language"] = "en"
    response = client.post(
        contact_path(anna_path),
        {"category": "delivery", "message": BODY, "website": ""},
        headers={"hx-request": "true"},
    )
    case = Case.objects.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="contact-form" class="card" role="status">')
    assert f"Your case number is #{case.pk}." in body
    assert "<html" not in body


def test_the_case_gets_one_acknowledgement_by_e_mail_queued_with_it(client, customer, agent, anna_path):
    response = post(client, contact_path(anna_path))
    case = Case.objects.get()
    row = OutboundEmail.objects.get()
    assert (row.case, row.kind, row.status, row.to_address) == (
        case,
        "acknowledgement",
        "queued",
        "anna.colombo@example.it",
    )
    assert row.dedupe_key == f"acknowledgement:case:{case.pk}"
    assert row.subject == f"Abbiamo ricevuto la tua richiesta [#{case.pk}]"
    assert f"abbiamo ricevuto la tua richiesta: il suo numero è #{case.pk}.\n" in row.body_text
    assert [(m.direction, m.author_name) for m in case.messages.order_by("pk")] == [
        ("inbound", "Anna Colombo"),
        ("outbound", "Premura"),
    ]
    # The portal shows the customer the same words she got by e-mail.
    page = client.get(response.headers["Location"]).content.decode()
    assert f"abbiamo ricevuto la tua richiesta: il suo numero è #{case.pk}." in page


def test_a_case_an_agent_opens_in_the_console_gets_no_acknowledgement(client, customer, agent):
    client.force_login(agent.user)
    fields = {"customer": customer.pk, "channel": "email", "priority": "normal", "subject": "Mail girata"}
    response = client.post("/console/cases/new/", {**fields, "body": "Chiede del pacco"})
    assert response.status_code == 302
    assert customer.cases.count() == 1
    assert OutboundEmail.objects.count() == 0


def test_a_filled_honeypot_opens_no_case(client, anna_path):
    response = post(client, contact_path(anna_path), website="http://spam.example")
    assert response.status_code == 200
    assert Case.objects.count() == 0
    assert Message.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("message", ["", "   \n  "])
def test_an_empty_message_shows_an_error_and_keeps_the_rest(client, anna_path, message):
    client.cookies["django_language"] = "en"
    response = post(client, contact_path(anna_path), message=message, category="payment")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_message_error"><li>This field is required.</li></ul>' in body
    assert '<input type="radio" name="category" value="payment" required id="id_category_5" checked>' in body
    assert Case.objects.count() == 0


def test_a_too_long_message_keeps_what_was_typed(client, anna_path):
    typed = "Molto lungo. " * 400
    response = post(client, contact_path(anna_path), message=typed)
    body = response.content.decode()
    assert "errorlist" in body
    assert typed.strip() in body
    assert Case.objects.count() == 0


def test_a_missing_category_is_an_error(client, anna_path):
    response = post(client, contact_path(anna_path), category="")
    assert 'id="id_category_error"' in response.content.decode()
    assert BODY in response.content.decode()
    assert Case.objects.count() == 0


def test_htmx_errors_come_back_as_the_form_fragment(client, anna_path):
    response = client.post(
        contact_path(anna_path),
        {"category": "other", "message": "", "website": ""},
        headers={"hx-request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="contact-form" class="card">')
    assert 'id="id_message_error"' in body
    assert Case.objects.count() == 0


def test_an_attachment_is_stored_on_the_first_message(client, anna_path):
    upload = SimpleUploadedFile("manico rotto.png", PNG, content_type="image/png")
    post(client, contact_path(anna_path), attachment=upload)
    case = Case.objects.get()
    attachment = Attachment.objects.get()
    assert attachment.message == case.messages.get(direction="inbound")
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "manico_rotto.png",
        "image/png",
        len(PNG),
    )
    assert attachment.file.read() == PNG


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 64),
        ("finta.png", b"<html><script>alert(1)</script></html>"),  # the name lies about the bytes
        ("foto.pdf", PNG),  # a real image under another type's name
    ],
)
def test_a_file_of_the_wrong_type_is_refused(client, anna_path, name, content):
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = post(client, contact_path(anna_path), attachment=upload)
    body = response.content.decode()
    assert "Only photos (JPEG, PNG, GIF, WebP, HEIC) and PDF files can be attached." in body
    assert BODY in body
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_a_file_over_10_mb_is_refused(client, anna_path, monkeypatch):
    monkeypatch.setattr(forms, "ATTACHMENT_MAX_BYTES", 1024)
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("grande.png", PNG + b"\x00" * 2048, content_type="image/png")
    response = post(client, contact_path(anna_path), attachment=upload)
    assert "The file is larger than 10 MB." in response.content.decode()
    assert Case.objects.count() == 0


def test_the_limit_is_10_mb():
    assert forms.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


def test_the_form_page_has_labelled_fields(client, anna_path):
    client.cookies["django_language"] = "en"
    body = client.get(contact_path(anna_path)).content.decode()
    assert '<label for="id_message">Your message:</label>' in body
    assert "<legend>What is it about?</legend>" in body
    labels = ("Order status", "Delivery problem", "Damaged item", "Return", "Refund", "Payment")
    for label in (*labels, "Product question", "Other"):
        assert f"{label}</label>" in body
    assert 'enctype="multipart/form-data"' in body
    assert 'hx-post="' in body
