"""A case's e-mail shown whole in the console (channels.display, channels.views): the case page
shows the stripped text and links the full message; the full message has the whole text and the
sanitised HTML in a sandboxed frame with a policy of its own; inline images are the parts stored
on the case message with their Content-ID, only real PNG/JPEG/GIF/WebP, behind the case's access
check."""

import base64
from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from premura.channels import ingest
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, InboundState, Mailbox
from premura.conversations.models import Attachment
from tests.channels.email_fixtures import raw as corpus

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
TEXT = "Buongiorno, la moka è arrivata rotta.\n\nAnna\n\n-- \nAnna Colombo\nVia Roma 1, Milano"
HTML = (
    '<p onclick="steal()" style="position:fixed">Buongiorno, la moka è <b>arrivata rotta</b>.</p>'
    '<p><img src="cid:foto@anna.example" alt="foto"><img src="cid:finta@anna.example" alt="finta">'
    '<img src="cid:svg@anna.example" alt="svg"><img src="https://tracker.example/t.gif?u=anna" alt="t"></p>'
    "<script>parent.pwned = 1</script>"
    '<blockquote type="cite">Gentile Anna, il pacco è partito.</blockquote>'
)


def html_mail() -> bytes:
    """Anna's HTML mail: a real PNG, a "PNG" that is text, an SVG, all inline by Content-ID, and a
    tracking pixel."""
    message = EmailMessage()
    message["From"] = "Anna Colombo <anna.colombo@example.it>"
    message["To"] = "assistenza@bottega.example"
    message["Subject"] = "Moka rotta"
    message["Message-ID"] = "<moka-1@example.it>"
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<foto@anna.example>", filename="foto.png")
    html_part.add_related(b"not a png at all", "image", "png", cid="<finta@anna.example>", filename="f.png")
    html_part.add_related(SVG, "image", "svg+xml", cid="<svg@anna.example>", filename="s.svg")
    return message.as_bytes()


@pytest.fixture
def mailbox(db, team):
    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


def filed(mailbox: Mailbox, raw: bytes) -> InboundEmail:
    row, _created = accept_inbound(mailbox, raw, source="lmtp", envelope_sender="anna.colombo@example.it")
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.state == InboundState.PROCESSED
    return row


@pytest.fixture
def anna_mail(mailbox, customer) -> InboundEmail:
    return filed(mailbox, html_mail())


@pytest.fixture
def console(client, agent) -> Client:
    client.force_login(agent.user)
    return client


def test_the_case_page_shows_the_stripped_text_and_links_the_full_message(console, anna_mail):
    page = console.get(reverse("console:case", args=[anna_mail.case_id]), HTTP_ACCEPT_LANGUAGE="it")
    html = page.content.decode()
    full_url = f"/console/mail/{anna_mail.pk}/"
    assert '<div class="body">Buongiorno, la moka è arrivata rotta.<br><br>Anna</div>' in html
    assert "Via Roma 1" not in html
    # With htmx, opening the <details> loads the message into it; without, its link opens a page.
    assert f'hx-get="{full_url}" hx-trigger="toggle once" hx-target="find .mail-more-body"' in html
    assert "<summary>Messaggio completo</summary>" in html
    assert f'<a href="{full_url}">Apri il messaggio completo</a>' in html


def test_the_full_message_has_the_whole_text_and_the_html_in_a_sandboxed_frame(console, anna_mail):
    url = reverse("mail:message", args=[anna_mail.pk])
    fragment = console.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<html" not in fragment
    assert "Anna Colombo\nVia Roma 1, Milano</pre>" in fragment
    assert (
        f'<iframe class="mail-frame" name="mail-frame-{anna_mail.pk}" '
        f'src="/console/mail/{anna_mail.pk}/html/" '
        'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"'
    ) in fragment
    assert (
        f'<a class="button" href="/console/mail/{anna_mail.pk}/html/?images=1" '
        f'target="mail-frame-{anna_mail.pk}">Show images</a>'
    ) in fragment
    # Without htmx: a page of its own, in the console's layout, that leads back to the case.
    page = console.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.startswith("<!doctype html>")
    assert f'<a href="/console/cases/{anna_mail.case_id}/">← Back to case #{anna_mail.case_id}</a>' in page
    assert fragment.strip() in page


