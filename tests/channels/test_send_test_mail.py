from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from premura.channels.models import InboundEmail, Mailbox, OutboundEmail
from premura.conversations.models import Case
from tests.channels.conftest import free_port


def test_it_opens_a_case_through_the_listener_and_queues_the_acknowledgement(start_lmtp):
    Mailbox.objects.create(address="assistenza@bottega.example")
    controller = start_lmtp()
    out = StringIO()
    call_command("send_test_mail", lmtp=f"127.0.0.1:{controller.port}", stdout=out)

    stored = InboundEmail.objects.get()
    assert stored.state == "processed"
    case = Case.objects.get()
    assert (case.subject, case.customer.full_name) == ("Ordine non ancora arrivato", "Giovanna Neri")
    assert OutboundEmail.objects.get(case=case).kind == "acknowledgement"
    assert "assistenza@bottega.example" in out.getvalue()


def test_it_says_when_nothing_listens(db):
    Mailbox.objects.create(address="assistenza@bottega.example")
    with pytest.raises(CommandError, match="did not take the mail"):
        call_command("send_test_mail", lmtp=f"127.0.0.1:{free_port()}")


def test_it_needs_a_mailbox(db):
    with pytest.raises(CommandError, match="no mailbox"):
        call_command("send_test_mail")
