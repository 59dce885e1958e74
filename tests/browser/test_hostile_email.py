"""Hostile HTML mail shown in the console of a real Chromium executes nothing and phones nobody.

The mail carries the usual attacks (script, event handlers, javascript: links, <svg onload>,
iframes, <meta refresh>, CSS url() and expression(), <base href>, a form posting elsewhere) and
a tracking pixel. Every one of them, if it worked, would either set `top.pwned` or reach the
tracking server this test runs on 127.0.0.1. Nothing may, until the agent clicks "Show images";
then only the image.
"""

import base64
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from premura.channels import ingest
from premura.channels.inbound import accept_inbound
from premura.channels.models import InboundEmail, Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PHONE = {"width": 390, "height": 844}


class Tracker:
    """An HTTP server on 127.0.0.1 that records every path asked of it: the sender's server."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                tracker.paths.append(self.path.split("?", 1)[0])
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tracker():
    server = Tracker()
    yield server
    server.stop()


def hostile_html(t: str) -> str:
    """`t`: the tracker's URL. Each attack would set top.pwned to its name, or fetch from `t`."""
    return f"""<html><head>
<meta http-equiv="refresh" content="0;url={t}/refresh">
<base href="{t}/base/">
<link rel="stylesheet" href="{t}/stylesheet">
<script>top.pwned = "script"; new Image().src = "{t}/script";</script>
<style>body {{ background: url({t}/style-url) }} p {{ width: expression(top.pwned = "expression") }}</style>
</head>
<body onload="top.pwned = 'body onload'" background="{t}/body-background">
<p style="background-image: url({t}/inline-style); background: url({t}/inline-background)">
Buongiorno, vi mando la fattura della moka.</p>
<p style="color: rgb(200, 0, 0); font-weight: bold; position: fixed; top: 0; z-index: 9;
  list-style-image: url({t}/list-style); cursor: url({t}/cursor), auto">Totale: 49,90 €</p>
<img src="x" onerror="top.pwned = 'img onerror'" alt="rotta">
<svg onload="top.pwned = 'svg onload'"><image href="{t}/svg-image"></image></svg>
<iframe src="{t}/iframe"></iframe>
<iframe srcdoc="&lt;script&gt;top.pwned = 'srcdoc'&lt;/script&gt;"></iframe>
<a href="javascript:top.pwned = 'javascript link'">apri la fattura</a>
<details open ontoggle="top.pwned = 'ontoggle'"><summary>dettagli</summary>…</details>
<form action="{t}/form" method="post"><input name="password"><button>Accedi</button></form>
<object data="{t}/object"></object><embed src="{t}/embed">
<video poster="{t}/poster" src="{t}/video"></video>
<table background="{t}/table-background"><tr><td>{"Lunghissima" * 40}</td></tr></table>
<img src="relative.png" alt="relativa">
<img srcset="{t}/srcset.png 2x" alt="srcset">
<img src="cid:logo@bottega.example" alt="logo">
<img src="{t}/pixel.png?who=anna" alt="pixel">
</body></html>"""


def store_hostile_mail(tracker: Tracker) -> InboundEmail:
    message = EmailMessage()
    message["From"] = "Anna Colombo <anna.colombo@example.it>"
    message["To"] = "assistenza@bottega.example"
    message["Subject"] = "Fattura moka"
    message["Message-ID"] = "<fattura-1@example.it>"
    message.set_content(hostile_html(tracker.url), subtype="html")
    message.add_related(PNG, "image", "png", cid="<logo@bottega.example>", filename="logo.png")
    mailbox = Mailbox.objects.create(address="assistenza@bottega.example")
    raw = message.as_bytes()
    row, _created = accept_inbound(mailbox, raw, source="lmtp", envelope_sender="anna.colombo@example.it")
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.case_id is not None
    return row


def log_in(page, live_server, agent) -> None:
    client = Client()
    client.force_login(agent.user)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def watch(page) -> list[str]:
    """Every dialog the page (or a frame in it) tries to open, and every Content-Security-Policy
    violation the browser reports: the sanitiser leaves the policies nothing to refuse."""
    seen: list[str] = []

    def refuse(dialog):
        seen.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", refuse)
    page.on(
        "console", lambda message: seen.append(message.text) if "Content Security" in message.text else None
    )
    return seen


