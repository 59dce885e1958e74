"""A returning customer who writes from the portal meets the agent who last handled them, and
the confirmation e-mail names that agent."""

from premura.channels.models import Mailbox, OutboundEmail
from premura.conversations.models import Case
from tests.factories.agents import make_agent
from tests.factories.conversations import make_case


def test_the_contact_form_routes_by_the_rules_and_the_acknowledgement_names_the_owner(
    client, agent, customer, team, anna_path
):
    sara = make_agent("sara", "Sara Colombo", team=team)
    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega Premura")
    make_case(customer, owner=sara)
    response = client.post(
        anna_path + "contact/", {"category": "damaged", "message": "La moka è rotta.", "website": ""}
    )
    assert response.status_code == 302
    case = Case.objects.latest("pk")
    assert (case.channel, case.owner, case.team) == ("web_form", sara, team)
    acknowledgement = OutboundEmail.objects.get(case=case)
    assert "Sara Colombo se ne occupa e ti risponderà personalmente." in acknowledgement.body_text
