"""An agent on the phone finds the caller as they type, or creates them, without leaving the form."""

import pytest

from premura.customers.models import Customer, CustomerIdentity
from tests.factories.customers import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_case_page(agent_page, live_server):
    agent_page.goto(f"{live_server.url}/console/cases/new/")
    return agent_page


def fill_case(page) -> None:
    page.locator("#id_subject").fill("Telefonata: pacco in ritardo")
    page.locator("#id_body").fill("Chiede quando arriva il pacco.")


def test_the_caller_is_found_by_phone_as_the_agent_types(
    new_case_page, live_server, customer, other_customer
):
    page = new_case_page
    CustomerIdentity.objects.create(customer=customer, kind="phone", value="+393331234567")
    CustomerFactory(full_name="Annalisa Verdi")
    page.locator("#customer-query").press_sequentially("333 123 4567", delay=20)
    match = page.locator("#customer-matches label", has_text="Anna Colombo")
    match.wait_for()
    assert page.locator("#customer-matches li").count() == 1
    match.locator("input[type=radio]").check()
    fill_case(page)
    page.locator("button.primary").click()
    page.wait_for_url("**/console/cases/*/")
    case = customer.cases.get()
    assert page.url == f"{live_server.url}/console/cases/{case.pk}/"
    assert case.subject == "Telefonata: pacco in ritardo"


def test_a_new_caller_is_created_on_the_spot(new_case_page, live_server, customer):
    page = new_case_page
    page.locator("#customer-query").press_sequentially("340 111 2233", delay=20)
    page.get_by_text("Nessun cliente trovato").wait_for()
    page.locator("#id_new_name").fill("Zeno Cosini")
    page.locator("#id_new_phone").fill("340 111 2233")
    fill_case(page)
    page.locator("button.primary").click()
    page.wait_for_url("**/console/cases/*/")
    zeno = Customer.objects.get(full_name="Zeno Cosini")
    assert page.url == f"{live_server.url}/console/cases/{zeno.cases.get().pk}/"
    assert page.locator(".customer-card").get_by_text("+393401112233").is_visible()
