"""How the portal says things to a customer: statuses in plain words.

The models' own labels are written for agents ("Waiting on bank", "Captured"); a customer reads
what it means for them.
"""

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from premura.commerce.models import Payment, PaymentMethod, PaymentState
from premura.conversations.models import Case, CaseStatus
from premura.core.models import Channel
from premura.shipping.models import Shipment, TrackingStatus

register = template.Library()

CASE_STATUS_WORDS = {
    CaseStatus.NEW: _("Received: we will answer soon"),
    CaseStatus.OPEN: _("We are working on it"),
    CaseStatus.WAITING_ON_CUSTOMER: _("Waiting for your reply"),
    CaseStatus.WAITING_ON_CARRIER: _("Waiting for the carrier"),
    CaseStatus.WAITING_ON_BANK: _("Waiting for the bank"),
    CaseStatus.SOLVED: _("Solved"),
    CaseStatus.CLOSED: _("Closed"),
}

SHIPMENT_STATUS_WORDS = {
    TrackingStatus.PENDING: _("Waiting for the carrier to pick it up"),
    TrackingStatus.INFO_RECEIVED: _("The carrier has the shipment details"),
    TrackingStatus.IN_TRANSIT: _("On its way"),
    TrackingStatus.OUT_FOR_DELIVERY: _("Out for delivery today"),
    TrackingStatus.AVAILABLE_FOR_PICKUP: _("Ready for you to pick up"),
    TrackingStatus.ATTEMPT_FAIL: _("The carrier could not deliver it"),
    TrackingStatus.EXCEPTION: _("There is a problem with the delivery"),
    TrackingStatus.EXPIRED: _("Tracking is no longer available"),
    TrackingStatus.DELIVERED: _("Delivered"),
}

PAYMENT_STATE_WORDS = {
    PaymentState.PENDING: _("Payment not yet received"),
    PaymentState.AUTHORIZED: _("Amount authorised, not yet charged"),
    PaymentState.CAPTURED: _("Paid"),
    PaymentState.VOIDED: _("Authorisation cancelled: nothing was charged"),
    PaymentState.PARTIALLY_REFUNDED: _("Partly refunded"),
    PaymentState.REFUNDED: _("Refunded"),
    PaymentState.FAILED: _("Payment failed"),
}


@register.filter
def case_status_words(case: Case) -> str:
    return CASE_STATUS_WORDS.get(case.status, case.get_status_display())


@register.filter
def case_title(case: Case) -> str:
    """The case's name as the customer reads it: its subject when the customer wrote it. For a
    case the desk opened for them (a phone call) the subject is the desk's own words, so the
    customer reads the contact reason, else "Phone call of 3 December"."""
    if not case.is_subject_internal:
        return case.subject
    if case.reason:
        return case.get_reason_display()
    day = formats.date_format(timezone.localtime(case.created_at), "j F")
    if case.channel == Channel.PHONE:
        return gettext("Phone call of %(date)s") % {"date": day}
    return gettext("Request of %(date)s") % {"date": day}


@register.filter
def shipment_status_words(shipment: Shipment) -> str:
    return SHIPMENT_STATUS_WORDS.get(shipment.status, shipment.get_status_display())


@register.filter
def payment_state_words(payment: Payment) -> str:
    if payment.state == PaymentState.AUTHORIZED and payment.method == PaymentMethod.CARD:
        return _("Amount authorised on the card")
    return PAYMENT_STATE_WORDS.get(payment.state, payment.get_state_display())
