"""The notices in Italian and English, each situation, with the dates in the customer's words."""

import datetime

import pytest

from premura.care.models import Incident, Situation
from premura.care.services import NOTICE_TEMPLATE, notice_context
from premura.channels.rendering import render_mail
from premura.shipping.models import ExceptionReason

EXPECTED = datetime.date(2026, 12, 7)


def render(shipment, language, situation, expected=EXPECTED, reason=""):
    shipment.exception_reason = reason
    shipment.order.customer.language = language
    incident = Incident(shipment=shipment, situation=situation, expected_date=expected)
    context = notice_context(incident, situation=situation, expected_date=expected)
    context |= {"customer_name": "Anna Colombo", "shop_name": "Bottega Premura"}
    return render_mail(f"{NOTICE_TEMPLATE}_subject.txt", f"{NOTICE_TEMPLATE}_body.txt", context, language)


def test_a_predicted_delay_in_italian_names_the_promise_and_the_new_date(shipment, morning):
    subject, body = render(shipment, "it", Situation.PREDICTED)
    assert subject == "Il tuo ordine PRM-300001 arriverà in ritardo"
    assert body.startswith("Gentile Anna Colombo,\n\nti scriviamo prima che tu debba chiedercelo")
    assert "non arriverà entro giovedì 3 dicembre come promesso" in body
    assert "Ora dovrebbe arrivare entro lunedì 7 dicembre." in body


def test_a_predicted_delay_in_english(shipment, morning):
    subject, body = render(shipment, "en", Situation.PREDICTED)
    assert subject == "Your order PRM-300001 will be late"
    assert "will not arrive by Thursday 3 December as we promised" in body
    assert "It should now arrive by Monday 7 December." in body


def test_a_date_in_another_year_says_the_year(shipment, morning):
    _subject, body = render(shipment, "en", Situation.STALLED, expected=datetime.date(2027, 1, 4))
    assert "It should now arrive by Monday 4 January 2027." in body
    _subject, body = render(shipment, "it", Situation.STALLED, expected=datetime.date(2027, 1, 4))
    assert "Ora dovrebbe arrivare entro lunedì 4 gennaio 2027." in body


@pytest.mark.parametrize(
    ("reason", "italian", "english"),
    [
        (
            ExceptionReason.ADDRESS,
            "non è riuscito a consegnare all'indirizzo",
            "could not deliver to the address",
        ),
        (ExceptionReason.CUSTOMS, "fermo in dogana", "held at customs"),
        (ExceptionReason.WEATHER, "maltempo", "Bad weather"),
        (ExceptionReason.DAMAGED, "danneggiato", "damaged"),
        (ExceptionReason.REFUSED, "rifiutata", "refused"),
        (ExceptionReason.DELAY, "sta ritardando", "delaying"),
    ],
)
def test_an_exception_says_what_happened(shipment, morning, reason, italian, english):
    assert italian in render(shipment, "it", Situation.EXCEPTION, reason=reason)[1]
    assert english in render(shipment, "en", Situation.EXCEPTION, reason=reason)[1]


@pytest.mark.parametrize(
    ("situation", "italian", "english"),
    [
        (Situation.LOST, "il pacco è stato smarrito", "the parcel is lost"),
        (Situation.RETURNED, "sta tornando da noi", "is on its way back to us"),
        (Situation.DELIVERED_LATE, "è stato consegnato", "has been delivered"),
    ],
)
def test_the_endings_of_the_story_have_their_own_subject_and_no_new_date(
    shipment, morning, situation, italian, english
):
    for language, words in (("it", italian), ("en", english)):
        subject, body = render(shipment, language, situation)
        assert words in subject
        assert "7 dicembre" not in body and "7 December" not in body
