"""Files on a case: agents attach them to replies and open them from the timeline.

A file is reached only through a case the agent may see (access_case). Safe images are shown
inline as previews; anything else, SVG and HTML included, is a download the browser never sniffs.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from premura.conversations import services
from premura.conversations.attachments import NewAttachment
from premura.conversations.models import Attachment, Message
from premura.core.models import AuditEvent
from tests.factories.conversations import make_case

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n%fake\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def case(customer, anna_order):
    return make_case(customer, order=anna_order)


def attach(message: Message, name: str, content: bytes, content_type: str) -> Attachment:
    attachment = Attachment(message=message, filename=name, content_type=content_type, size=len(content))
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


def file_url(case, attachment) -> str:
    return reverse("console:attachment", args=[case.pk, attachment.pk])


def test_an_agent_attaches_files_to_a_reply(marco_client, case):
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]),
        {
            "body": "Ecco l'etichetta per il reso.",
            "attachments": [
                SimpleUploadedFile("etichetta reso.pdf", PDF, content_type="application/pdf"),
                SimpleUploadedFile("foto.png", PNG, content_type="image/png"),
            ],
        },
    )
    assert response.status_code == 302
    reply = Message.objects.get(case=case, direction="outbound")
    stored = [(a.filename, a.content_type, a.size) for a in reply.attachments.order_by("pk")]
    assert stored == [
        ("etichetta_reso.pdf", "application/pdf", len(PDF)),
        ("foto.png", "image/png", len(PNG)),
    ]
    assert reply.attachments.get(filename="foto.png").file.read() == PNG


def test_the_reply_service_stores_attachments_under_a_safe_name(agent, case):
    upload = SimpleUploadedFile("../../etc/pass\r\nwd: x.pdf", PDF)
    message = services.reply(case, agent, "Ecco", attachments=[NewAttachment(upload, "application/pdf")])
    attachment = message.attachments.get()
    assert attachment.filename == "passwd_x.pdf"
    assert attachment.file.name == f"attachments/{case.pk}/passwd_x.pdf"


def test_a_refused_reply_stores_no_file(agent, case, tmp_path):
    from premura.conversations.exceptions import CaseError

    upload = SimpleUploadedFile("foto.png", PNG)
    with pytest.raises(CaseError):
        services.reply(
            case, agent, "Ecco", new_status="exploded", attachments=[NewAttachment(upload, "image/png")]
        )
    assert Attachment.objects.count() == 0
    assert not (tmp_path / "attachments").exists()


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("pagina.html", b"<html><script>alert(1)</script></html>")], "pagina.html non si può allegare"),
        ([("finta.png", PDF)], "finta.png non si può allegare"),
        ([("disegno.svg", SVG)], "disegno.svg non si può allegare"),
        ([("grande.png", PNG + b"\x00" * 2000)], "grande.png è più grande di 1,0\xa0KB."),
        ([(f"foto{n}.png", PNG) for n in range(3)], "Si possono allegare al massimo 2 file a una risposta."),
    ],
)
def test_a_reply_with_a_refused_file_writes_nothing_and_keeps_the_text(
    marco_client, case, settings, files, error
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.ATTACHMENT_MAX_COUNT = 2
    events = AuditEvent.objects.count()
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]),
        {
            "body": "Ecco i file.",
            "attachments": [SimpleUploadedFile(name, content) for name, content in files],
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert error in html
    assert ">\nEcco i file.</textarea>" in html
    assert (case.messages.count(), Attachment.objects.count(), AuditEvent.objects.count()) == (1, 0, events)


def test_a_png_is_shown_inline_and_never_sniffed(marco_client, case):
    attachment = attach(case.messages.get(), "foto.png", PNG, "image/png")
    response = marco_client.get(file_url(case, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="foto.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("ricevuta.pdf", PDF, "application/pdf"),
        ("disegno.svg", SVG, "image/svg+xml"),
        ("pagina.html", b"<script>alert(1)</script>", "text/html"),
        ("finta.png", b"<script>alert(1)</script>", "image/png"),  # the type says image, the bytes do not
        ("foto.heic", b"\x00\x00\x00\x18ftypheic", "image/heic"),
    ],
)
def test_anything_but_a_safe_image_is_a_download(marco_client, case, name, content, content_type):
    attachment = attach(case.messages.get(), name, content, content_type)
    response = marco_client.get(file_url(case, attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_content_type_that_is_not_a_plain_type_is_served_as_bytes(marco_client, case):
    attachment = attach(case.messages.get(), "strano.bin", b"data", "text/html\r\nX-Evil: 1")
    response = marco_client.get(file_url(case, attachment))
    assert response["Content-Type"] == "application/octet-stream"


def test_an_attachment_on_an_internal_note_is_open_to_agents(marco_client, agent, case):
    note = services.add_note(case, agent, "Foto del danno dal corriere")
    attachment = attach(note, "danno.png", PNG, "image/png")
    assert marco_client.get(file_url(case, attachment)).status_code == 200


def test_an_attachment_is_reached_only_through_its_own_case(marco_client, case, other_customer):
    other = make_case(other_customer)
    attachment = attach(other.messages.get(), "zaino.png", PNG, "image/png")
    assert marco_client.get(file_url(case, attachment)).status_code == 404
    assert marco_client.get(reverse("console:attachment", args=[424242, attachment.pk])).status_code == 404
    assert marco_client.get(reverse("console:attachment", args=[other.pk, 424242])).status_code == 404


def test_a_file_missing_from_disk_is_a_404(marco_client, case):
    attachment = attach(case.messages.get(), "foto.png", PNG, "image/png")
    attachment.file.delete(save=False)
    assert marco_client.get(file_url(case, attachment)).status_code == 404


def test_people_who_are_not_agents_cannot_open_a_file(client, case):
    attachment = attach(case.messages.get(), "foto.png", PNG, "image/png")
    response = client.get(file_url(case, attachment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))
    client.force_login(get_user_model().objects.create_user("intruso", password="x-long-password-1"))
    assert client.get(file_url(case, attachment)).status_code == 403


def test_the_timeline_links_files_and_previews_images(marco_client, case):
    first = case.messages.get()
    image = attach(first, "foto.png", PNG, "image/png")
    svg = attach(first, "disegno.svg", SVG, "image/svg+xml")
    html = marco_client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert f'<img src="{file_url(case, image)}" alt="foto.png" class="preview" loading="lazy">' in html
    assert f'<a href="{file_url(case, svg)}" download>📎 disegno.svg</a>' in html
    assert f'<img src="{file_url(case, svg)}"' not in html
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".jpg,.jpeg,.png,.gif,.webp,.heic,.pdf"' in html
