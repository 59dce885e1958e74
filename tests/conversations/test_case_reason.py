"""The contact reason is a field of the case (Case.reason), set by the portal form, the console's
new-case form and the API, and shown to agents: reports count it, no subject has to be parsed."""

import pytest
from django.db.models import Count
from django.urls import reverse

from premura.conversations import services
from premura.conversations.exceptions import CaseError
from premura.conversations.models import Case, CaseReason
from premura.portal.links import order_path
from tests.factories.conversations import make_case
from tests.portal.conftest import open_link


@pytest.fixture
def marco_client(client, agent):
    client.force_login(agent.user)
    return client


def test_the_portal_form_sets_the_reason(client, anna_order):
    path = open_link(client, order_path(anna_order)) + "contact/"
    for reason in ("refund", "refund", "delivery"):
        client.post(path, {"category": reason, "message": "Dov'è il rimborso?", "website": ""})
    counts = dict(Case.objects.values_list("reason").annotate(n=Count("pk")))
    assert counts == {"refund": 2, "delivery": 1}
    assert not Case.objects.filter(subject__contains="Refund").exists()


def test_the_console_new_case_form_sets_the_reason_and_the_case_page_shows_it(marco_client, customer):
    marco_client.post(
        reverse("console:new_case"),
        {
            "customer": customer.pk,
            "channel": "phone",
            "priority": "normal",
            "reason": "return",
            "subject": "Telefonata per un reso",
            "body": "Vuole rendere la moka",
        },
    )
    case = customer.cases.get()
    assert case.reason == CaseReason.RETURN
    html = marco_client.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'motivo: <span class="case-reason">Reso</span>' in html
    inbox = marco_client.get(reverse("console:inbox"), {"view": "all"}).content.decode()
    assert '<span class="muted case-reason">Reso</span>' in inbox


def test_the_new_case_form_may_leave_the_reason_out(marco_client, customer):
    marco_client.post(
        reverse("console:new_case"),
        {
            "customer": customer.pk,
            "channel": "phone",
            "priority": "normal",
            "reason": "",
            "subject": "Telefonata",
            "body": "Chiede del pacco",
        },
    )
    assert customer.cases.get().reason == ""


def test_an_unknown_reason_is_refused_and_nothing_is_written(customer):
    with pytest.raises(CaseError):
        services.open_case(customer=customer, subject="Ciao", body="Ciao", reason="lottery")
    assert not Case.objects.exists()


def test_a_follow_up_keeps_the_reason(agent, customer):
    case = make_case(customer, reason="damaged")
    services.change_status(case, "closed", actor=agent.user)
    follow_up = services.receive_message(case, body="Di nuovo rotta", channel="email").case
    assert follow_up.reason == "damaged"
