import pytest

from premura.channels.models import Mailbox


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        address="assistenza@bottega.example", own_addresses="ordini@bottega.example\n@premura-shop.example"
    )


@pytest.mark.parametrize(
    ("address", "own"),
    [
        ("assistenza@bottega.example", True),
        ("Assistenza@Bottega.example", True),
        ("ordini@bottega.example", True),
        ("chiunque@premura-shop.example", True),
        ("anna@bottega.example", False),
        ("anna@example.it", False),
        ("premura-shop.example@example.it", False),
    ],
)
def test_it_knows_the_shop_s_own_addresses(mailbox, address, own):
    assert mailbox.is_own_address(address) is own


def test_add_mailbox_saves_it_lower_cased_and_audits_it(db):
    from premura.channels.mailboxes import add_mailbox
    from premura.core.audit import events_for

    mailbox = add_mailbox(Mailbox(address=" Assistenza@Bottega.example "))
    assert mailbox.address == "assistenza@bottega.example"
    assert [e.action for e in events_for(mailbox)] == ["mailbox.added"]


def test_add_mailbox_refuses_an_address_connected_already_and_writes_nothing(mailbox):
    from premura.channels.exceptions import InvalidMailbox
    from premura.channels.mailboxes import add_mailbox

    with pytest.raises(InvalidMailbox, match="address"):
        add_mailbox(Mailbox(address="assistenza@bottega.example"))
    assert Mailbox.objects.count() == 1


def test_the_demo_shop_has_its_support_mailbox_for_make_run(db):
    from premura.demo.loader import load_demo

    load_demo(customers=0, orders=0, cases=0)
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.inbound_mode, mailbox.plus_addressing) == (
        "assistenza@bottega-premura.example",
        "lmtp",
        True,
    )
