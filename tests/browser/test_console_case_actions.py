"""On the case page: a refused action keeps what the agent typed; files go out and come back."""

import struct
import zlib

import pytest

from premura.conversations.models import Message
from tests.factories.conversations import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Chiamare BRT domattina per la giacenza."


def tiny_png() -> bytes:
    """A real 1×1 PNG, so the browser can decode the preview."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case_page(agent_page, live_server, customer, anna_order):
    case = make_case(customer, order=anna_order, subject="Pacco non arrivato")
    agent_page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    return agent_page, case


def test_an_empty_reply_shows_its_error_in_place_and_the_note_keeps_its_text(case_page):
    page, case = case_page
    page.locator("#note-body").fill(NOTE)
    page.locator("#reply-body").fill("   ")
    page.locator("#reply-form button[type=submit]").click()
    error = page.locator("#reply-errors")
    error.wait_for()
    assert error.inner_text() == "Il messaggio è vuoto."
    assert page.locator("#reply-body").input_value() == "   "
    assert page.locator("#note-body").input_value() == NOTE
    assert page.locator(".flash").count() == 0
    assert case.messages.count() == 1


def test_a_refused_file_shows_its_error_in_place_and_keeps_the_reply(case_page):
    page, case = case_page
    text = "Gentile Anna, le mando la pagina di tracciamento."
    page.locator("#reply-body").fill(text)
    page.locator("#reply-form input[type=file]").set_input_files(
        files=[{"name": "tracciamento.html", "mimeType": "text/html", "buffer": b"<h1>BRT</h1>"}]
    )
    page.locator("#reply-form button[type=submit]").click()
    error = page.locator("#reply-errors")
    error.wait_for()
    assert error.inner_text().startswith("tracciamento.html non si può allegare")
    assert page.locator("#reply-body").input_value() == text
    page.reload()  # and the error was not left for the next page either
    assert page.locator(".flash").count() == 0
    assert case.messages.count() == 1


def test_an_agent_sends_a_photo_and_sees_its_preview(case_page):
    page, case = case_page
    page.locator("#reply-body").fill("Ecco la foto dell'etichetta.")
    page.locator("#reply-form input[type=file]").set_input_files(
        files=[{"name": "etichetta.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.locator("#reply-form button[type=submit]").click()
    preview = page.locator(".msg-outbound img.preview")
    preview.wait_for()
    assert preview.get_attribute("alt") == "etichetta.png"
    # A function, not an expression string: Playwright evals expression strings in the page, which
    # the Content-Security-Policy forbids (script-src 'self').
    page.wait_for_function("() => document.querySelector('.msg-outbound img.preview').complete")
    assert preview.evaluate("img => img.naturalWidth") == 1  # served inline, decoded by the browser
    assert page.locator(".msg-outbound a[download]").inner_text() == "📎 etichetta.png"
    reply = Message.objects.get(case=case, direction="outbound")
    assert [a.filename for a in reply.attachments.all()] == ["etichetta.png"]
