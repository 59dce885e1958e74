import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from premura.channels.email.parse import decode_header_value, parse_message, sanitize_html

from .email_fixtures import FIXTURES, LIMIT, parsed, raw

CET = dt.timezone(dt.timedelta(hours=1))

# (fixture, message_id, in_reply_to, references, from_name, from_address, subject, text)
HEADERS_AND_TEXT = [
    ("gmail_it.eml", "CAF=gmail-it-1@mail.gmail.com", "ack-1@shop.example", ("ack-1@shop.example",),
     "Mario Rossi", "mario.rossi@gmail.com", "Re: [#1234] Ordine 10482",
     "Buongiorno,\nil pacco non è ancora arrivato, potete verificare?\n\nGrazie\nMario\n\n"
     "Il giorno lun 3 mar 2025 alle ore 10:12 Assistenza Shop <\nassistenza@shop.example> ha scritto:\n\n"
     "> Gentile Mario,\n> il suo ordine n. 10482 è stato spedito.\n>"),
    ("gmail_en.eml", "CAF=gmail-en-1@mail.gmail.com", "reply-2@shop.example",
     ("ack-2@shop.example", "reply-2@shop.example"), "John Smith", "john.smith@gmail.com", "Re: Order 10482",
     "Hi,\ncould you send me the invoice for order 10482?\n\nThanks, John\n\n"
     "On Mon, Mar 3, 2025 at 10:12 AM Shop Support <assistenza@shop.example>\nwrote:\n\n"
     "> Dear John,\n> your order has shipped."),
    ("outlook_de.eml", "AS8PR07MB9999@AS8PR07MB9999.eurprd07.prod.outlook.com", "reply-5@shop.example",
     ("reply-5@shop.example",), "Jürgen Müller", "juergen.mueller@web.de", "AW: Bestellung 10510",
     "Guten Tag,\n\ndie Größe passt nicht, ich möchte umtauschen.\n\n"
     "Mit freundlichen Grüßen\nJürgen Müller\n\n"
     "Von: Assistenza Shop <assistenza@shop.example>\nGesendet: Montag, 3. März 2025 10:12\n"
     "An: Jürgen Müller <juergen.mueller@web.de>\nBetreff: Bestellung 10510\n\nSehr geehrter Herr Müller,"),
    ("libero_it.eml", "1741100000.libero.123@libero.it", "", (), "giuseppe.russo@libero.it",
     "giuseppe.russo@libero.it", "R: Ordine 10520",
     "Il prodotto è difettoso, vorrei il cambio.\nGiuseppe\n\n----Messaggio originale----\n"
     "Da: assistenza@shop.example\nData: 3-mar-2025 10.12\nA: <giuseppe.russo@libero.it>\n"
     "Ogg: Ordine 10520\n\n"
     "Gentile cliente, il suo ordine è in lavorazione."),
    ("hcl_notes_it.eml", "OFA1B2C3D4.E5F6-ONC1258B@industria.example", "reply-16@shop.example", (),
     "Marco Galli", "marco.galli@industria.example", "Re: Nota di credito",
     "Buongiorno,\nattendiamo la nota di credito.\n\nCordiali saluti\nIng. Marco Galli\n\n"
     "Da:\tAssistenza Shop <assistenza@shop.example>\nA:\tMarco Galli <marco.galli@industria.example>\n"
     "Data:\t03/03/2025 10:12\nOggetto:\tNota di credito"),
    ("zimbra_it.eml", "123456789.1.1741100000@zimbra.azienda.example", "reply-15@shop.example", (),
     "Ufficio Acquisti", "acquisti@azienda.example", "Re: Ritiro",
     'Confermo il ritiro venerdì.\n\n----- Messaggio originale -----\n'
     'Da: "Assistenza" <assistenza@shop.example>\n'
     'A: "Ufficio Acquisti" <acquisti@azienda.example>\nInviato: Lunedì, 3 marzo 2025 10:12:00\n'
     "Oggetto: Ritiro\n\nPossiamo ritirare venerdì?"),
    ("cp1252_euro_in_latin1.eml", "euro-1@tin.it", "", (), "Rita Serra", "rita.serra@tin.it", "Rimborso",
     "Ho pagato 49,90 € ma il prodotto è arrivato rotto."),
    ("invalid_utf8.eml", "badutf8-1@alice.it", "", (), "Nicolò Greco", "nicolo.greco@alice.it",
     "Perché non risponde?", "Sono già passati 10 giorni, città: Forlì. Costo 5 €."),
    ("unknown_charset.eml", "unknown-cs-1@client.example", "", (), "Old Client", "old@client.example",
     "Caffè", "Un caffè e un tè."),
    ("html_only.eml", "html-only-1@partner.example", "", (), "Negozio Partner", "ordini@partner.example",
     "Richiesta disponibilità",
     "Buongiorno,\n\navete disponibili:\n\n- 10 zaini blu\n- 5 borracce\n\nGrazie & saluti\nUfficio ordini"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,message_id,in_reply_to,references,from_name,from_address,subject,text", HEADERS_AND_TEXT
)
def test_headers_and_text(name, message_id, in_reply_to, references, from_name, from_address, subject, text):
    p = parsed(name)
    assert p.is_readable is True
    assert p.error == ""
    assert p.message_id == message_id
    assert p.in_reply_to == in_reply_to
    assert p.references == references
    assert p.from_name == from_name
    assert p.from_address == from_address
    assert p.subject == subject
    assert p.text == text


CHARSET_NOTES = {
    "cp1252_euro_in_latin1.eml": ("labelled iso-8859-1 with windows-1252 bytes: read as windows-1252",),
    "invalid_utf8.eml": ("invalid utf-8: bytes read as windows-1252",),
    "unknown_charset.eml": ("unknown charset 'x-klingon': read as utf-8 and windows-1252",),
    "gmail_it.eml": (),
    "outlook_it.eml": (),
}


@pytest.mark.parametrize("name,notes", CHARSET_NOTES.items())
def test_charset_fallbacks_are_noted(name, notes):
    assert parsed(name).charset_fallbacks == notes


def test_dates_are_parsed_with_their_offset():
    assert parsed("gmail_it.eml").date == dt.datetime(2025, 3, 4, 9, 30, 15, tzinfo=CET)
    assert parsed("qmail_failure_notice.eml").date == dt.datetime(2025, 3, 5, 16, 30, tzinfo=dt.UTC)
    assert parse_message(b"From: a@b.it\r\nDate: yesterday\r\n\r\nx", attachment_max_bytes=1).date is None


def test_recipients_are_lists_of_lower_case_addresses():
    p = parse_message(
        b'From: A <A@Example.IT>\r\nTo: x@y.it, "B, C" <BC@Z.it>\r\nCc: d@e.it\r\n'
        b"Reply-To: Other <other@Example.it>\r\n\r\nbody",
        attachment_max_bytes=10,
    )
    assert (p.from_address, p.to, p.cc, p.reply_to) == (
        "a@example.it",
        ("x@y.it", "bc@z.it"),
        ("d@e.it",),
        "other@example.it",
    )


def test_encoded_crlf_in_subject_and_name_stays_on_one_line_and_never_becomes_an_address():
    p = parsed("subject_encoded_crlf.eml")
    assert p.subject == "Ordine 10700 Bcc: victim@example.com — urgente"
    assert p.from_name == "Eve Bcc: x@evil.example"
    assert p.from_address == "eve@evil.example"
    assert decode_header_value("=?utf-8?q?a=0Db=0Ac=00d?=") == "a b c d"


def test_adjacent_encoded_words_are_joined_before_decoding():
    # "è" (c3 a8) split across two encoded words, as some clients fold long subjects.
    assert decode_header_value("=?utf-8?q?caff=C3?= =?utf-8?q?=A8_pronto?=") == "caffè pronto"


def test_outlook_it_text_is_read_as_latin1_and_html_as_base64_utf8():
    p = parsed("outlook_it.eml")
    assert p.text.startswith("Salve, il reso è stato spedito ieri.\n\nLaura Bianchi\n\n____")
    assert p.html == (
        "<div><div>Salve, il reso è stato spedito ieri.</div><div>Laura Bianchi</div></div>"
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>Da:</b> Assistenza Shop '
        "&lt;assistenza@shop.example&gt;<br><b>Inviato:</b> lunedì 3 marzo 2025 10:12<br><b>Oggetto:</b> "
        "Re: Reso ordine 10500<div>&nbsp;</div></div><div>Gentile Laura,<br>le abbiamo inviato "
        "l'etichetta per il reso.</div>"
    )


def test_apple_mail_inline_image_is_served_by_content_id():
    p = parsed("apple_mail_it.eml")
    image = p.inline_parts["F00D-1@icloud.com"]
    assert (image.filename, image.content_type, image.size, image.inline, image.over_limit) == (
        "foto.png",
        "image/png",
        29,
        True,
        False,
    )
    assert image.content.startswith(b"\x89PNG")
    assert p.attachments == (image,)
    assert '<img src="cid:F00D-1@icloud.com" alt="foto">' in p.html


def test_hostile_html_is_defused():
    p = parsed("hostile_html.eml")
    assert p.html == (
        '\n\n<p>Vedi <a rel="noopener noreferrer">la fattura</a> e <a href="https://example.com/f" '
        'rel="noopener noreferrer">il sito</a>.</p>\n<img>\n<img height="1" width="1">\n'
        '<img src="cid:logo@attacker.example" alt="logo">\n\n\n\n'
    )
    assert p.html_has_remote_images is True
    assert p.text == "Vedi la fattura e il sito."
    assert list(p.inline_parts) == ["logo@attacker.example"]


def test_remote_images_are_kept_when_the_agent_asks():
    p = parsed("hostile_html.eml", allow_remote_images=True)
    assert '<img src="https://tracker.example/pixel.gif?id=42" width="1" height="1">' in p.html
    assert "onerror" not in p.html and "script" not in p.html and "iframe" not in p.html


def test_sanitize_html_drops_styles_and_event_handlers():
    assert (
        sanitize_html('<div style="x" onclick="y" class="evil">a</div><style>p{}</style>')
        == '<div class="">a</div>'
    )


def test_for_the_frame_the_mail_keeps_its_look_and_nothing_that_fetches_or_moves():
    html = (
        '<td style="color: #c00; background-color: #fff; font: bold 14px Arial; padding: 4px; '
        "position: fixed; z-index: 99; background: url(https://t.example/a); "
        "background-image: url(https://t.example/b); list-style-image: url(https://t.example/c); "
        'cursor: url(https://t.example/d), auto; border-image: url(https://t.example/e) 30" '
        'onclick="x">a</td><style>p { color: red }</style>'
    )
    kept = sanitize_html(f"<table><tr>{html}</tr></table>", keep_styles=True)
    assert kept == (
        '<table><tbody><tr><td style="color:#c00;background-color:#fff;font:bold 14px Arial;padding:4px">'
        "a</td></tr></tbody></table>"
    )
    # Anywhere else (the text the case shows, the quote stripper), styles are dropped as before.
    assert "style" not in sanitize_html(f"<table><tr>{html}</tr></table>")


def test_attachments_over_the_limit_are_listed_not_extracted():
    p = parsed("attachment_over_limit.eml")
    assert [(a.filename, a.content_type, a.size, a.over_limit, a.content is None) for a in p.attachments] == [
        ("foto grande.jpg", "image/jpeg", 5120, True, True),
        ("ricevuta n°1.pdf", "application/pdf", 14, False, False),
        ("passwd", "text/plain", 10, False, False),
        ("Consegna fallita.eml", "message/rfc822", 143, False, False),
    ]
    assert p.attachments[1].content == b"%PDF-1.4 small"
    assert p.attachments[3].content.startswith(b"From: Corriere <noreply@corriere.example>\r\n")
    assert p.text == "Allego le foto e la ricevuta."
    bigger_limit = parsed("attachment_over_limit.eml", attachment_max_bytes=10_000)
    assert bigger_limit.attachments[0].over_limit is False
    assert bigger_limit.attachments[0].content == bytes(range(256)) * 20


def test_pec_uses_the_inner_message_and_describes_the_envelope():
    p = parsed("pec_postacert.eml")
    assert (p.message_id, p.in_reply_to, p.from_name, p.from_address, p.subject) == (
        "inner-pec-1@pec.avvocati.example",
        "reply-17@shop.example",
        "Avv. Carla Moretti",
        "carla.moretti@pec.avvocati.example",
        "Diffida ordine 10600",
    )
    assert p.text == "Con la presente si chiede la restituzione dell'importo di 120 €."
    assert p.attachments == ()  # daticert.xml and smime.p7s are the provider's, not the customer's
    assert p.pec_envelope is not None
    assert p.pec_envelope.is_pec is True
    assert p.pec_envelope.envelope_message_id == "opec21012.20250304090001.1234.567.1.1@pec.aruba.it"
    assert p.pec_envelope.envelope_subject == "POSTA CERTIFICATA: Diffida ordine 10600"
    assert p.pec_envelope.referenced_message_id == "inner-pec-1@pec.avvocati.example"
    assert p.pec_envelope.transport == "posta-certificata"
    assert parsed("gmail_it.eml").pec_envelope is None


def test_delivery_report_parts_are_kept_for_the_classifier():
    report = parsed("dsn_multipart_report.eml").delivery_report
    assert report.report_type == "delivery-status"
    assert "Final-Recipient: rfc822; Mario.Rossi@example.it" in report.delivery_status
    assert "Message-ID: <ack-1234.1@shop.example>" in report.returned_headers


@pytest.mark.parametrize(
    "data,error",
    [
        (b"", "empty message"),
        (b"   \r\n", "empty message"),
        (b"\xff\xfe\x00 not mail at all", "no headers: not an e-mail message"),
    ],
)
def test_unreadable_input_is_flagged_not_raised(data, error):
    p = parse_message(data, attachment_max_bytes=10)
    assert (p.is_readable, p.error, p.text, p.message_id) == (False, error, "", "")


def test_deeply_nested_message_is_still_readable_to_the_depth_limit():
    inner = b"Content-Type: text/plain\r\n\r\ndeep"
    for _ in range(60):
        inner = b"Content-Type: message/rfc822\r\n\r\n" + inner
    p = parse_message(b"From: a@b.it\r\nSubject: x\r\n" + inner, attachment_max_bytes=10)
    assert p.is_readable is True
    assert p.from_address == "a@b.it"


CORPUS = sorted(p.name for p in FIXTURES.glob("*.eml"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data):
    p = parse_message(data, attachment_max_bytes=100)
    assert p.is_readable in (True, False)
    assert "\n" not in p.subject and "\r" not in p.subject


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.binary(max_size=12)), max_size=8),
)
def test_mutated_real_messages_never_raise(name, mutations):
    data = bytearray(raw(name))
    for position, length, replacement in mutations:
        position %= len(data) + 1
        data[position : position + length] = replacement
    p = parse_message(bytes(data), attachment_max_bytes=LIMIT)
    assert p.is_readable in (True, False)
    assert all("\n" not in v and "\r" not in v for v in (p.subject, p.from_name, p.from_address))


def test_truncated_corpus_messages_never_raise():
    rng = random.Random(11)
    for name in CORPUS:
        data = raw(name)
        for _ in range(20):
            parse_message(data[: rng.randrange(len(data) + 1)], attachment_max_bytes=LIMIT)
