"""An e-mail that opens a case gets its owner from the assignment rules, and the acknowledgement
names that owner (or the team, when the case waits in its queue)."""

from premura.agents.services import set_availability
from premura.channels import ingest
from premura.channels.inbound import accept_inbound
from premura.channels.models import Mailbox, OutboundEmail
from premura.core.audit import events_for
from tests.channels.test_ingest import mail
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case


def ingest_mail(mailbox: Mailbox, raw: bytes):
    row, _ = accept_inbound(mailbox, raw, source="lmtp", envelope_sender="anna.colombo@example.it")
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    return row.case


def test_a_returning_customer_s_mail_goes_to_her_agent_who_signs_the_acknowledgement(agent, customer, team):
    mailbox = Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)
    sara = make_agent("sara", "Sara Colombo", team=team)
    make_case(customer, team=team, owner=sara)
    case = ingest_mail(mailbox, mail())
    assert (case.customer, case.owner, case.team) == (customer, sara, team)
    assert events_for(case).get(action="case.assigned").data["rule"] == "returning_customer"
    body = OutboundEmail.objects.get(case=case).body_text
    assert "Sara Colombo se ne occupa e ti risponderà personalmente." in body


def test_with_the_team_away_the_mail_waits_in_its_queue_and_the_team_is_named(agent, customer, team):
    mailbox = Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)
    set_availability(agent, False)
    case = ingest_mail(mailbox, mail())
    assert (case.owner, case.team) == (None, team)
    body = OutboundEmail.objects.get(case=case).body_text
    assert "Il team Ordini e spedizioni se ne occupa: ti risponderà personalmente" in body
