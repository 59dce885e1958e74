"""A compensation rule the customer could not redeem, or that gives away more than it should, is
refused with the reason, in the admin and through care.compensation.add_rule."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from premura.care.compensation import add_rule
from premura.care.models import Compensation, CompensationRule

NOTHING = Compensation.NOTHING


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"compensation": Compensation.COUPON_PERCENT, "value": Decimal("150")}, "value"),
        ({"compensation": Compensation.COUPON_PERCENT, "value": Decimal("0")}, "value"),
        ({"compensation": Compensation.COUPON_AMOUNT, "value": Decimal("-5")}, "value"),
        ({"compensation": Compensation.PARTIAL_REFUND, "value": Decimal("0")}, "value"),
        ({"compensation": Compensation.FREE_SHIPPING, "value": Decimal("3")}, "value"),
        ({"compensation": Compensation.NOTHING, "same_category": True}, "same_category"),
        ({"compensation": NOTHING, "min_order_total": 80, "max_order_total": 50}, "max_order_total"),
        ({"compensation": Compensation.NOTHING, "min_order_total": Decimal("-1")}, "min_order_total"),
        ({"compensation": Compensation.FREE_SHIPPING, "valid_days": 0}, "valid_days"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused_with_its_reason(db, fields, field):
    with pytest.raises(ValidationError) as refused:
        add_rule(name="bad", **fields)
    assert field in refused.value.message_dict
    assert not CompensationRule.objects.exists()


def test_a_sensible_rule_is_kept(db):
    rule = add_rule(
        name="10% sulla stessa categoria",
        compensation=Compensation.COUPON_PERCENT,
        value=Decimal("10"),
        same_category=True,
        min_order_total=Decimal("20"),
        max_order_total=Decimal("500"),
    )
    assert CompensationRule.objects.get() == rule


def test_the_admin_refuses_a_coupon_of_more_than_the_whole_price(client, admin):
    client.force_login(admin.user)
    form = {
        "position": "0",
        "name": "Troppo",
        "is_active": "on",
        "situation": "",
        "compensation": Compensation.COUPON_PERCENT,
        "value": "500",
        "valid_days": "90",
    }
    page = client.post("/admin/care/compensationrule/add/", form)
    assert page.status_code == 200  # the form again, with the reason
    assert "at most 100" in page.content.decode() or "al massimo 100" in page.content.decode()
    assert not CompensationRule.objects.exists()
    form["value"] = "50"
    assert client.post("/admin/care/compensationrule/add/", form).status_code == 302
    assert CompensationRule.objects.get().value == Decimal("50")