def test_the_frame_document_is_sanitised_and_fetches_nothing_but_our_images(console, anna_mail):
    response = console.get(reverse("mail:html", args=[anna_mail.pk]))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    )
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    photo = Attachment.objects.get(message=anna_mail.case_message, content_id="foto@anna.example")
    body = response.content.decode().split("<body>", 1)[1]
    # The real PNG is shown from the case's attachments; the fake PNG and the SVG get no source.
    assert body == (
        "<p>Buongiorno, la moka è <b>arrivata rotta</b>.</p>"
        f'<p><img src="/console/cases/{anna_mail.case_id}/attachments/{photo.pk}/" alt="foto">'
        '<img alt="finta">'
        '<img alt="svg"><img alt="t"></p>'
        '<blockquote type="cite">Gentile Anna, il pacco è partito.</blockquote>\n</body>\n</html>\n'
    )


def test_the_inline_parts_are_stored_with_their_content_id_and_only_images_are_served_inline(
    console, anna_mail
):
    parts = anna_mail.case_message.attachments.order_by("pk")
    assert [(p.filename, p.content_type, p.content_id) for p in parts] == [
        ("foto.png", "image/png", "foto@anna.example"),
        ("f.png", "application/octet-stream", "finta@anna.example"),
        ("s.svg", "application/octet-stream", "svg@anna.example"),
    ]
    photo = console.get(reverse("console:attachment", args=[anna_mail.case_id, parts[0].pk]))
    assert (photo.status_code, photo.headers["Content-Type"]) == (200, "image/png")
    assert b"".join(photo.streaming_content) == PNG
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    svg = console.get(reverse("console:attachment", args=[anna_mail.case_id, parts[2].pk]))
    assert svg.headers["Content-Type"] == "application/octet-stream"
    assert svg.headers["Content-Disposition"].startswith("attachment;")


def test_show_images_lets_remote_images_load_and_nothing_else(console, anna_mail):
    response = console.get(reverse("mail:html", args=[anna_mail.pk]), {"images": "1"})
    assert "img-src 'self' https: http:;" in response.headers["Content-Security-Policy"]
    assert "default-src 'none';" in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert '<img src="https://tracker.example/t.gif?u=anna" alt="t">' in html
    assert "script" not in html.split("<body>", 1)[1] and "onclick" not in html


def test_a_plain_text_mail_has_its_full_text_and_no_frame(console, mailbox, customer):
    row = filed(mailbox, corpus("thunderbird_it_bottom_post.eml"))
    fragment = console.get(reverse("mail:message", args=[row.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<iframe" not in fragment and "mail:html" not in fragment
    assert '<pre class="mail-text">' in fragment
    assert console.get(reverse("mail:html", args=[row.pk])).status_code == 404


def test_only_agents_reach_a_case_s_mail(client, anna_mail, mailbox, db):
    urls = [
        reverse("mail:message", args=[anna_mail.pk]),
        reverse("mail:html", args=[anna_mail.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(get_user_model().objects.create_user("intruso", password="x-long-password-1"))
    for url in urls:
        assert client.get(url).status_code == 403


def test_mail_filed_in_no_case_or_unknown_is_not_found(console, mailbox):
    garbage, _created = accept_inbound(mailbox, b"\x00 not a mail\r\n", source="lmtp", envelope_sender="")
    ingest.process_inbound(garbage.pk)
    for inbound_id in (garbage.pk, 999_999):
        for url in (reverse("mail:message", args=[inbound_id]), reverse("mail:html", args=[inbound_id])):
            assert console.get(url).status_code == 404
