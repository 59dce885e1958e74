"""A refused case action shows its error beside its form and keeps what was typed (422).

With htmx only that form is swapped back (HX-Retarget), so the rest of the page stays as it is;
without JavaScript the whole case page comes back, not a redirect that would lose the text.
"""

import pytest
from django.urls import reverse

from premura.conversations.models import Message
from premura.core.models import AuditEvent
from tests.factories.conversations import make_case

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "case-body"}
TYPED = "Gentile Anna, il pacco è in consegna."


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def case(customer, anna_order):
    return make_case(customer, order=anna_order, subject="Dov'è il mio pacco?")


def written(case) -> tuple[int, int]:
    return case.messages.count(), AuditEvent.objects.count()


def test_an_empty_htmx_reply_comes_back_as_its_form_with_the_error(marco_client, case):
    before = written(case)
    response = marco_client.post(reverse("console:case_reply", args=[case.pk]), {"body": "   "}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#reply-form", "outerHTML")
    assert html.lstrip().startswith('<form method="post" action="')
    assert 'id="reply-form"' in html and 'id="note-form"' not in html and "<html" not in html
    assert '<div id="reply-errors" role="alert"><p class="error">Il messaggio è vuoto.</p></div>' in html
    assert written(case) == before


def test_a_refused_htmx_reply_keeps_the_text_and_the_chosen_status(marco_client, case):
    before = written(case)
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]), {"body": TYPED, "status": "exploded"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert f'aria-describedby="reply-errors">\n{TYPED}</textarea>' in html
    assert '<p class="error">Stato sconosciuto: exploded</p>' in html
    assert written(case) == before  # the reply, its events and the assignment were rolled back
    case.refresh_from_db()
    assert (case.status, case.owner) == ("new", None)


def test_a_refused_reply_without_javascript_renders_the_page_with_the_text(marco_client, case):
    response = marco_client.post(
        reverse("console:case_reply", args=[case.pk]), {"body": TYPED, "status": "exploded"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" in html and 'id="case-body"' in html
    assert f'aria-describedby="reply-errors">\n{TYPED}</textarea>' in html
    assert '<p class="error">Stato sconosciuto: exploded</p>' in html
    assert 'aria-describedby="note-errors"' not in html


def test_an_empty_note_is_refused_beside_the_note_form(marco_client, case):
    before = written(case)
    response = marco_client.post(reverse("console:case_note", args=[case.pk]), {"body": "\n \n"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#note-form", "outerHTML")
    assert '<div id="note-errors" role="alert"><p class="error">Il messaggio è vuoto.</p></div>' in html
    assert 'id="reply-form"' not in html
    assert written(case) == before


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("console:case_status", {"status": "exploded"}, "Stato sconosciuto: exploded"),
        ("console:case_priority", {"priority": "altissima"}, "Priorità sconosciuta: altissima"),
        ("console:case_assign", {"owner": "424242"}, "Questo agente non esiste."),
        ("console:case_assign", {"owner": "²"}, "Questo agente non esiste."),
    ],
)
def test_a_refused_control_shows_its_error_beside_the_controls(marco_client, case, action, data, error):
    before = written(case)
    response = marco_client.post(reverse(action, args=[case.pk]), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#case-controls", "outerHTML")
    assert html.lstrip().startswith('<div class="case-controls" id="case-controls">')
    assert f'<p class="error" role="alert">{error}</p>' in html
    assert '<option value="new" selected>' in html  # the case's real values, unchanged
    assert written(case) == before
    case.refresh_from_db()
    assert (case.status, case.priority, case.owner) == ("new", "normal", None)


def test_a_refused_control_without_javascript_renders_the_page(marco_client, case):
    response = marco_client.post(reverse("console:case_status", args=[case.pk]), {"status": "exploded"})
    assert response.status_code == 422
    assert '<p class="error" role="alert">Stato sconosciuto: exploded</p>' in response.content.decode()


def test_an_accepted_htmx_reply_clears_the_box(marco_client, case):
    response = marco_client.post(reverse("console:case_reply", args=[case.pk]), {"body": TYPED}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert 'name="body" rows="5" required>\n</textarea>' in html
    assert Message.objects.filter(case=case, direction="outbound").count() == 1
