"""New case for a caller: find the customer by phone, e-mail or name, or create them on the spot."""

import re

import pytest
from django.urls import reverse

from premura.conversations.models import Case
from premura.core.models import AuditEvent
from premura.customers.models import Customer, CustomerIdentity
from tests.factories.conversations import make_case
from tests.factories.customers import CustomerFactory

URL = "/console/cases/new/"
CASE = {"channel": "phone", "priority": "high", "subject": "Telefonata", "body": "Chiede del pacco"}


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def anna_phone(customer):
    return CustomerIdentity.objects.create(customer=customer, kind="phone", value="+393331234567")


def search(client, query: str, **extra):
    return client.get(
        reverse("console:customer_search"), {"customer_query": query, **extra}, HTTP_HX_REQUEST="true"
    )


def found(response) -> list[str]:
    """The names the list of matches shows, in order."""
    return re.findall(
        r'<input type="radio" name="customer" value="\d+"(?: checked)?>\s*<strong>([^<]+)</strong>',
        response.content.decode(),
    )


def counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Case.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("query", ["333 123 4567", "+39 333-123-4567", "0039 3331234567", "3331234567"])
def test_the_search_finds_a_caller_by_phone_however_it_is_written(
    marco_client, anna_phone, other_customer, query
):
    response = search(marco_client, query)
    html = response.content.decode()
    assert found(response) == ["Anna Colombo"]
    assert html.lstrip().startswith('<div id="customer-matches" aria-live="polite">')
    assert f'<input type="radio" name="customer" value="{anna_phone.customer_id}">' in html
    assert "anna.colombo@example.it · +393331234567" in html


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("ANNA.colombo@example.it", ["Anna Colombo"]),
        ("ann", ["Anna Colombo"]),
        ("anna col", ["Anna Colombo"]),
        ("br", []),  # too short to list anyone
        ("Colombina", []),
        ("333 999 0000", []),
    ],
)
def test_the_search_finds_a_caller_by_email_or_name(marco_client, anna_phone, other_customer, query, names):
    assert found(search(marco_client, query)) == names


def test_the_search_says_when_nobody_matches(marco_client, db):
    html = search(marco_client, "Zeno Cosini").content.decode()
    assert "Nessun cliente trovato. Se chi chiama è un nuovo cliente, inseriscilo qui sotto." in html


def test_the_search_keeps_the_chosen_customer_listed_and_checked(marco_client, customer, other_customer):
    response = search(marco_client, "bruno", customer=str(customer.pk))
    assert found(response) == ["Anna Colombo", "Bruno Ferri"]
    assert f'value="{customer.pk}" checked>' in response.content.decode()


def test_the_search_lists_at_most_ten_customers(marco_client, db):
    for n in range(12):
        CustomerFactory(full_name=f"Rossi {n:02d}")
    assert len(found(search(marco_client, "rossi"))) == 10


def test_the_inbox_search_finds_a_callers_cases_by_phone(marco_client, anna_phone):
    case = make_case(anna_phone.customer)
    response = marco_client.get(reverse("console:inbox"), {"q": "333 1234567"})
    assert [c.pk for c in response.context["cases"]] == [case.pk]


def test_an_agent_opens_a_case_for_a_customer_found_by_the_search(marco_client, agent, customer, anna_order):
    response = marco_client.post(URL, {"customer": customer.pk, "order_number": "prm-100001", **CASE})
    case = customer.cases.get()
    assert response["Location"] == reverse("console:case", args=[case.pk])
    assert (case.order, case.owner, case.channel, case.priority) == (anna_order, agent, "phone", "high")


def test_an_order_of_another_customer_is_refused(marco_client, customer, bruno_order):
    before = counts()
    response = marco_client.post(URL, {"customer": customer.pk, "order_number": "PRM-100002", **CASE})
    assert response.status_code == 422
    assert "Questo ordine appartiene a un altro cliente." in response.content.decode()
    assert counts() == before


def test_an_agent_creates_the_caller_and_opens_the_case(marco_client, agent):
    response = marco_client.post(URL, {"new_name": "  Zeno   Cosini ", "new_phone": "340 111 2233", **CASE})
    zeno = Customer.objects.get(full_name="Zeno Cosini")
    case = zeno.cases.get()
    assert response["Location"] == reverse("console:case", args=[case.pk])
    assert [(i.kind, i.value, i.is_primary) for i in zeno.identities.all()] == [
        ("phone", "+393401112233", True)
    ]
    assert (zeno.preferred_channel, case.owner, case.channel) == ("phone", agent, "phone")
    assert AuditEvent.objects.get(action="customer.created").actor == agent.user


def test_a_new_customer_with_an_email_prefers_email(marco_client):
    marco_client.post(URL, {"new_name": "Zeno Cosini", "new_email": "Zeno@Example.it", **CASE})
    zeno = Customer.objects.get(full_name="Zeno Cosini")
    assert [(i.kind, i.value) for i in zeno.identities.all()] == [("email", "zeno@example.it")]
    assert zeno.preferred_channel == "email"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"new_name": "Zeno Cosini"}, "Inserisci un indirizzo e-mail o un numero di telefono."),
        ({"new_phone": "340 111 2233"}, "Inserisci il nome del nuovo cliente."),
        ({"new_name": "Zeno", "new_phone": "12ab"}, "12ab non è un numero di telefono."),
        ({"new_name": "Zeno", "new_email": "zeno@"}, "zeno@ non è un indirizzo e-mail."),
        ({"new_name": "Zeno", "new_email": "anna.colombo@example.it"}, "appartiene già a un altro cliente"),
        ({}, "Trova il cliente, oppure inseriscine uno nuovo con un nome e un&#x27;e-mail o un telefono."),
        ({"customer": "²"}, "Questo cliente non esiste più: cerca di nuovo."),
        ({"customer": "99999999999999999999"}, "Questo cliente non esiste più: cerca di nuovo."),
        ({"customer": "424242"}, "Questo cliente non esiste più: cerca di nuovo."),
    ],
)
def test_a_caller_who_cannot_be_found_or_created_is_refused_and_nothing_is_written(
    marco_client, customer, data, error
):
    before = counts()
    response = marco_client.post(URL, {**data, **CASE})
    html = response.content.decode()
    assert response.status_code == 422
    assert error in html
    assert 'value="Telefonata"' in html and ">\nChiede del pacco</textarea>" in html
    assert counts() == before


def test_a_chosen_customer_and_a_new_one_together_are_refused(marco_client, customer):
    before = counts()
    response = marco_client.post(URL, {"customer": customer.pk, "new_name": "Zeno Cosini", **CASE})
    assert response.status_code == 422
    assert (
        "Hai scelto un cliente dall&#x27;elenco e ne hai inserito anche uno nuovo"
        in response.content.decode()
    )
    assert counts() == before


def test_without_javascript_the_search_button_lists_matches_and_keeps_the_form(marco_client, anna_phone):
    response = marco_client.post(URL, {"find": "1", "customer_query": "333 1234567", **CASE})
    html = response.content.decode()
    assert response.status_code == 200
    assert found(response) == ["Anna Colombo"]
    assert 'value="Telefonata"' in html
    assert 'class="error"' not in html
    assert Case.objects.count() == 0


def test_the_form_page_offers_the_search_and_the_new_customer_fields(marco_client):
    html = marco_client.get(URL).content.decode()
    assert f'hx-get="{reverse("console:customer_search")}"' in html
    for name in ("new_name", "new_email", "new_phone"):
        assert f'name="{name}"' in html
    assert 'type="tel" name="new_phone"' in html
