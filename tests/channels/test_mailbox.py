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
