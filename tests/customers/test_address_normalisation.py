"""One address, one customer: full-width, NFD, IDN and capitalised spellings of an e-mail, and the
many ways people write a phone number, are stored and looked up in one form."""

import unicodedata

import pytest
from django.utils import translation

from premura.conversations.queries import matching_case_ids
from premura.customers.models import CustomerIdentity
from premura.customers.services import (
    CustomerError,
    IdentityTaken,
    NewIdentity,
    create_customer,
    find_customer,
    normalise_identity,
)
from tests.api.conftest import client_for, row_counts
from tests.factories.conversations import make_case

FULL_WIDTH = "ａｎｎａ．ｃｏｌｏｍｂｏ＠ｅｘａｍｐｌｅ．ｉｔ"
NFD = unicodedata.normalize("NFD", "Nicolò.Bianchi@Caffè.IT")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (FULL_WIDTH, "anna.colombo@example.it"),
        (" ANNA.Colombo@EXAMPLE.it ", "anna.colombo@example.it"),
        (NFD, "nicolò.bianchi@xn--caff-8oa.it"),
        ("nicolò.bianchi@caffè.it", "nicolò.bianchi@xn--caff-8oa.it"),
        ("Nicolò.Bianchi@XN--CAFF-8OA.IT", "nicolò.bianchi@xn--caff-8oa.it"),
    ],
    ids=["full_width", "capitals", "nfd", "idn_unicode", "idn_ascii"],
)
def test_every_spelling_of_an_address_has_one_stored_form(written, stored):
    assert normalise_identity("email", written) == stored


@pytest.mark.parametrize(
    "value",
    ["anna.colombo", "anna@localhost", "anna colombo@example.it", "anna@example.it\r\nBcc: x@example.it"],
)
def test_what_is_not_an_address_is_refused(value):
    with pytest.raises(CustomerError, match="is not an e-mail address"):
        normalise_identity("email", value)


@pytest.mark.parametrize("spelling", [FULL_WIDTH, "Anna.Colombo@Example.IT"], ids=["full_width", "capitals"])
def test_another_spelling_of_a_taken_address_is_the_same_customer(customer, spelling):
    before = row_counts()
    with pytest.raises(IdentityTaken):
        create_customer(full_name="Anna Impostora", identities=[NewIdentity("email", spelling)])
    assert row_counts() == before
    assert find_customer("email", spelling) == customer


def test_nfd_and_idn_spellings_made_one_customer(db):
    nicolo = create_customer(full_name="Nicolò Bianchi", identities=[NewIdentity("email", NFD)])
    for spelling in ("nicolò.bianchi@caffè.it", "NICOLÒ.BIANCHI@xn--caff-8oa.it"):
        with pytest.raises(IdentityTaken):
            create_customer(full_name="Nicolò B.", identities=[NewIdentity("email", spelling)])
        assert find_customer("email", spelling) == nicolo
    assert list(CustomerIdentity.objects.values_list("value", flat=True)) == [
        "nicolò.bianchi@xn--caff-8oa.it"
    ]


def test_the_search_box_finds_the_customer_by_any_spelling(customer, other_customer):
    case = make_case(customer, subject="Pacco")
    make_case(other_customer, subject="Altro")
    assert matching_case_ids(FULL_WIDTH) == [case.pk]
    assert matching_case_ids("ANNA.COLOMBO@example.it") == [case.pk]


def test_the_api_email_filter_finds_the_customer_by_any_spelling(agent, customer, other_customer):
    response = client_for(agent.user).get("/api/v1/customers", {"email": FULL_WIDTH})
    assert [item["id"] for item in response.json()["items"]] == [customer.pk]


def test_the_console_customer_search_finds_any_spelling(customer, other_customer):
    from premura.customers.queries import matching_customer_ids

    assert matching_customer_ids(FULL_WIDTH) == [customer.pk]
    assert matching_customer_ids("Anna.Colombo@EXAMPLE.it") == [customer.pk]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("333 123 4567", "+393331234567"),
        ("+39 333 123-4567", "+393331234567"),
        ("0039 (333) 123.4567", "+393331234567"),
        ("02 1234 5678", "+390212345678"),
        ("+41 79 123 45 67", "+41791234567"),
        ("+44 7911 123456", "+447911123456"),
        ("+44 7665 757832", "+447665757832"),  # a pager block: possible, if not in the metadata
    ],
)
def test_phones_are_stored_in_e164(written, stored):
    assert normalise_identity("phone", written) == stored


@pytest.mark.parametrize("value", ["12", "333-CALL-ME", "+39 0000", "+999 123 456 789"])
def test_what_is_not_a_phone_number_is_refused(value):
    with pytest.raises(CustomerError, match="is not a phone number"):
        normalise_identity("phone", value)


def test_the_default_region_is_a_setting(settings):
    settings.PHONE_DEFAULT_REGION = "CH"
    assert normalise_identity("phone", "079 123 45 67") == "+41791234567"


def test_a_phone_written_two_ways_is_one_customer(db):
    carla = create_customer(full_name="Carla Neri", identities=[NewIdentity("phone", "333 000 1111")])
    with pytest.raises(IdentityTaken):
        create_customer(full_name="Carla N.", identities=[NewIdentity("phone", "+39 333 000 1111")])
    assert find_customer("phone", "0039 333 000 1111") == carla
