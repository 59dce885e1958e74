"""The shop's compensation table applied to one incident: the first matching rule decides, and
its grant is recorded once (docs/architecture.md, "Care: compensation")."""

import datetime
import secrets
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction

from premura.care.models import CODED, Approval, Compensation, CompensationRule, Grant, Incident
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
    matches). A second call returns the grant already recorded."""
    existing = Grant.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    order = incident.shipment.order
    rule = matching_rule(
        CompensationRule.objects.all(),
        situation=incident.situation,
        order_total=order.total,
        delay_days=delay_days(incident),
    )
    if rule is None:
        return None
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
    while True:
        grant.code = new_code() if rule.compensation in CODED else ""
        try:
            with transaction.atomic():
                grant.save()
            return grant
        except IntegrityError:
            if Grant.objects.filter(incident=incident).exists():
                return Grant.objects.get(incident=incident)
            # The one-in-2^56 clash with another code: draw again.
