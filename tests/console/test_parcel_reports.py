"""The case page's parcel reports: the agent reports for the customer, decides a report in review
(a decline needs a note), chooses the remedy for them; a report of another case is a 404."""

import pytest
from django.urls import reverse

from premura.care.models import CarrierTask, ParcelReport, PendingStep, ReportState
from premura.commerce.models import OrderStatus, Refund
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(db, team):
    from premura.channels.models import Mailbox

    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


@pytest.fixture
def case(shopify, shop_connection, customer, mailbox):
    order = shop_order(shopify, customer, status=OrderStatus.SHIPPED)
    return make_case(customer, order=order)


@pytest.fixture
def marco(client, agent):
    client.force_login(agent.user)
    return client


def test_the_agent_reports_a_lost_parcel_and_decides_it(
    marco, case, agent, django_capture_on_commit_callbacks
):
    page = marco.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Il cliente dice che non è mai arrivato" in page
    response = marco.post(reverse("console:case_report_parcel", args=[case.pk]), {"problem": "lost_parcel"})
    assert response.status_code == 302
    report = ParcelReport.objects.get()
    # No policy: review, with its promised step and the carrier claim as a task.
    assert report.state == ReportState.IN_REVIEW
    assert PendingStep.objects.filter(report=report, done_at__isnull=True).count() == 1
    claim = CarrierTask.objects.get(report=report, action="claim")
    assert claim.requested_by == agent
    page = marco.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "In verifica" in page and "la regola non risolve da sola" in page
    decision = reverse("console:case_report_decision", args=[case.pk, report.pk])
    marco.post(decision, {"decision": "decline"}, follow=True)
    report.refresh_from_db()
    assert report.state == ReportState.IN_REVIEW  # a decline needs a note: refused, nothing written
    marco.post(decision, {"decision": "approve"})
    report.refresh_from_db()
    assert report.state == ReportState.AWAITING_CHOICE and report.decided_by == agent
    remedy = reverse("console:case_report_remedy", args=[case.pk, report.pk])
    with django_capture_on_commit_callbacks(execute=True):
        marco.post(remedy, {"remedy": "refund"})
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED and Refund.objects.get().case == case
    # The claim is on the incidents page's list of requests to carriers.
    incidents = marco.get(reverse("care:incidents")).content.decode()
    assert f"#{case.pk}" in incidents


def test_a_report_of_another_case_is_not_found(marco, case, customer):
    marco.post(reverse("console:case_report_parcel", args=[case.pk]), {"problem": "lost_parcel"})
    report = ParcelReport.objects.get()
    other = make_case(customer, subject="Altro")
    url = reverse("console:case_report_decision", args=[other.pk, report.pk])
    assert marco.post(url, {"decision": "approve"}).status_code == 404
    unknown = marco.post(reverse("console:case_report_parcel", args=[other.pk]), {"problem": "x"})
    assert unknown.status_code == 404
