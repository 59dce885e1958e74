import datetime as dt

import pytest

from premura.channels.email.classify import (
    AUTOMATIC,
    BOUNCE,
    GENUINE,
    Classification,
    classify,
    is_mail_loop,
    vacation_cue,
)
from premura.channels.email.parse import parse_message

from .email_fixtures import parsed


def own(address: str) -> bool:
    return address.endswith("@shop.example")


def kind_of(name: str, envelope_sender: str | None = None) -> Classification:
    return classify(parsed(name), envelope_sender=envelope_sender, is_own_address=own)


FIXTURE_CLASSES = [
    ("gmail_it.eml", Classification(GENUINE, "no automatic marker")),
    ("outlook_de.eml", Classification(GENUINE, "no automatic marker")),
    ("pec_postacert.eml", Classification(GENUINE, "no automatic marker")),
    ("list_mail.eml", Classification(AUTOMATIC, "Precedence: bulk")),
    ("ooo_en.eml", Classification(AUTOMATIC, "Auto-Submitted: auto-replied")),
    ("ooo_it.eml", Classification(AUTOMATIC, "out-of-office subject: Risposta automatica: Ordine 10482")),
    ("ooo_de.eml", Classification(AUTOMATIC, "out-of-office subject: Abwesenheitsnotiz: Bestellung 10510")),
    ("ooo_fr.eml", Classification(AUTOMATIC, "out-of-office subject: Réponse automatique : Commande 10482")),
    ("ooo_es.eml", Classification(AUTOMATIC, "out-of-office subject: Respuesta automática: Pedido 10482")),
    (
        "dsn_multipart_report.eml",
        Classification(
            BOUNCE,
            "delivery status notification (multipart/report), action failed",
            bounced_message_id="ack-1234.1@shop.example",
            failed_recipient="mario.rossi@example.it",
            status="5.1.1",
            diagnostic="550 5.1.1 <mario.rossi@example.it>: Recipient address rejected: User unknown",
        ),
    ),
    (
        "qmail_failure_notice.eml",
        Classification(
            BOUNCE,
            "plain-text bounce from mailer-daemon@mail.provider.example",
            bounced_message_id="reply-1240.3@shop.example",
            failed_recipient="lucia.marino@provider.example",
            status="5.1.1",
            diagnostic="Remote host said: 550 5.1.1 Mailbox does not exist",
        ),
    ),
    (
        "exim_bounce_text.eml",
        Classification(
            BOUNCE,
            "plain-text bounce from mailer-daemon@mx.isp.example",
            bounced_message_id="reply-1250.1@shop.example",
            failed_recipient="sara.villa@isp.example",
            status="5.2.1",
            diagnostic="550 5.2.1 Mailbox disabled",
        ),
    ),
]


@pytest.mark.parametrize("name,expected", FIXTURE_CLASSES)
def test_corpus_classification(name, expected):
    assert kind_of(name) == expected


def _mail(
    headers: str, subject: str = "Ordine 10482", sender: str = "cliente@example.it", body: str = "Salve"
) -> bytes:
    head = f"From: {sender}\r\nTo: assistenza@shop.example\r\nSubject: {subject}\r\n{headers}"
    return f"{head}\r\n{body}\r\n".encode()


