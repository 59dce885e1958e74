"""Every event the apps record on a case and show on its timeline reads as a sentence on the case
page, never as its raw action name ("email.bounced"), in Italian and in English."""

import pytest
from django.urls import reverse
from django.utils import translation

from premura.core.audit import record_event
from tests.factories.conversations import make_case

EVENTS = {
    "email.automatic": {"reason": "auto-submitted", "mail_subject": "Fuori sede", "excerpt": "Torno il 10"},
    "email.bounced": {"failed_recipient": "anna.colombo@example.it", "status": "5.1.1"},
    "email.unknown_sender": {"address": "anna@altro.example", "threaded_by": "references"},
    "email.loop_suspected": {"address": "helpdesk@altro.example"},
    "email.attachments_not_extracted": {"message_id": 1, "files": [{"filename": "video.mov", "size": 9}]},
}

ITALIAN = {
    "email.automatic": "Risposta automatica da",
    "email.bounced": "non è stata consegnata",
    "email.unknown_sender": "anna@altro.example",
    "email.loop_suspected": "helpdesk@altro.example",
    "email.attachments_not_extracted": "video.mov",
}


@pytest.fixture
def case(customer):
    case = make_case(customer, subject="Dov'è il mio pacco?")
    for action, data in EVENTS.items():
        record_event(case, action, actor_label="mailer@altro.example", **data)
    return case


@pytest.mark.parametrize("language", ["it", "en"])
def test_no_event_shows_its_raw_action_name(client, agent, case, language):
    client.force_login(agent.user)
    with translation.override(language):
        html = client.get(reverse("console:case", args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = html.content.decode()
    for action in EVENTS:
        assert f": {action}" not in text, action


def test_events_read_in_italian(client, agent, case):
    client.force_login(agent.user)
    text = client.get(reverse("console:case", args=[case.pk])).content.decode()
    for action, words in ITALIAN.items():
        assert words in text, action
