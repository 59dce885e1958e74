"""The customer card and a customer's addresses: a reply from a second address is offered as a new
address of the customer (POST, CSRF, access-checked, idempotent), never one of another customer's;
an address our mail bounces from is shown failing, with where the mail goes instead."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from premura.channels import ingest, outbox
from premura.channels.inbound import accept_inbound
from premura.channels.models import Mailbox
from premura.conversations.services import reply
from premura.core import clock
from premura.core.audit import events_for
from premura.core.models import AuditEvent
from premura.customers.models import CustomerIdentity, IdentityKind
from premura.customers.services import mark_identity_failing
from tests.channels.test_ingest import mail
from tests.factories.conversations import make_case
from tests.factories.customers import EmailIdentityFactory

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "case-body"}
OTHER = "anna.ufficio@lavoro.example"
OFFER = f"Messaggio da {OTHER} — aggiungerlo agli indirizzi di Anna Colombo?"


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def case(customer, agent, team):
    """Anna's e-mail case; we replied, and she answers from her office address, whose mail names
    only our reply in References (no In-Reply-To)."""
    mailbox = Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)
    case = make_case(customer, channel="email", external_id="first@anna.example")
    sent = outbox.reply_by_email(case, reply(case, agent, "Il pacco è in viaggio."))
    answer = mail(
        sender=f"Anna C. <{OTHER.upper()}>",
        message_id="<office-1@lavoro.example>",
        references=f"<first@anna.example> {sent.message_id_header}",
        body="Scrivo dall'ufficio: grazie!",
    )
    row, _ = accept_inbound(mailbox, answer, source="imap")
    ingest.process_inbound(row.pk)
    row.refresh_from_db()
    assert row.case == case  # it joined by References
    return case


def page(client, case) -> str:
    return client.get(reverse("console:case", args=[case.pk])).content.decode()


def add(client, case, address: str = OTHER, **extra):
    return client.post(reverse("console:case_add_identity", args=[case.pk]), {"address": address}, **extra)


def test_a_reply_from_a_second_address_joins_the_case_and_is_offered(marco_client, case):
    assert case.messages.filter(direction="inbound").last().body == "Scrivo dall'ufficio: grazie!"
    html = page(marco_client, case)
    assert OFFER in html
    assert f'<input type="hidden" name="address" value="{OTHER}">' in html
    assert "Aggiungi l'indirizzo" in html


def test_the_agent_adds_the_address_and_the_timeline_says_so(marco_client, case, agent):
    response = add(marco_client, case)
    assert response.status_code == 302
    identity = CustomerIdentity.objects.get(value=OTHER)
    assert (identity.customer, identity.kind, identity.is_primary) == (
        case.customer,
        IdentityKind.EMAIL,
        False,
    )
    event = events_for(case).get(action="email.identity_added")
    assert (event.actor, event.data) == (
        agent.user,
        {"address": OTHER, "customer_id": case.customer.pk, "customer_name": "Anna Colombo"},
    )
    html = page(marco_client, case)
    assert f"Marco Rossi ha aggiunto {OTHER} agli indirizzi di Anna Colombo" in html
    assert OFFER not in html
    assert f"<dd>{OTHER}</dd>" in html  # on the customer card


def test_adding_twice_adds_once(marco_client, case):
    add(marco_client, case)
    events = AuditEvent.objects.count()
    assert add(marco_client, case).status_code == 302
    assert CustomerIdentity.objects.filter(value=OTHER).count() == 1
    assert AuditEvent.objects.count() == events


def test_htmx_gets_the_refreshed_case_body(marco_client, case):
    response = add(marco_client, case, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f"<dd>{OTHER}</dd>" in html


def test_an_address_of_another_customer_is_shown_and_never_offered(marco_client, case, other_customer):
    EmailIdentityFactory(customer=other_customer, value=OTHER, is_primary=False)
    html = page(marco_client, case)
    assert (
        f"Messaggio da {OTHER}, un indirizzo di un altro cliente, Bruno Ferri: non si può aggiungere "
        "a questo cliente, e i due clienti non vengono uniti."
    ) in html
    assert 'name="address"' not in html
    events = AuditEvent.objects.count()
    response = add(marco_client, case, **HTMX)
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#identity-notices", "outerHTML")
    assert f"Il recapito E-mail {OTHER} appartiene già a un altro cliente." in response.content.decode()
    assert CustomerIdentity.objects.get(value=OTHER).customer == other_customer
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "address", ["bruno.ferri@example.it", "chiunque@altrove.example", "non un indirizzo", ""]
)
def test_only_an_address_that_wrote_into_the_case_can_be_added(marco_client, case, address):
    identities, events = CustomerIdentity.objects.count(), AuditEvent.objects.count()
    response = add(marco_client, case, address)
    assert response.status_code == 422
    assert "non ha scritto in questo caso." in response.content.decode()
    assert (CustomerIdentity.objects.count(), AuditEvent.objects.count()) == (identities, events)


def test_who_may_add_an_address(client, case, agent):
    url = reverse("console:case_add_identity", args=[case.pk])
    response = client.post(url, {"address": OTHER})
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))
    client.force_login(User.objects.create_user("curioso", password="x"))  # a login, no agent
    assert client.post(url, {"address": OTHER}).status_code == 403
    client.force_login(agent.user)
    assert client.get(url).status_code == 405
    assert (
        client.post(reverse("console:case_add_identity", args=[999999]), {"address": OTHER}).status_code
        == 404
    )
    assert not CustomerIdentity.objects.filter(value=OTHER).exists()


def test_the_form_needs_its_csrf_token(case, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    assert add(client, case).status_code == 403
    assert not CustomerIdentity.objects.filter(value=OTHER).exists()


# --- An address our mail bounces from --------------------------------------------------------------


def test_the_card_shows_a_failing_address_and_where_mail_goes_instead(marco_client, customer):
    case = make_case(customer, channel="email")
    EmailIdentityFactory(customer=customer, value=OTHER, is_primary=False)
    with clock.frozen_at(datetime.datetime(2025, 3, 5, 16, 0, tzinfo=datetime.UTC)):
        mark_identity_failing(IdentityKind.EMAIL, "anna.colombo@example.it", reason="5.1.1 User unknown")
    html = page(marco_client, case)
    assert '<span class="tag failing">non recapitabile</span>' in html
    assert "Le e-mail tornano indietro dal 5 mar 2025: 5.1.1 User unknown" in html
    assert (
        f"Le e-mail a questo cliente vanno a {OTHER}: il suo indirizzo principale non è recapitabile." in html
    )


def test_a_working_address_is_shown_plainly(marco_client, customer):
    html = page(marco_client, make_case(customer, channel="email"))
    assert "<dd>anna.colombo@example.it</dd>" in html
    assert "non recapitabile" not in html