@pytest.mark.parametrize(
    "headers,reason",
    [
        ("Auto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-generated"),
        (
            "Auto-Submitted: auto-replied; owner-email=x@y.it\r\n",
            "Auto-Submitted: auto-replied; owner-email=x@y.it",
        ),
        ("Precedence: junk\r\n", "Precedence: junk"),
        ("Precedence: list\r\n", "Precedence: list"),
        ("Precedence: auto_reply\r\n", "Precedence: auto_reply"),
        ("X-Autoreply: yes\r\n", "x-autoreply: yes"),
        ("X-Autorespond: Ordine 10482\r\n", "x-autorespond: Ordine 10482"),
        ("X-Auto-Response-Suppress: All\r\n", "X-Auto-Response-Suppress: all"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n", "X-Auto-Response-Suppress: autoreply, dr, oof"),
        ("X-Loop: helpdesk@other.example\r\n", "X-Loop: helpdesk@other.example"),
        ("List-Id: <clienti.lists.example>\r\n", "mailing list (list-id)"),
        ("List-Unsubscribe: <mailto:u@l.example>\r\n", "mailing list (list-unsubscribe)"),
        ("Return-Path: <>\r\n", "null Return-Path (<>)"),
        ("X-Ricevuta: accettazione\r\n", "PEC receipt (accettazione)"),
    ],
)
def test_automatic_headers(headers, reason):
    result = classify(
        parse_message(_mail(headers), attachment_max_bytes=10), envelope_sender=None, is_own_address=own
    )
    assert result == Classification(AUTOMATIC, reason)


@pytest.mark.parametrize(
    "headers",
    ["Auto-Submitted: no\r\n", "Precedence: normal\r\n", "X-Auto-Response-Suppress: DR, RN\r\n", ""],
)
def test_headers_that_do_not_mean_automatic(headers):
    result = classify(
        parse_message(_mail(headers), attachment_max_bytes=10), envelope_sender=None, is_own_address=own
    )
    assert result == Classification(GENUINE, "no automatic marker")


def test_null_envelope_sender_is_automatic():
    p = parse_message(_mail(""), attachment_max_bytes=10)
    assert classify(p, envelope_sender="", is_own_address=own) == Classification(
        AUTOMATIC, "null Return-Path (<>)"
    )
    assert classify(p, envelope_sender="cliente@example.it", is_own_address=own).kind == GENUINE


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.it", "postmaster@example.it"])
def test_daemon_senders_without_bounce_text_are_automatic(sender):
    p = parse_message(_mail("", sender=sender, subject="Avviso"), attachment_max_bytes=10)
    assert classify(p, envelope_sender=None, is_own_address=own) == Classification(
        AUTOMATIC, f"sent by {sender.lower()}"
    )


def test_mail_from_the_shops_own_address_is_automatic():
    p = parse_message(_mail("", sender="Assistenza <assistenza@shop.example>"), attachment_max_bytes=10)
    assert classify(p, envelope_sender=None, is_own_address=own) == Classification(
        AUTOMATIC, "from the shop's own address"
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Fuori sede",
        "Fuori ufficio: Re: Ordine",
        "Out of Office: Order 10482",
        "Out of office",
        "Automatische Antwort: Ihre Bestellung",
        "Absence",
        "[EXT] Auto-reply: order",
    ],
)
def test_out_of_office_subjects(subject):
    p = parse_message(_mail("", subject=subject), attachment_max_bytes=10)
    assert classify(p, envelope_sender=None, is_own_address=own).kind == AUTOMATIC


@pytest.mark.parametrize(
    "subject",
    [
        "Re: risposta automatica ricevuta, ma il pacco?",
        "Assenza di risposta",
        "Ordine in ferie?",
        "Absent item",
    ],
)
def test_genuine_subjects_that_mention_the_words(subject):
    # Only a subject that starts with the marker counts: customers quote these words.
    p = parse_message(_mail("", subject=subject), attachment_max_bytes=10)
    assert classify(p, envelope_sender=None, is_own_address=own).kind == GENUINE


def test_bounce_text_from_a_person_is_not_a_bounce():
    p = parse_message(
        _mail("", subject="failure notice", body="This is the qmail-send program"), attachment_max_bytes=10
    )
    assert classify(p, envelope_sender=None, is_own_address=own).kind == GENUINE


def test_unreadable_message_is_genuine_so_an_agent_sees_it():
    p = parse_message(b"", attachment_max_bytes=10)
    assert classify(p, envelope_sender="", is_own_address=own) == Classification(
        GENUINE, "unreadable: shown to an agent"
    )


def test_classification_is_automatic_for_bounces_too():
    assert kind_of("qmail_failure_notice.eml").is_automatic is True
    assert kind_of("list_mail.eml").is_automatic is True
    assert kind_of("gmail_it.eml").is_automatic is False


def test_is_mail_loop_counts_only_inside_the_window():
    now = dt.datetime(2025, 3, 5, 12, 0, tzinfo=dt.UTC)
    recent = [now - dt.timedelta(minutes=m) for m in (1, 2, 3)]
    assert is_mail_loop(recent, now=now) is False
    assert is_mail_loop([*recent, now - dt.timedelta(minutes=4)], now=now) is True
    assert is_mail_loop([*recent, now - dt.timedelta(minutes=11)], now=now) is False


