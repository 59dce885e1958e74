"""GET /api/v1/messages?message_id=: the stored e-mails with a Message-ID."""

from premura.channels import ingest, outbox
from premura.channels.inbound import accept_inbound
from premura.channels.models import Mailbox
from premura.conversations.services import reply
from tests.channels.email_fixtures import raw as corpus


def test_an_inbound_message_with_its_case_and_visible_text(agent_api, team, agent):
    mailbox = Mailbox.objects.create(address="assistenza@shop.example", default_team=team)
    row, _ = accept_inbound(
        mailbox, corpus("gmail_it.eml"), source="lmtp", envelope_sender="mario.rossi@gmail.com"
    )
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    response = agent_api.get("/api/v1/messages", {"message_id": "<CAF=gmail-it-1@mail.gmail.com>"})
    assert response.status_code == 200
    [found] = response.json()
    assert found == {
        "message_id": "CAF=gmail-it-1@mail.gmail.com",
        "direction": "inbound",
        "case_id": row.case_id,
        "message": row.case_message_id,
        "state": "processed",
        "classification": "genuine",
        "is_automatic": False,
        "visible_text": "Buongiorno,\nil pacco non è ancora arrivato, potete verificare?\n\nGrazie\nMario",
        "at": found["at"],
        "delivery": None,
    }
    # Our reply, found by its own Message-ID, without the brackets.
    sent = outbox.reply_by_email(row.case, reply(row.case, agent, "Verifichiamo subito."))
    [ours] = agent_api.get("/api/v1/messages", {"message_id": sent.message_id_header.strip("<>")}).json()
    assert (ours["direction"], ours["case_id"], ours["is_automatic"]) == ("outbound", row.case_id, False)


def test_automatic_mail_is_flagged_and_its_text_is_shown(agent_api, team):
    mailbox = Mailbox.objects.create(address="assistenza@shop.example", default_team=team)
    row, _ = accept_inbound(mailbox, corpus("ooo_it.eml"), source="imap")
    ingest.process_inbound(row.pk)
    [found] = agent_api.get("/api/v1/messages", {"message_id": "ooo-0@cliente.example"}).json()
    assert (found["is_automatic"], found["classification"], found["case_id"], found["message"]) == (
        True,
        "automatic",
        None,
        None,
    )
    assert found["visible_text"] == "Sono fuori sede fino al 10 marzo."


def test_an_unknown_message_id_is_an_empty_list_and_a_missing_one_invalid(agent_api):
    assert agent_api.get("/api/v1/messages", {"message_id": "nobody@nowhere"}).json() == []
    assert agent_api.get("/api/v1/messages").status_code == 422