def open_full_message(page, row: InboundEmail):
    """Open "Full message" on the case page (htmx loads it) and return the mail's frame, loaded."""
    page.get_by_text("Messaggio completo", exact=True).click()
    return loaded_frame(page, row)


def loaded_frame(page, row: InboundEmail):
    """The frame that shows the mail's HTML, once its document has loaded."""
    frame = page.locator(f"iframe[name=mail-frame-{row.pk}]").element_handle().content_frame()
    frame.wait_for_load_state()
    frame.get_by_text("vi mando la fattura").wait_for()
    return frame


def image_loaded(frame, alt: str) -> bool:
    return frame.locator(f"img[alt={alt}]").evaluate("img => img.complete && img.naturalWidth > 0")


def test_hostile_html_mail_runs_nothing_and_loads_remote_images_only_when_asked(
    page, live_server, agent, customer, tracker
):
    row = store_hostile_mail(tracker)
    alarms = watch(page)
    log_in(page, live_server, agent)
    page.goto(f"{live_server.url}/console/cases/{row.case_id}/")
    # By default the case shows the text, stripped: the HTML is not on the page at all.
    assert "Buongiorno, vi mando la fattura della moka." in page.locator(".msg-inbound .body").inner_text()

    frame = open_full_message(page, row)
    # The inline image comes from the stored message; the sender's server has heard nothing.
    assert image_loaded(frame, "logo")
    assert not image_loaded(frame, "pixel")
    for dangerous in ("script", "style", "link", "iframe", "form", "object", "embed", "svg", "video", "meta"):
        assert frame.locator(f"body {dangerous}").count() == 0, dangerous
    # The mail's own look stays (colour, weight); what would move it over the page or fetch does not.
    styled = frame.get_by_text("Totale: 49,90 €").evaluate(
        "p => { const s = getComputedStyle(p); return [s.color, s.fontWeight, s.position] }"
    )
    assert styled == ["rgb(200, 0, 0)", "700", "static"]
    trap = frame.get_by_text("apri la fattura")
    assert trap.get_attribute("href") is None
    trap.click()
    frame.get_by_text("dettagli").click()
    assert page.evaluate("window.pwned") is None
    assert alarms == []
    assert tracker.paths == []

    with page.expect_response(lambda response: "/pixel.png" in response.url):
        page.get_by_role("link", name="Mostra immagini").click()
    frame = loaded_frame(page, row)
    assert image_loaded(frame, "pixel") and image_loaded(frame, "logo")
    assert page.evaluate("window.pwned") is None
    assert alarms == []
    # Only the image reached the sender's server: no stylesheet, frame, form, refresh or poster.
    assert tracker.paths == ["/pixel.png"]


def test_the_full_message_fits_a_phone(chromium, live_server, agent, customer, tracker):
    row = store_hostile_mail(tracker)
    context = chromium.new_context(locale="it-IT", viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        log_in(phone, live_server, agent)
        phone.goto(f"{live_server.url}/console/cases/{row.case_id}/")
        open_full_message(phone, row)
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"the case page is {width}px wide on a 390px phone"
        box = phone.locator(f"iframe[name=mail-frame-{row.pk}]").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()


def test_without_javascript_the_full_message_is_a_page_and_show_images_still_works(
    chromium, live_server, agent, customer, tracker
):
    row = store_hostile_mail(tracker)
    context = chromium.new_context(locale="it-IT", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, agent)
        page.goto(f"{live_server.url}/console/cases/{row.case_id}/")
        page.get_by_text("Messaggio completo", exact=True).click()  # <details> opens without script
        page.get_by_role("link", name="Apri il messaggio completo").click()
        page.wait_for_url(f"**/console/mail/{row.pk}/")
        loaded_frame(page, row)
        assert tracker.paths == []
        with page.expect_response(lambda response: "/pixel.png" in response.url):
            page.get_by_role("link", name="Mostra immagini").click()
        assert tracker.paths == ["/pixel.png"]
    finally:
        context.close()
