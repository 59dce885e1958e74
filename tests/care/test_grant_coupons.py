"""A coupon grant of an order from a shop that takes actions is made on the shop's platform
(commerce.Coupon keyed by the grant, decision 0031): no code of ours, nothing to export, the
customer told its code once the shop made it; a shop without actions keeps our own code."""

import datetime

from premura.care.export import coded_grants
from premura.care.models import Grant
from premura.channels.models import OutboundEmail, OutboundKind
from premura.commerce.models import ActionStatus, Coupon
from premura.core.clock import frozen_at
from premura.customers.models import Customer
from tests.care.conftest import PROMISED, ROME, signal

EXPECTED = PROMISED.replace(day=7)


def mails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk"))


def from_shopify(shipment, shopify) -> None:
    order = shipment.order
    order.source, order.external_id = "bottega", "450789469"
    order.save()
    shopify.add_order(
        "450789469", amount="89.00", captured=True, skus=tuple(order.lines.values_list("sku", flat=True))
    )


def test_a_coupon_grant_is_made_on_the_shop_and_its_code_sent_once(
    mailbox, shipment, coupon_rule, shopify, shop_connection, morning, django_capture_on_commit_callbacks
):
    from_shopify(shipment, shopify)
    collection = shopify.add_collection("Cucina")
    for _signal in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            signal(shipment, "predicted", EXPECTED)
    grant = Grant.objects.select_related("coupon").get()
    coupon = grant.coupon
    assert grant.code == "" and list(coded_grants()) == []
    assert coupon.idempotency_key == f"care-grant-coupon-{grant.pk}" and coupon.case == grant.incident.case
    assert (coupon.kind, coupon.value, coupon.category, coupon.expires_on) == (
        "percentage",
        10,
        "Cucina",
        grant.expires_on,
    )
    assert coupon.status == ActionStatus.DONE and grant.redeem_code == coupon.code
    (rule,) = shopify.price_rules
    assert rule["value"] == "-10.00" and rule["entitled_collection_ids"] == [collection]
    assert len(shopify.discount_codes) == 1 and Coupon.objects.count() == 1
    notice, confirmation = mails()
    assert "10% di sconto sul tuo prossimo ordine in Cucina" in notice.body_text
    assert "ti invieremo il codice per e-mail" in notice.body_text
    assert confirmation.subject.startswith(f"Il tuo coupon per l'ordine {shipment.order.number}")
    assert coupon.code in confirmation.body_text and "Cucina" in confirmation.body_text
    assert confirmation.case == grant.incident.case


def test_a_shop_that_takes_no_actions_keeps_our_own_code(
    mailbox, shipment, coupon_rule, shopify, shop_connection, morning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signal(shipment, "predicted", EXPECTED)
    grant = Grant.objects.get()
    assert grant.coupon is None and grant.code and list(coded_grants()) == [grant]
    (notice,) = mails()
    assert grant.code in notice.body_text
    assert shopify.requests == []


def test_a_grant_s_coupon_made_at_night_is_told_when_the_quiet_hours_end(
    mailbox, shipment, coupon_rule, customer, shopify, shop_connection, django_capture_on_commit_callbacks
):
    Customer.objects.filter(pk=customer.pk).update(
        quiet_hours_start=datetime.time(21, 0), quiet_hours_end=datetime.time(8, 0)
    )
    shipment.order.customer.refresh_from_db()
    from_shopify(shipment, shopify)
    shopify.add_collection("Cucina")
    with (
        frozen_at(datetime.datetime(2026, 12, 1, 22, 30, tzinfo=ROME)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        signal(shipment, "predicted", EXPECTED)
    assert Coupon.objects.get().status == ActionStatus.DONE
    end = datetime.datetime(2026, 12, 2, 8, 0, tzinfo=ROME)
    notice, confirmation = mails()
    assert notice.next_attempt_at == confirmation.next_attempt_at == end
