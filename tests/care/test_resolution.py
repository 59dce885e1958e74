"""Lost and damaged parcels under the shop's resolution policy (care.resolution): a trusted
customer is resolved on the spot (their choice of re-ship or refund, made once on the shop's
platform, a claim opened with the carrier apart); anyone else goes to review with a decision date
in business days, kept as a pending step; a damaged item may wait for a photo; a wish to cancel
is acted on at once before shipment. Against the fake Shopify shop, with the real outbox."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from premura.care import promises, resolution
from premura.care.exceptions import CareError
from premura.care.models import (
    CarrierAction,
    CarrierTask,
    ParcelReport,
    PendingStep,
    PolicyKind,
    Remedy,
    ReportState,
    ResolutionPolicy,
    StepKind,
)
from premura.channels.models import OutboundEmail
from premura.commerce.models import (
    Cancellation,
    CancellationOutcome,
    OrderStatus,
    PaymentState,
    Refund,
    Reshipment,
)
from premura.conversations.models import Attachment
from premura.conversations.services import receive_message
from premura.core.audit import events_for
from premura.core.clock import frozen_at
from premura.core.models import Channel
from tests.commerce.shop import shop_order
from tests.factories.commerce import OrderFactory
from tests.factories.conversations import make_case
from tests.factories.shipping import ShipmentFactory

pytestmark = pytest.mark.django_db
ROME = zoneinfo.ZoneInfo("Europe/Rome")
# Friday 4 December 2026, 11:00 in Milan: three business days on is Wednesday 9 December
# (Tuesday 8 December, the Immaculate Conception, is a public holiday: so Thursday 10).
FRIDAY = datetime.datetime(2026, 12, 4, 11, 0, tzinfo=ROME)


@pytest.fixture
def friday():
    with frozen_at(FRIDAY):
        yield FRIDAY


@pytest.fixture
def lost_policy(db):
    return ResolutionPolicy.objects.create(
        kind=PolicyKind.LOST_PARCEL,
        is_active=True,
        min_trust_score=50,
        max_order_total=Decimal("150"),
        keep_if_found_below=Decimal("100"),
        review_business_days=3,
    )


def make_trusted(customer) -> None:
    """Five orders delivered before, 600 spent, a customer for three years: trust 80."""
    customer.created_at = FRIDAY - datetime.timedelta(days=3 * 365)
    customer.save(update_fields=["created_at"])
    for index in range(5):
        OrderFactory(
            customer=customer,
            number=f"PRM-T{index}",
            status=OrderStatus.DELIVERED,
            total=Decimal("120.00"),
            placed_at=FRIDAY - datetime.timedelta(days=300 - index),
        )


@pytest.fixture
def shipped(shopify, shop_connection, customer, mailbox):
    return shop_order(shopify, customer, status=OrderStatus.SHIPPED)


@pytest.fixture
def case(shipped, customer):
    return make_case(customer, order=shipped)


def sent_to_customer(case) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(message__case=case).order_by("pk"))


def test_the_trust_score_adds_history_and_takes_off_past_claims(customer, shipped, friday):
    make_trusted(customer)
    trust = resolution.trust_of(shipped)
    assert trust.parts == {
        "base": 10,
        "delivered_orders": 20,
        "account_age": 20,
        "lifetime_value": 30,
        "past_claims": 0,
    }
    assert trust.score == 80
    earlier = OrderFactory(customer=customer, number="PRM-299999", status=OrderStatus.DELIVERED)
    ParcelReport.objects.create(
        case=make_case(customer, order=earlier),
        order=earlier,
        problem=PolicyKind.LOST_PARCEL,
        state=ReportState.RESOLVED,
        trust_score=80,
    )
    again = resolution.trust_of(shipped)
    assert again.parts["past_claims"] == -25 and again.parts["delivered_orders"] == 24


def test_a_new_customer_has_little_trust(customer, shipped, friday):
    trust = resolution.trust_of(shipped)
    assert trust.parts["delivered_orders"] == 0 and trust.parts["account_age"] == 0
    assert trust.score < 20


def test_a_trusted_customer_is_offered_the_choice_and_a_claim_is_opened(
    customer, case, shipped, lost_policy, friday, django_capture_on_commit_callbacks
):
    make_trusted(customer)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    assert report.state == ReportState.AWAITING_CHOICE and report.auto_resolved
    assert report.trust_score == 80 and report.assessment["review_because"] == []
    assert resolution.offered_remedies(report) == [Remedy.RESHIP, Remedy.REFUND]
    (told,) = sent_to_customer(case)
    assert "/portal/o/" in told.body_text
    assert "biblioteca" in told.body_text  # 54.90 is below the policy's 100: keep it if it turns up
    claim = CarrierTask.objects.get(report=report)
    assert claim.action == CarrierAction.CLAIM and claim.incident is None and claim.done_at is None
    assert not PendingStep.objects.filter(kind=StepKind.REVIEW).exists()
    assert Reshipment.objects.count() == 0 and Refund.objects.count() == 0
    # Reporting again is the same report, told once.
    assert resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL) == report
    assert len(sent_to_customer(case)) == 1


def test_the_customer_chooses_to_have_it_sent_again_once(
    shopify, customer, case, shipped, lost_policy, friday, django_capture_on_commit_callbacks
):
    make_trusted(customer)
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    with django_capture_on_commit_callbacks(execute=True):
        resolution.choose(report, Remedy.RESHIP)
    with django_capture_on_commit_callbacks(execute=True):
        again = resolution.choose(report, Remedy.RESHIP)
    report.refresh_from_db()
    assert again.pk == report.pk and report.state == ReportState.RESOLVED and report.remedy == Remedy.RESHIP
    reshipment = Reshipment.objects.get()
    assert report.reshipment == reshipment and reshipment.idempotency_key == f"care-report-{report.pk}-reship"
    assert reshipment.case == case
    with pytest.raises(CareError):
        resolution.choose(report, Remedy.REFUND)
    assert not Refund.objects.exists()
    actions = [event.action for event in events_for(case)]
    assert actions.count("care.remedy_chosen") == 1


def test_a_policy_with_a_single_remedy_refunds_at_once(
    shopify, customer, case, shipped, lost_policy, friday, django_capture_on_commit_callbacks
):
    lost_policy.offer_reship = False
    lost_policy.save()
    make_trusted(customer)
    with django_capture_on_commit_callbacks(execute=True):
        report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED and report.remedy == Remedy.REFUND
    refund = Refund.objects.get()
    assert refund.amount == Decimal("54.90") and refund.idempotency_key == f"care-report-{report.pk}-refund"
    assert len(shopify.orders[shipped.external_id]["refunds"]) == 1


def test_a_customer_the_policy_does_not_trust_waits_for_a_review_with_a_date(
    customer, case, shipped, lost_policy, friday
):
    with translation.override("en"):
        report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    assert report.state == ReportState.IN_REVIEW and not report.auto_resolved
    assert report.assessment["review_because"] == ["trust_below_threshold"]
    assert report.decision_due_on == datetime.date(2026, 12, 10)
    step = PendingStep.objects.get(report=report)
    assert step.kind == StepKind.REVIEW and step.case == case and step.done_at is None
    assert step.expected_by.astimezone(ROME).date() == datetime.date(2026, 12, 10)
    (told,) = sent_to_customer(case)
    assert "10 dicembre" in told.body_text  # the customer's language: Italian


def test_an_order_over_the_policy_total_goes_to_review(customer, case, shipped, lost_policy, friday):
    make_trusted(customer)
    lost_policy.max_order_total = Decimal("50")
    lost_policy.save()
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    assert report.assessment["review_because"] == ["order_total_above_threshold"]


def test_the_agent_approves_a_review_and_the_promise_is_kept(
    customer, case, shipped, lost_policy, agent, friday
):
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    report = resolution.decide(report, approve=True, agent=agent)
    assert report.state == ReportState.AWAITING_CHOICE and report.decided_by == agent
    assert PendingStep.objects.get(report=report).done_at is not None
    assert len(sent_to_customer(case)) == 2  # the review's date, then the choice


def test_declining_needs_a_reason_and_tells_the_customer(customer, case, shipped, lost_policy, agent, friday):
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    with pytest.raises(CareError):
        resolution.decide(report, approve=False, agent=agent)
    report = resolution.decide(
        report, approve=False, agent=agent, note="Il corriere ha la firma di consegna del 2 dicembre."
    )
    assert report.state == ReportState.DECLINED
    assert "firma di consegna" in sent_to_customer(case)[-1].body_text
    with pytest.raises(CareError):
        resolution.decide(report, approve=True, agent=agent)


def test_without_a_policy_every_report_goes_to_review(customer, case, shipped, friday):
    make_trusted(customer)
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    assert report.state == ReportState.IN_REVIEW
    assert report.assessment["review_because"] == ["policy_not_automatic"]


def test_reports_are_refused_for_unshipped_or_other_peoples_orders(
    shopify, customer, other_customer, case, lost_policy, friday
):
    unshipped = shop_order(shopify, customer, external_id="1001")
    with pytest.raises(CareError):
        resolution.report_problem(case, unshipped, PolicyKind.LOST_PARCEL)
    theirs = OrderFactory(customer=other_customer, number="PRM-900001", status=OrderStatus.SHIPPED)
    with pytest.raises(CareError):
        resolution.report_problem(case, theirs, PolicyKind.LOST_PARCEL)
    with pytest.raises(CareError):
        resolution.report_problem(case, unshipped, "stolen")
    assert not ParcelReport.objects.exists() and not CarrierTask.objects.exists()


def test_a_damaged_item_waits_for_the_photo_then_is_assessed(
    customer, case, shipped, friday, django_capture_on_commit_callbacks
):
    make_trusted(customer)
    ResolutionPolicy.objects.create(kind=PolicyKind.DAMAGED, require_photo=True, offer_reship=False)
    with pytest.raises(CareError):  # not delivered yet
        resolution.report_problem(case, shipped, PolicyKind.DAMAGED)
    shipped.status = OrderStatus.DELIVERED
    shipped.save(update_fields=["status"])
    report = resolution.report_problem(case, shipped, PolicyKind.DAMAGED)
    assert report.state == ReportState.AWAITING_PHOTO
    assert not CarrierTask.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(case, body="Ecco la foto", channel=Channel.EMAIL)
    report.refresh_from_db()
    assert report.state == ReportState.AWAITING_PHOTO  # words, no photo
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(case, body="Ecco la foto, scusate", channel=Channel.EMAIL)
        Attachment.objects.create(
            message=message,
            file=ContentFile(b"\xff\xd8\xff\xe0 jpeg", name="rotto.jpg"),
            filename="rotto.jpg",
            content_type="image/jpeg",
            size=10,
        )
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED and report.remedy == Remedy.REFUND


def test_cancelling_before_shipment_voids_the_card_at_once(
    shopify, shop_connection, customer, mailbox, friday, django_capture_on_commit_callbacks
):
    ResolutionPolicy.objects.create(kind=PolicyKind.CANCEL_BEFORE_SHIPMENT)
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    case = make_case(customer, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        answer = resolution.cancel_on_request(case, order)
    assert answer.cancellation.outcome == CancellationOutcome.VOID
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().state == PaymentState.VOIDED
    assert Cancellation.objects.count() == 1
    assert resolution.cancel_on_request(case, order).cancellation is None  # already cancelled: an agent


def test_without_an_automatic_policy_a_cancellation_waits_for_an_agent(
    shopify, shop_connection, customer, mailbox, friday
):
    order = shop_order(shopify, customer, state=PaymentState.AUTHORIZED)
    answer = resolution.cancel_on_request(make_case(customer, order=order), order)
    assert answer.cancellation is None and not Cancellation.objects.exists()


def test_after_shipment_the_customer_gets_the_return_instructions(customer, case, shipped, friday):
    ResolutionPolicy.objects.create(
        kind=PolicyKind.CANCEL_AFTER_SHIPMENT,
        return_instructions="Rispedisci il pacco con l'etichetta gratuita: https://bottega.example/resi",
    )
    answer = resolution.cancel_on_request(case, shipped)
    assert "etichetta gratuita" in answer.instructions
    assert "bottega.example/resi" in sent_to_customer(case)[-1].body_text
    assert not Cancellation.objects.exists()


def test_a_review_not_decided_by_its_date_is_told_and_escalated_once(
    customer, case, shipped, lost_policy, agent, friday
):
    report = resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    step = PendingStep.objects.get(report=report)
    assert step.check_at < step.expected_by
    assert promises.check_due_steps(now=step.check_at - datetime.timedelta(minutes=1)) == 0
    assert promises.check_due_steps(now=step.check_at) == 1
    assert promises.check_due_steps(now=step.expected_by) == 0
    step.refresh_from_db()
    assert step.warned_at is not None and step.done_at is None
    case.refresh_from_db()
    assert case.priority == "high"
    late = [event.action for event in events_for(case)].count("care.promise_late")
    assert late == 1 and len(sent_to_customer(case)) == 2  # the review's date, then the delay
    # Deciding afterwards still keeps the promise, late.
    resolution.decide(report, approve=True, agent=agent)
    step.refresh_from_db()
    assert step.done_at is not None


def test_a_parcel_on_its_way_and_on_time_cannot_be_reported_lost_yet(customer, case, shipped, friday):
    shipment = ShipmentFactory(
        order=shipped, status="in_transit", promised_delivery_date=datetime.date(2026, 12, 7)
    )
    assert resolution.reportable_problems(shipped) == []
    with pytest.raises(CareError):
        resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    # The day after the promise it is due; a later date the detector expects moves that day.
    assert resolution.reportable_problems(shipped, today=datetime.date(2026, 12, 8)) == [
        PolicyKind.LOST_PARCEL
    ]
    shipment.expected_delivery_date = datetime.date(2026, 12, 9)
    shipment.save(update_fields=["expected_delivery_date"])
    assert resolution.reportable_problems(shipped, today=datetime.date(2026, 12, 8)) == []
    # A carrier exception, or "delivered" the customer denies, can be reported at once.
    shipment.status = "exception"
    shipment.save(update_fields=["status"])
    assert resolution.reportable_problems(shipped) == [PolicyKind.LOST_PARCEL]
    shipment.status = "delivered"
    shipment.save(update_fields=["status"])
    assert resolution.reportable_problems(shipped) == [PolicyKind.LOST_PARCEL, PolicyKind.DAMAGED]
    resolution.report_problem(case, shipped, PolicyKind.LOST_PARCEL)
    assert resolution.reportable_problems(shipped) == [PolicyKind.DAMAGED]
