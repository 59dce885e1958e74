"""The acknowledgement: once per case (once more after a reopening), in the customer's language,
naming the case, its owner or team and the shop; never to the shop itself nor to nobody; delivered
through a real SMTP peer with Auto-Submitted: auto-replied."""

import pytest
from django.db import transaction
from django.urls import reverse

from premura.channels import acknowledgements, outbox
from premura.channels.acknowledgements import acknowledge
from premura.channels.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus
from premura.conversations import services
from premura.conversations.models import Case, CaseStatus, Message
from premura.core.audit import events_for
from premura.core.models import AuditEvent, Channel
from premura.shop.queries import shop_settings
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory, EmailIdentityFactory


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        address="assistenza@bottega.example",
        display_name="Bottega Premura",
        own_addresses="ordini@bottega.example\n@premura-shop.example",
    )


@pytest.fixture
def case(customer):
    return make_case(customer, subject="Dov'è il mio pacco?", external_id="<CAF=first@mail.gmail.com>")


def written() -> tuple[int, int, int]:
    return OutboundEmail.objects.count(), Message.objects.count(), AuditEvent.objects.count()


def test_an_italian_case_owned_by_marco_names_him_the_case_and_the_shop(mailbox, case, agent):
    services.assign(case, agent)
    row = acknowledge(case)
    assert (row.kind, row.to_address, row.from_name, row.from_address) == (
        OutboundKind.ACKNOWLEDGEMENT,
        "anna.colombo@example.it",
        "Bottega Premura",
        "assistenza@bottega.example",
    )
    assert row.dedupe_key == f"acknowledgement:case:{case.pk}"
    assert row.subject == f"Re: Dov'è il mio pacco? [#{case.pk}]"
    assert row.body_text == (
        "Gentile Anna Colombo,\n"
        "\n"
        f"abbiamo ricevuto la tua richiesta: il suo numero è #{case.pk}.\n"
        "Marco Rossi se ne occupa e ti risponderà personalmente.\n"
        "\n"
        "Per aggiungere qualcosa, rispondi pure a questa e-mail.\n"
        "\n"
        "Bottega Premura\n"
        "assistenza@bottega.example\n"
    )
    # Stored as the shop's message to the customer, the row delivering it.
    message = row.message
    assert (message.direction, message.is_internal, message.author_agent, message.author_name) == (
        "outbound",
        False,
        None,
        "Bottega Premura",
    )
    assert message.body == row.body_text.rstrip()
    event = events_for(case).get(action="case.acknowledged")
    assert (event.actor_label, event.data) == (
        "system",
        {"message_id": message.pk, "outbound_id": row.pk, "to": "anna.colombo@example.it"},
    )


def test_an_english_case_without_owner_names_the_team(mailbox, customer, team):
    customer.language = "en"
    customer.save(update_fields=["language"])
    case = make_case(customer, team=team, channel=Channel.WEB_FORM)
    row = acknowledge(case)
    assert row.subject == f"We have received your request [#{case.pk}]"
    assert row.body_text == (
        "Hello Anna Colombo,\n"
        "\n"
        f"We have received your request: its number is #{case.pk}.\n"
        "The Ordini e spedizioni team is looking after it: one of them will answer you personally.\n"
        "\n"
        "To add anything, just reply to this e-mail.\n"
        "\n"
        "Bottega Premura\n"
        "assistenza@bottega.example\n"
    )


def test_an_italian_case_of_a_team_and_one_of_nobody(mailbox, customer, team):
    with_team = make_case(customer, team=team)
    assert acknowledge(with_team).body_text.splitlines()[3] == (
        "Il team Ordini e spedizioni se ne occupa: ti risponderà personalmente una persona del team."
    )
    nobody = make_case(customer)
    assert acknowledge(nobody).body_text.splitlines()[3] == (
        "Il nostro servizio clienti se ne occupa: ti risponderà una persona."
    )


def test_without_a_mailbox_the_shop_s_name_and_support_address_sign_it(customer):
    shop = shop_settings()
    shop.name = "Bottega Premura"
    shop.support_email = "ciao@bottega.example"
    shop.save()
    case = make_case(customer)
    row = acknowledge(case)
    assert (row.from_name, row.from_address) == ("Bottega Premura", "ciao@bottega.example")
    assert row.body_text.endswith("Bottega Premura\nciao@bottega.example\n")


