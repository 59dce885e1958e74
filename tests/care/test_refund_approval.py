"""A partial refund the compensation table grants waits for an agent: approving it requests the
refund through commerce once (the key is the grant's), declining it requests none; both are on
the timeline. The customer card lists what the customer was granted."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from premura.care.models import Approval, Compensation, CompensationRule, Grant, Incident
from premura.commerce.models import Refund
from premura.core.audit import events_for
from tests.care.conftest import signal
from tests.factories.commerce import PaymentFactory
from tests.factories.conversations import make_case


@pytest.fixture
def refund_rule(db):
    return CompensationRule.objects.create(
        position=1,
        name="Lost: 15 back",
        situation="",
        compensation=Compensation.PARTIAL_REFUND,
        value=Decimal("15.00"),
    )


@pytest.fixture
def incident(mailbox, shipment, refund_rule, morning):
    PaymentFactory(order=shipment.order, amount=Decimal("89.00"))
    signal(shipment, "predicted", datetime.date(2026, 12, 7))
    return Incident.objects.get()


@pytest.fixture
def marco(client, agent):
    client.force_login(agent.user)
    return client


def decide(client, incident, decision, *, htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("console:incident_refund", args=[incident.case_id]), {"decision": decision}, **headers
    )


def test_the_partial_refund_waits_for_an_agent_and_the_notice_says_so(incident):
    grant = Grant.objects.get()
    assert (grant.compensation, grant.approval, grant.refund) == ("partial_refund", Approval.AWAITING, None)
    assert "ti rimborseremo 15 EUR" in incident.notices.get().outbound.body_text.replace("15.00", "15")
    assert not Refund.objects.exists()


def test_approving_twice_refunds_once_through_commerce(marco, incident, agent):
    page = marco.get(reverse("console:case", args=[incident.case_id])).content.decode()
    assert "Approva il rimborso" in page
    assert decide(marco, incident, "approve").status_code == 302
    assert decide(marco, incident, "approve", htmx=True).status_code == 200  # the double click
    refund = Refund.objects.get()
    grant = Grant.objects.get()
    assert (refund.order_id, refund.amount, refund.idempotency_key) == (
        incident.shipment.order_id,
        Decimal("15.00"),
        f"care-grant-{grant.pk}",
    )
    assert (grant.approval, grant.decided_by, grant.refund) == (Approval.APPROVED, agent, refund)
    [event] = events_for(incident.case).filter(action="care.refund_approved")
    assert event.data["refund_id"] == refund.pk
    page = marco.get(reverse("console:case", args=[incident.case_id])).content.decode()
    assert "Marco Rossi ha approvato il rimborso di 15.00 EUR" in page
    assert "Approvato da Marco Rossi" in page and "Approva il rimborso" not in page
    assert decide(marco, incident, "decline").status_code == 422  # approved stays approved


def test_declining_requests_no_refund_and_cannot_be_approved_after(marco, incident):
    assert decide(marco, incident, "decline", htmx=True).status_code == 200
    assert Grant.objects.get().approval == Approval.DECLINED
    response = decide(marco, incident, "approve")
    assert response.status_code == 422 and "Questo rimborso è stato rifiutato." in response.content.decode()
    assert not Refund.objects.exists()
    assert events_for(incident.case).filter(action="care.refund_declined").count() == 1
    assert decide(marco, incident, "maybe").status_code == 422


def test_a_refund_the_payment_refuses_leaves_the_grant_awaiting(
    marco, mailbox, shipment, refund_rule, morning
):
    signal(shipment, "predicted", datetime.date(2026, 12, 7))  # no payment captured on the order
    incident = Incident.objects.get()
    response = decide(marco, incident, "approve", htmx=True)
    assert response.status_code == 422
    assert "non ha un pagamento incassato" in response.content.decode()
    assert Grant.objects.get().approval == Approval.AWAITING and not Refund.objects.exists()


def test_a_coupon_needs_no_approval(marco, mailbox, shipment, coupon_rule, morning):
    signal(shipment, "predicted", datetime.date(2026, 12, 7))
    incident = Incident.objects.get()
    assert decide(marco, incident, "approve").status_code == 422
    assert not Refund.objects.exists()
    assert (
        marco.post(reverse("console:incident_refund", args=[999999]), {"decision": "approve"}).status_code
        == 404
    )


def test_the_customer_card_lists_the_grants_on_any_case_of_the_customer(
    marco, mailbox, shipment, customer, coupon_rule, morning
):
    signal(shipment, "predicted", datetime.date(2026, 12, 7))
    grant = Grant.objects.get()
    other = make_case(customer, subject="Fattura da correggere")
    page = marco.get(reverse("console:case", args=[other.pk])).content.decode()
    card = page[
        page.index('class="card customer-card"') : page.index("</section>", page.index("customer-card"))
    ]
    assert grant.code in card and "10%" in card and "PRM-300001" in card and "Ritardo previsto" in card
    assert reverse("console:case", args=[grant.incident.case_id]) in card
    assert "1 dic 2026" in card
