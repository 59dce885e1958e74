"""The compensation table: each branch of a rule, the first match wins, one grant per incident,
codes nobody can guess or misread, listed for export."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from premura.care import compensation
from premura.care.compensation import CODE_ALPHABET, grant_for, matching_rule, new_code
from premura.care.models import Compensation, CompensationRule, Grant, Incident, Situation
from tests.care.conftest import PROMISED


def rule(**fields) -> CompensationRule:
    return CompensationRule(**{"name": "r", "compensation": Compensation.NOTHING, **fields})


def match(rules, *, situation=Situation.PREDICTED, total="50.00", delay=2):
    return matching_rule(rules, situation=situation, order_total=Decimal(total), delay_days=delay)


def test_a_rule_without_conditions_matches_anything():
    anything = rule()
    assert match([anything]) is anything


def test_the_situation_must_be_the_rule_s_when_it_names_one():
    lost_only = rule(situation=Situation.LOST)
    assert match([lost_only]) is None
    assert match([lost_only], situation=Situation.LOST) is lost_only


def test_the_order_total_is_from_the_minimum_included_to_the_maximum_excluded():
    band = rule(min_order_total=Decimal("50"), max_order_total=Decimal("100"))
    assert match([band], total="49.99") is None
    assert match([band], total="50.00") is band
    assert match([band], total="99.99") is band
    assert match([band], total="100.00") is None


def test_the_delay_must_reach_the_rule_s_days():
    long_delay = rule(min_delay_days=3)
    assert match([long_delay], delay=2) is None
    assert match([long_delay], delay=3) is long_delay


def test_an_inactive_rule_is_skipped():
    off, on = rule(is_active=False), rule()
    assert match([off, on]) is on


def test_the_first_matching_rule_wins_even_when_it_grants_nothing():
    nothing = rule(min_delay_days=5)
    coupon = rule(compensation=Compensation.COUPON_AMOUNT)
    assert match([nothing, coupon], delay=5) is nothing
    assert match([nothing, coupon], delay=4) is coupon


def test_no_rule_matching_means_no_grant(shipment):
    incident = Incident.objects.create(shipment=shipment, situation=Situation.PREDICTED)
    CompensationRule.objects.create(
        name="big orders", min_order_total=1000, compensation=Compensation.FREE_SHIPPING
    )
    assert grant_for(incident) is None and not Grant.objects.exists()


@pytest.mark.parametrize(
    ("kind", "value", "same_category", "coded", "category"),
    [
        (Compensation.COUPON_PERCENT, "10", True, True, "Cucina"),
        (Compensation.COUPON_AMOUNT, "5", False, True, ""),
        (Compensation.FREE_SHIPPING, "0", False, True, ""),
        (Compensation.PARTIAL_REFUND, "8.90", False, False, ""),
        (Compensation.NOTHING, "0", False, False, ""),
    ],
)
def test_each_compensation_is_recorded_once_per_incident(
    shipment, morning, kind, value, same_category, coded, category
):
    incident = Incident.objects.create(
        shipment=shipment, situation=Situation.PREDICTED, expected_date=PROMISED + datetime.timedelta(days=4)
    )
    CompensationRule.objects.create(
        position=2, name="second", compensation=Compensation.COUPON_PERCENT, value=50
    )  # never reached
    first = CompensationRule.objects.create(
        position=1,
        name="first",
        compensation=kind,
        value=Decimal(value),
        same_category=same_category,
        valid_days=30,
        min_delay_days=4,
    )
    grant = grant_for(incident)
    assert (grant.rule, grant.rule_name, grant.compensation, grant.value, grant.category) == (
        first,
        "first",
        kind,
        Decimal(value),
        category,
    )
    assert bool(grant.code) is coded
    assert grant.expires_on == (datetime.date(2026, 12, 31) if coded else None)
    assert grant_for(incident) == grant and Grant.objects.count() == 1


def test_the_delay_counts_from_the_promise_to_the_expected_or_actual_delivery(shipment):
    incident = Incident(shipment=shipment, situation=Situation.PREDICTED, expected_date=PROMISED)
    assert compensation.delay_days(incident) == 0
    incident.expected_date = PROMISED + datetime.timedelta(days=3)
    assert compensation.delay_days(incident) == 3
    shipment.delivered_at = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC)
    assert compensation.delay_days(incident) == 5


def test_codes_are_unguessable_and_have_no_ambiguous_characters():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 14 and code.count("-") == 2
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    assert not set("0O1IL5S2Z8B") & set(CODE_ALPHABET)


def test_the_codes_are_listed_for_export(shipment, morning, coupon_rule):
    incident = Incident.objects.create(shipment=shipment, situation=Situation.STALLED)
    grant = grant_for(incident)
    out = io.StringIO()
    call_command("export_grants", stdout=out)
    header, row = out.getvalue().splitlines()
    assert header == "code,compensation,value,currency,category,expires_on,order,customer_email,rule"
    order = shipment.order
    assert row.split(",") == [
        grant.code,
        "coupon_percent",
        "10.00",
        "EUR",
        "Cucina",
        "2027-01-30",
        order.number,
        order.email,
        coupon_rule.name,
    ]


def test_the_export_never_hands_a_spreadsheet_a_formula(shipment, morning, coupon_rule):
    """The category comes from the shop's platform, the rule's name from an administrator."""
    line = shipment.order.lines.get(category="Cucina")
    line.category = '=HYPERLINK("http://evil.example","Cucina")'
    line.save()
    coupon_rule.name = "+SUM(1;2)"
    coupon_rule.save()
    grant_for(Incident.objects.create(shipment=shipment, situation=Situation.STALLED))
    out = io.StringIO()
    call_command("export_grants", stdout=out)
    row = next(csv.reader(io.StringIO(out.getvalue().splitlines()[1])))
    assert (row[4], row[8]) == ('\'=HYPERLINK("http://evil.example","Cucina")', "'+SUM(1;2)")
