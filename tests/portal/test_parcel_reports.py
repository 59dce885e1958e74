"""The customer reports a lost parcel from the order page, chooses the remedy the shop's policy
offers on the report's page, and asks to cancel; each only for the order their link opened, each
once however often the form is sent."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from premura.care.models import ParcelReport, PolicyKind, ReportState, ResolutionPolicy
from premura.commerce.models import Cancellation, OrderStatus, PaymentState, Refund
from premura.conversations.models import Case, CaseReason
from premura.portal.links import order_path
from tests.commerce.shop import shop_order
from tests.factories.commerce import OrderFactory
from tests.factories.shipping import ShipmentFactory
from tests.portal.conftest import open_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(db, team):
    from premura.channels.models import Mailbox

    return Mailbox.objects.create(address="assistenza@bottega.example", default_team=team)


@pytest.fixture
def shipped(shopify, shop_connection, customer, mailbox):
    return shop_order(shopify, customer, status=OrderStatus.SHIPPED)


@pytest.fixture
def trusted(customer):
    customer.created_at -= datetime.timedelta(days=800)
    customer.save(update_fields=["created_at"])
    for _ in range(5):
        OrderFactory(customer=customer, status=OrderStatus.DELIVERED, total=Decimal("150"))
    ResolutionPolicy.objects.create(kind=PolicyKind.LOST_PARCEL, offer_reship=False, min_trust_score=50)
    return customer


def test_a_trusted_customer_reports_and_chooses_a_refund(
    client, shipped, trusted, django_capture_on_commit_callbacks
):
    page = open_link(client, order_path(shipped))
    assert "Il mio pacco non è mai arrivato" in client.get(page).content.decode()
    response = client.post(reverse("portal:report_problem", args=[shipped.pk]), {"problem": "lost_parcel"})
    report = ParcelReport.objects.get()
    assert response["Location"] == reverse("portal:report", args=[shipped.pk, report.pk])
    # One remedy offered: refunded at once; the report page says so.
    assert report.state == ReportState.RESOLVED and Refund.objects.count() == 1
    case = Case.objects.get(pk=report.case_id)
    assert case.reason == CaseReason.DELIVERY and case.order == shipped
    shown = client.get(response["Location"]).content.decode()
    assert "Ti stiamo rimborsando" in shown
    # Sent again: the same report, no second case.
    again = client.post(reverse("portal:report_problem", args=[shipped.pk]), {"problem": "lost_parcel"})
    assert again["Location"] == response["Location"]
    assert ParcelReport.objects.count() == 1 and Case.objects.count() == 1


def test_the_customer_chooses_between_two_remedies(client, shipped, trusted):
    ResolutionPolicy.objects.filter(kind=PolicyKind.LOST_PARCEL).update(offer_reship=True)
    open_link(client, order_path(shipped))
    response = client.post(reverse("portal:report_problem", args=[shipped.pk]), {"problem": "lost_parcel"})
    page = client.get(response["Location"]).content.decode()
    assert "Rispeditemi l'ordine" in page and "Rimborsatemi" in page
    report = ParcelReport.objects.get()
    url = reverse("portal:report_remedy", args=[shipped.pk, report.pk])
    assert client.post(url, {"remedy": "refund"}).status_code == 302
    assert client.post(url, {"remedy": "refund"}).status_code == 302
    assert client.post(url, {"remedy": "reship"}).status_code == 302  # refused, said on the page
    report.refresh_from_db()
    assert report.remedy == "refund" and Refund.objects.count() == 1


def test_another_orders_reports_are_not_reachable(client, shipped, trusted, other_customer):
    open_link(client, order_path(shipped))
    client.post(reverse("portal:report_problem", args=[shipped.pk]), {"problem": "lost_parcel"})
    report = ParcelReport.objects.get()
    theirs = OrderFactory(customer=other_customer, status=OrderStatus.SHIPPED)
    assert client.get(reverse("portal:report", args=[theirs.pk, report.pk])).status_code == 403
    open_link(client, order_path(theirs))
    assert client.get(reverse("portal:report", args=[theirs.pk, report.pk])).status_code == 404
    url = reverse("portal:report_remedy", args=[theirs.pk, report.pk])
    assert client.post(url, {"remedy": "refund"}).status_code == 404
    unknown = client.post(reverse("portal:report_problem", args=[shipped.pk]), {"problem": "x"})
    assert unknown.status_code == 404


def test_an_unshipped_order_is_cancelled_from_the_portal_and_the_card_freed(
    client, shopify, shop_connection, customer, mailbox, django_capture_on_commit_callbacks
):
    ResolutionPolicy.objects.create(kind=PolicyKind.CANCEL_BEFORE_SHIPMENT)
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    page = open_link(client, order_path(order))
    assert "Annulla il mio ordine" in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:cancel", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.VOIDED
    assert Cancellation.objects.count() == 1
    assert "Annulla il mio ordine" not in client.get(page).content.decode()


def test_a_report_refused_leaves_no_case_behind(client, shipped, trusted):
    ShipmentFactory(
        order=shipped,
        status="in_transit",
        promised_delivery_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    page = open_link(client, order_path(shipped))
    assert "Il mio pacco non è mai arrivato" not in client.get(page).content.decode()
    response = client.post(
        reverse("portal:report_problem", args=[shipped.pk]), {"problem": "lost_parcel"}, follow=True
    )
    assert "non è in ritardo" in response.content.decode()
    assert not ParcelReport.objects.exists() and not Case.objects.exists()
