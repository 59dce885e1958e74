"""The shop's compensation table applied to one incident: the first matching rule decides, and
its grant is recorded once (docs/architecture.md, "Care: compensation")."""

import datetime
import secrets
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from premura.care.models import CODED, Approval, Compensation, CompensationRule, Grant, Incident
from premura.commerce import services as commerce
from premura.commerce.exceptions import OrderError
from premura.commerce.models import Coupon, CouponKind
from premura.core import clock

# Codes customers type: no 0/O, 1/I/L, 5/S, 2/Z, 8/B. 12 of 26 symbols: about 56 bits.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4


def new_code() -> str:
    """An unguessable coupon code, in groups of four: "K7QM-RX3T-WAJC"."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def add_rule(**fields) -> CompensationRule:
    """A new row of the compensation table, validated as the admin validates it (ValidationError
    with the reasons); for loaders and scripts."""
    rule = CompensationRule(**fields)
    rule.full_clean()
    rule.save()
    return rule


def matching_rule(
    rules: Iterable[CompensationRule], *, situation: str, order_total: Decimal, delay_days: int
) -> CompensationRule | None:
    """The first active rule (in the order given) whose conditions all hold, or None."""
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.situation and rule.situation != situation:
            continue
        if rule.min_order_total is not None and order_total < rule.min_order_total:
            continue
        if rule.max_order_total is not None and order_total >= rule.max_order_total:
            continue
        if rule.min_delay_days is not None and delay_days < rule.min_delay_days:
            continue
        return rule
    return None


def delay_days(incident: Incident) -> int:
    """Days between the promised date and the expected (or actual) delivery; 0 when unknown."""
    shipment = incident.shipment
    arrived = shipment.delivered_at.date() if shipment.delivered_at else incident.expected_date
    if not arrived or not shipment.promised_delivery_date:
        return 0
    return max((arrived - shipment.promised_delivery_date).days, 0)


def delayed_category(incident: Incident) -> str:
    """The category of the order's most valuable line that has one (the delayed item)."""
    line = incident.shipment.order.lines.exclude(category="").order_by("-total", "pk").first()
    return line.category if line else ""


def grant_for(incident: Incident) -> Grant | None:
    """Record what the shop's table grants for `incident`, once; return it (None when no rule
    matches). A second call returns the grant already recorded.

    A coupon or free shipping is made on the order's shop when it takes actions from Premura
    (`coupon_on_platform`: its code comes from there, and the customer gets it in a confirmation
    once it is made); otherwise it gets a code of ours, which the shop loads (`export_grants`)."""
    # No look for a grant first: the incident is nearly always new, and the unique incident finds
    # one recorded already (below).
    order = incident.shipment.order
    rule = matching_rule(
        CompensationRule.objects.all(),
        situation=incident.situation,
        order_total=order.total,
        delay_days=delay_days(incident),
    )
    if rule is None:
        return Grant.objects.filter(incident=incident).first()  # one the table gave before
    today = clock.now().date()
    grant = Grant(
        incident=incident,
        rule=rule,
        rule_name=rule.name,
        compensation=rule.compensation,
        value=rule.value,
        currency=order.currency,
        category=delayed_category(incident) if rule.same_category else "",
        expires_on=today + datetime.timedelta(days=rule.valid_days) if rule.compensation in CODED else None,
        # A partial refund waits for an agent (care.parcel.approve_refund).
        approval=Approval.AWAITING if rule.compensation == Compensation.PARTIAL_REFUND else "",
        created_at=clock.now(),
    )
    on_platform = takes_coupons(grant)
    while True:
        grant.code = new_code() if rule.compensation in CODED and not on_platform else ""
        try:
            with transaction.atomic():
                grant.save()
            break
        except IntegrityError:
            if Grant.objects.filter(incident=incident).exists():
                return Grant.objects.get(incident=incident)
            # The one-in-2^56 clash with another code: draw again.
    if on_platform:
        coupon_on_platform(grant)
    return grant


def takes_coupons(grant: Grant) -> bool:
    """Whether the grant is a coupon the order's shop makes itself: a coded compensation, a shop
    that takes actions from Premura, and a coupon its bounds allow (else our own code, as
    before, rather than no compensation)."""
    order = grant.incident.shipment.order
    if grant.compensation not in CODED or not order.external_id or commerce.shop_connection(order) is None:
        return False
    try:
        commerce.check_coupon(
            order,
            kind=COUPON_KINDS[grant.compensation],
            value=grant.value,
            category=grant.category,
            expires_on=grant.expires_on,
        )
    except OrderError:
        return False
    return True


# A coded compensation as a coupon on the shop's platform.
COUPON_KINDS = {
    Compensation.COUPON_PERCENT: CouponKind.PERCENTAGE,
    Compensation.COUPON_AMOUNT: CouponKind.AMOUNT,
    Compensation.FREE_SHIPPING: CouponKind.FREE_SHIPPING,
}


def coupon_key(grant: Grant) -> str:
    """The coupon's idempotency key: one grant, one coupon on the shop (as `parcel.refund_key`)."""
    return f"care-grant-coupon-{grant.pk}"


def coupon_on_platform(grant: Grant) -> Coupon:
    """Ask the order's shop for the grant's coupon (commerce.create_coupon, keyed by the grant, for
    the incident's case, whose customer is told its code once it is made) and link it to the
    grant. Asked already: the same coupon."""
    incident = grant.incident
    order = incident.shipment.order
    coupon = commerce.create_coupon(
        order,
        kind=COUPON_KINDS[grant.compensation],
        value=grant.value,
        idempotency_key=coupon_key(grant),
        reason=_("Apology for the delivery of order %(number)s") % {"number": order.number},
        case=incident.case,
        category=grant.category,
        expires_on=grant.expires_on,
    )
    if grant.coupon_id != coupon.pk:
        grant.coupon = coupon
        grant.save(update_fields=["coupon"])
    return coupon
