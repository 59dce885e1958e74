"""channels.services.send: a notice rendered from templates in the customer's language, stored as
a case message by the shop and queued with its outbox row, once per dedupe key."""

import pytest

from premura.channels import services
from premura.channels.exceptions import NoRecipient
from premura.channels.models import OutboundEmail, OutboundKind
from premura.conversations.models import Direction, Message
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory


def test_send_writes_the_message_and_its_outbox_row_once(customer):
    case = make_case(customer)
    context = {"order_number": "PRM-1", "situation": "predicted", "expected_date": "lunedì 7 dicembre"}
    row = services.send(case, OutboundKind.NOTICE, "care/emails/notice", context, dedupe_key="k:1")
    assert row.kind == OutboundKind.NOTICE and row.subject.startswith(
        "Il tuo ordine PRM-1 arriverà in ritardo"
    )
    assert row.message.direction == Direction.OUTBOUND and row.message.author_agent is None
    assert row.message.body.startswith("Gentile Anna Colombo,")
    again = services.send(case, OutboundKind.NOTICE, "care/emails/notice", context, dedupe_key="k:1")
    assert again == row and OutboundEmail.objects.count() == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_send_to_a_customer_without_an_address_writes_nothing(db):
    case = make_case(CustomerFactory(full_name="Senza Posta"))
    with pytest.raises(NoRecipient):
        services.send(
            case, OutboundKind.NOTICE, "care/emails/notice", {"situation": "lost"}, dedupe_key="k:2"
        )
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