def test_exactly_one_per_case_even_when_called_twice(mailbox, case):
    first = acknowledge(case)
    before = written()
    assert acknowledge(case) is None
    services.receive_message(case, body="Vi scrivo di nuovo.", channel=Channel.EMAIL)
    after_follow_up = written()
    # The follow-up in an open case gets none.
    assert acknowledge(case) is None
    assert written() == after_follow_up
    assert before[0] == 1
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_solved_case_that_reopens_is_acknowledged_once_more(mailbox, case, agent):
    first = acknowledge(case)
    services.change_status(case, CaseStatus.SOLVED, actor=agent.user)
    # Solved, not reopened: still the first round.
    assert acknowledge(case) is None
    services.receive_message(case, body="Il pacco non è arrivato, in realtà.", channel=Channel.EMAIL)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    second = acknowledge(case)
    assert second.dedupe_key == f"acknowledgement:case:{case.pk}:reopened:1"
    assert acknowledge(case) is None
    # Threaded under everything before it, our first acknowledgement included.
    assert second.references.split()[-1] == first.message_id_header
    # Solved and closed by the sweeper is no reopening: a closed case never reopens.
    services.change_status(case, CaseStatus.SOLVED, actor=agent.user)
    services.change_status(case, CaseStatus.CLOSED, actor=agent.user)
    assert acknowledgements.reopen_count(case) == 1
    assert OutboundEmail.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    "address",
    [
        "assistenza@bottega.example",
        "Assistenza@Bottega.example",
        "ordini@bottega.example",
        "vendite@premura-shop.example",
        "ciao@bottega.example",
    ],
)
def test_never_to_the_shop_s_own_addresses(mailbox, address):
    shop = shop_settings()
    shop.support_email = "ciao@bottega.example"
    shop.save()
    customer = CustomerFactory(full_name="Ufficio ordini")
    EmailIdentityFactory(customer=customer, value=address.lower())
    case = make_case(customer)
    before = written()
    assert acknowledge(case) is None
    assert acknowledge(make_case(CustomerFactory(full_name="Anna")), to_address=address) is None
    assert written()[0] == before[0] == 0
    assert Message.objects.filter(direction="outbound").count() == 0
    assert not AuditEvent.objects.filter(action="case.acknowledged").exists()


@pytest.mark.parametrize("to_address", [None, "", "non è un indirizzo"])
def test_none_without_an_address(mailbox, to_address):
    case = make_case(CustomerFactory(full_name="Senza Email"))
    before = written()
    assert acknowledge(case, to_address=to_address) is None
    assert written() == before


def test_to_the_reply_to_when_the_caller_passes_one(mailbox, case):
    row = acknowledge(case, to_address="anna.lavoro@example.com")
    assert row.to_address == "anna.lavoro@example.com"


def test_a_phone_case_gets_none(mailbox, customer):
    case = make_case(customer, channel=Channel.PHONE)
    before = written()
    assert acknowledge(case) is None
    assert written() == before


def test_the_promised_time_has_its_branch_ready_for_the_sla(mailbox, case):
    context = acknowledgements.context_for(case)
    assert context["promised_by"] is None
    context["promised_by"] = "lunedì 3 dicembre alle 12:00"
    _subject, body = acknowledgements.render(context, "it")
    assert "Avrai una risposta entro lunedì 3 dicembre alle 12:00.\n" in body
    _subject, body = acknowledgements.render(context, "en")
    assert "You will hear from us by lunedì 3 dicembre alle 12:00.\n" in body


def test_names_are_plain_text_never_html_escaped(mailbox):
    customer = CustomerFactory(full_name="Dario D'Angelo & figli")
    EmailIdentityFactory(customer=customer, value="dario@example.it")
    row = acknowledge(make_case(customer, subject='<b>Ordine</b> "urgente"'))
    assert row.body_text.startswith("Gentile Dario D'Angelo & figli,\n")
    assert row.subject == f'Re: <b>Ordine</b> "urgente" [#{row.case_id}]'


def test_the_shop_overrides_the_templates_in_its_own_directory(mailbox, case, settings, tmp_path):
    emails = tmp_path / "channels" / "emails"
    emails.mkdir(parents=True)
    (emails / "acknowledgement_subject.txt").write_text("Presa in carico {{ number }}")
    (emails / "acknowledgement_body.txt").write_text(
        "{% load i18n %}Ciao {{ customer_name }}, {% translate 'Hello,' %}\n\n\n\n{{ shop_name }}  \n"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    row = acknowledge(case)
    assert row.subject == f"Presa in carico #{case.pk} [#{case.pk}]"
    assert row.body_text == "Ciao Anna Colombo, Buongiorno,\n\nBottega Premura\n"


def test_the_console_shows_it_in_the_timeline_with_its_delivery_state(client, agent, mailbox, case):
    acknowledge(case)
    client.force_login(agent.user)
    html = client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert '<span class="tag">Messaggio automatico</span>' in html
    assert f"abbiamo ricevuto la tua richiesta: il suo numero è #{case.pk}." in html
    assert "In coda per anna.colombo@example.it, non ancora inviata" in html
    assert "case.acknowledged" not in html


@pytest.mark.django_db(transaction=True)
def test_delivered_through_smtp_as_an_auto_reply_threaded_under_the_customer_s_mail(
    customer, agent, smtp_mailbox, peer
):
    case = make_case(customer, subject="Dov'è il mio pacco?", external_id="<CAF=first@mail.gmail.com>")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        row = acknowledge(locked)
        assert peer.received == []  # not before the commit
    assert len(peer.received) == 1
    received = peer.received[0]
    assert (received.mail_from, received.rcpt_tos) == (
        "assistenza@bottega.example",
        ["anna.colombo@example.it"],
    )
    mail = received.message
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["Subject"] == f"Re: Dov'è il mio pacco? [#{case.pk}]"
    assert mail["From"] == "Bottega Premura <assistenza@bottega.example>"
    assert mail["Reply-To"] == f"assistenza+{outbox.plus_token(case.pk)}@bottega.example"
    assert mail["In-Reply-To"] == "<CAF=first@mail.gmail.com>"
    assert mail["Message-ID"] == row.message_id_header
    assert f"abbiamo ricevuto la tua richiesta: il suo numero è #{case.pk}.\n" in received.text
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT
    # Called again after delivery: nothing more goes out.
    assert acknowledge(case) is None
    assert outbox.deliver_due() == 0
    assert len(peer.received) == 1
