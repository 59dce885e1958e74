import pytest

from premura.channels.email.quotes import visible_html, visible_text

from .email_fixtures import parsed

VISIBLE = [
    ("gmail_it.eml", "Buongiorno,\nil pacco non è ancora arrivato, potete verificare?\n\nGrazie\nMario"),
    ("gmail_en.eml", "Hi,\ncould you send me the invoice for order 10482?\n\nThanks, John"),
    ("outlook_it.eml", "Salve, il reso è stato spedito ieri.\n\nLaura Bianchi"),
    ("outlook_en.eml", "Hello,\n\nPhotos attached as requested.\n\nRegards,\nAnna"),
    (
        "outlook_de.eml",
        "Guten Tag,\n\ndie Größe passt nicht, ich möchte umtauschen.\n\n"
        "Mit freundlichen Grüßen\nJürgen Müller",
    ),
    ("apple_mail_it.eml", "Va bene la taglia M, grazie.\n\nGiulia"),
    ("iphone_it.eml", "Perfetto, aspetto il rimborso."),
    ("android_samsung_it.eml", "Sì, potete lasciarlo al vicino."),
    ("libero_it.eml", "Il prodotto è difettoso, vorrei il cambio.\nGiuseppe"),
    ("virgilio_it.eml", "Mi serve la fattura intestata alla ditta."),
    ("aruba_webmail_it.eml", "Confermiamo il preventivo."),
    ("thunderbird_de_interleaved.eml", "Blau, bitte.\n\nGröße 42."),
    ("thunderbird_it_bottom_post.eml", "Sì, via Garibaldi 12, Torino."),
    ("roundcube_en.eml", "Please cancel it."),
    ("zimbra_it.eml", "Confermo il ritiro venerdì."),
    ("hcl_notes_it.eml", "Buongiorno,\nattendiamo la nota di credito.\n\nCordiali saluti\nIng. Marco Galli"),
    ("pec_postacert.eml", "Con la presente si chiede la restituzione dell'importo di 120 €."),
    (
        "html_only.eml",
        "Buongiorno,\n\navete disponibili:\n\n- 10 zaini blu\n- 5 borracce\n\n"
        "Grazie & saluti\nUfficio ordini",
    ),
    (
        "qmail_failure_notice.eml",
        "Hi. This is the qmail-send program at mail.provider.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<lucia.marino@provider.example>:\n192.0.2.20 does not like recipient.\n"
        "Remote host said: 550 5.1.1 Mailbox does not exist\nGiving up on 192.0.2.20.",
    ),
]


@pytest.mark.parametrize("name,expected", VISIBLE)
def test_visible_text_of_each_client(name, expected):
    assert visible_text(parsed(name).text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        # Italian attribution "Il ... alle ..., ... ha scritto:" with the history unquoted (top posting).
        ("Ok grazie\n\nIl 3 mar 2025 alle 10:12, Assistenza ha scritto:\nGentile cliente", "Ok grazie"),
        # German attribution wrapped over two lines, Gmail style.
        (
            "Danke!\n\nAm Mo., 3. März 2025 um 10:12 Uhr schrieb Shop <\n"
            "assistenza@shop.example>:\n\n> Hallo",
            "Danke!",
        ),
        ("Ciao\n\nVon: Shop\nGesendet: Montag\nAn: Klaus\nBetreff: x\n\nalt", "Ciao"),
        ("Ciao\n-----Ursprüngliche Nachricht-----\nalt", "Ciao"),
        ("Ok\n\nSent from my iPhone", "Ok"),
        ("Ok\n\nVon meinem iPhone gesendet", "Ok"),
        ("Ok\n-- \nMario Rossi\n333 1234567", "Ok"),
        # An undated "X wrote:" followed by the customer's own text is the customer's text.
        ("Mio marito ha scritto:\nvoglio il reso\ngrazie", "Mio marito ha scritto:\nvoglio il reso\ngrazie"),
        # A list the customer typed is not a signature.
        (
            "Vorrei:\n- 2 magliette\n- 1 felpa\nGrazie,\nAnna",
            "Vorrei:\n- 2 magliette\n- 1 felpa\nGrazie,\nAnna",
        ),
        # A forwarded message is what the customer sent: kept.
        (
            "Vedete sotto.\n\n---------- Forwarded message ---------\nDa: Corriere\nIl pacco è in giacenza.",
            "Vedete sotto.\n\n---------- Forwarded message ---------\nDa: Corriere\nIl pacco è in giacenza.",
        ),
        # All quote, nothing typed: shown whole rather than blank.
        ("> solo citazione\n> altro", "> solo citazione\n> altro"),
        ("Riga\r\n\r\n\r\n\r\nAltra\r\n", "Riga\n\nAltra"),
    ],
)
def test_visible_text_rules(text, expected):
    assert visible_text(text) == expected


def test_languages_select_the_attribution_rules():
    text = "Danke\n\nAm 03.03.25 um 10:12 schrieb Shop:\nalter Text"
    assert visible_text(text, languages=("de",)) == "Danke"
    assert visible_text(text, languages=("it",)) == text
    with pytest.raises(ValueError):
        visible_text(text, languages=("xx",))


VISIBLE_HTML = [
    ("gmail_it.eml", "<div>Buongiorno,<div>il pacco non è ancora arrivato, potete verificare?</div>"
     "<div><br></div>"
     "<div>Grazie</div><div>Mario</div></div><br>\n"),
    ("gmail_en.eml", "<div>Hi,<br>could you send me the invoice for order 10482?"
     "<br><br>Thanks, John</div><br>"),
    ("outlook_it.eml", "<div><div>Salve, il reso è stato spedito ieri.</div><div>Laura Bianchi</div></div>"),
    ("apple_mail_it.eml", "Va bene la taglia M, grazie."
     '<div><img src="cid:F00D-1@icloud.com" alt="foto"></div>'
     "<div>Giulia</div><div><br></div>"),
    ("zimbra_it.eml", "<div><div>Confermo il ritiro venerdì.</div><div><br></div></div>"),
]  # fmt: skip


@pytest.mark.parametrize("name,expected", VISIBLE_HTML)
def test_visible_html_of_each_client(name, expected):
    assert visible_html(parsed(name).html) == expected


def test_visible_html_keeps_interleaved_replies_and_is_sanitised_whatever_the_input():
    html = (
        '<p>Sì</p><blockquote type="cite">Domanda 1</blockquote><p>No</p>'
        '<blockquote>Domanda 2<blockquote>vecchia</blockquote></blockquote><p onclick="x()">Fine'
        "<script>alert(1)</script></p>"
    )
    assert visible_html(html) == "<p>Sì</p><p>No</p><p>Fine</p>"


def test_visible_html_that_would_be_empty_shows_everything():
    assert (
        visible_html("<blockquote>solo citazione</blockquote>") == "<blockquote>solo citazione</blockquote>"
    )