# --- Vacation replies without automatic headers: the words (channels.vacation adds the rest) ----

VACATION_CORPUS = [
    ("vacation_it_no_headers.eml", "Sono in ferie"),
    ("vacation_en_no_headers.eml", "I am on holiday"),
    ("vacation_de_no_headers.eml", "ich bin bis zum 20. August nicht im Büro"),
    ("vacation_fr_no_headers.eml", "Je suis en congés"),
    ("vacation_es_no_headers.eml", "estoy de vacaciones"),
]


@pytest.mark.parametrize("name,cue", VACATION_CORPUS)
def test_vacation_replies_without_headers_are_genuine_alone_but_read_as_vacation(name, cue):
    # No header and no out-of-office subject says so: classify cannot tell; the words can.
    assert kind_of(name).kind == GENUINE
    assert vacation_cue(parsed(name)) == cue


@pytest.mark.parametrize(
    "name",
    ["new_topic_it_away_question.eml", "new_topic_en_away_order.eml", "gmail_it.eml", "outlook_en.eml"],
)
def test_customers_mentioning_their_holidays_do_not_read_as_vacation_replies(name):
    assert vacation_cue(parsed(name)) == ""


def _cue(subject: str, body: str, extra: str = "") -> str:
    return vacation_cue(parse_message(_mail(extra, subject=subject, body=body), attachment_max_bytes=10))


@pytest.mark.parametrize(
    "subject,body,cue",
    [
        ("Ferie", "Rientro il 25 agosto.", "Ferie"),
        ("In vacanza dal 1 al 20 agosto", "Risponderò al rientro.", "In vacanza dal 1 al 20 agosto"),
        ("Avviso", "Sarò assente dall'ufficio fino al 3 marzo.", "Sarò assente"),
        ("Info", "I'm currently out of the office until Monday.", "I'm currently out of the office"),
        ("Info", "Ich bin derzeit im Urlaub.", "Ich bin derzeit im Urlaub"),
        (
            "Info",
            "Per urgenze: https://example.it/contatti?lang=it\nSono fuori ufficio.",
            "Sono fuori ufficio",
        ),
    ],
)
def test_vacation_words(subject, body, cue):
    assert _cue(subject, body) == cue


@pytest.mark.parametrize(
    "subject,body",
    [
        # A question: a person asks something.
        ("Ferie", "Sono in ferie fino al 20: potete aspettare?"),
        ("Vacaciones", "¿Estoy de vacaciones hasta el lunes, me lo guardan"),
        # Their order, parcel, delivery, refund: a customer's business.
        ("Ferie", "Sono in ferie fino al 20, consegnate dopo."),
        ("Away until Monday", "I am on holiday, hold the parcel please."),
        ("Urlaubszeit", "Ich bin im Urlaub, bitte die Bestellung später liefern."),
        ("Congés", "Je suis en congés, gardez ma commande."),
        # A subject that only starts with the word, without any statement of absence.
        ("Holiday gift wrapping", "Please wrap the scarf."),
        # No statement of absence at all.
        ("Cambio taglia", "Vorrei la taglia M invece della S."),
    ],
)
def test_what_a_person_writes_is_no_vacation_cue(subject, body):
    assert _cue(subject, body) == ""


def _with_part(disposition: str) -> str:
    return (
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain\r\n\r\nSono in ferie fino al 20 agosto.\r\n--b\r\n"
        f"Content-Type: image/png\r\nContent-Disposition: {disposition}; filename=x.png\r\n\r\nPNG\r\n--b--"
    )


def test_a_long_text_or_an_attached_file_is_a_person_writing():
    story = "Sono in ferie fino al 20 agosto. " + "Vi racconto cosa è successo. " * 60
    assert _cue("Ferie", story) == ""
    assert _cue("Avviso", "", extra=_with_part("attachment")) == ""
    # A responder's inline logo is no file a person attached.
    assert _cue("Avviso", "", extra=_with_part("inline")) == "Sono in ferie"
