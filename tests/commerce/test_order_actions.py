"""Coupons, re-shipments and address changes through the Shopify connector against the fake shop
(decision 0031): the row first, the platform call in a task, the state from its answer; one
platform object for a double click, a retried job or an outage; a refused action leaves no row
and makes no call; a platform's refusal is shown with its words."""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import translation

from premura.commerce import services, submission
from premura.commerce.connectors.base import key_marker
from premura.commerce.connectors.shopify import coupon_code
from premura.commerce.exceptions import OrderError
from premura.commerce.models import (
    ActionStatus,
    AddressChange,
    Coupon,
    CouponKind,
    OrderStatus,
    Reshipment,
)
from premura.commerce.services import ShippingAddress
from premura.core import clock
from premura.core.models import AuditEvent
from tests.commerce.shop import shop_order
from tests.factories.commerce import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

NEW_ADDRESS = ShippingAddress(
    name="Anna Colombo", street="Corso Buenos Aires 12", postcode="20124", city="Milano", province="MI"
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def order(shopify, shop_connection, customer):
    order = shop_order(shopify, customer)
    order.lines.update(category="Cucina")
    return order


def later(minutes: float) -> datetime.datetime:
    return clock.now() + datetime.timedelta(minutes=minutes)


def in_days(days: int) -> datetime.date:
    return clock.now().date() + datetime.timedelta(days=days)


def events(order) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_id=order.pk).order_by("pk").values_list("action", flat=True)
    )


# --- coupons ------------------------------------------------------------------------------------


def test_a_percentage_coupon_on_a_category_is_made_once_on_the_platform(
    order, shopify, agent, django_capture_on_commit_callbacks
):
    collection = shopify.add_collection("Cucina")
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(
            order,
            kind=CouponKind.PERCENTAGE,
            value=Decimal("15"),
            idempotency_key="cp-1",
            actor=agent.user,
            reason="Late delivery",
            category="Cucina",
            expires_on=in_days(60),
        )
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.DONE and coupon.completed_at is not None
    assert coupon.code == coupon_code("cp-1") and coupon.attempts == 1
    (rule,) = shopify.price_rules
    assert (rule["value_type"], rule["value"], rule["target_type"], rule["allocation_method"]) == (
        "percentage",
        "-15.00",
        "line_item",
        "each",
    )
    assert rule["target_selection"] == "entitled" and rule["entitled_collection_ids"] == [collection]
    assert rule["usage_limit"] == 1 and rule["once_per_customer"] is True
    assert rule["ends_at"].startswith(in_days(60).isoformat() + "T23:59:59")
    (code,) = shopify.discount_codes
    assert code["code"] == coupon.code and code["price_rule_id"] == rule["id"]
    assert events(order) == ["coupon.requested", "coupon.done"]
    requested = AuditEvent.objects.get(action="coupon.requested")
    assert requested.actor == agent.user
    assert requested.data["value"] == "15.00" and requested.data["kind"] == "percentage"
    assert requested.data["expires_on"] == in_days(60).isoformat()


def test_free_shipping_is_a_full_discount_on_the_shipping_line(
    order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(
            order, kind=CouponKind.FREE_SHIPPING, value=0, idempotency_key="cp-2", reason="Sorry"
        )
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.DONE
    (rule,) = shopify.price_rules
    assert (rule["target_type"], rule["value_type"], rule["value"], rule["target_selection"]) == (
        "shipping_line",
        "percentage",
        "-100.0",
        "all",
    )
    assert "ends_at" not in rule


def test_an_amount_coupon_is_a_fixed_amount_across_the_order(
    order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.create_coupon(order, kind=CouponKind.AMOUNT, value="7.5", idempotency_key="cp-3")
    (rule,) = shopify.price_rules
    assert (rule["value_type"], rule["value"], rule["allocation_method"]) == (
        "fixed_amount",
        "-7.50",
        "across",
    )
    assert Coupon.objects.get().value == Decimal("7.50") and Coupon.objects.get().currency == "EUR"


def test_a_double_submission_makes_one_coupon(order, shopify, django_capture_on_commit_callbacks):
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            coupon = services.create_coupon(order, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-4")
    assert Coupon.objects.count() == 1 and coupon.pk == Coupon.objects.get().pk
    assert len(shopify.price_rules) == 1 and len(shopify.discount_codes) == 1
    with pytest.raises(OrderError, match="used for another action"):
        services.create_coupon(order, kind=CouponKind.AMOUNT, value=6, idempotency_key="cp-4")


def test_a_retried_job_after_the_platform_made_the_coupon_makes_no_second(
    order, shopify, django_capture_on_commit_callbacks
):
    crash = mock.patch.object(services, "mark_action_done", side_effect=RuntimeError("worker killed"))
    with crash, django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(order, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-5")
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.REQUESTED and len(shopify.discount_codes) == 1
    with clock.frozen_at(later(5)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.DONE and coupon.code == shopify.discount_codes[0]["code"]
    assert len(shopify.posts("price_rules.json")) == 1 and len(shopify.discount_codes) == 1


def test_a_rule_made_before_an_outage_gets_its_code_on_the_next_attempt(
    order, shopify, django_capture_on_commit_callbacks
):
    shopify.fail_next("POST", "discount_codes.json", 503, body={"errors": "Service Unavailable"})
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(order, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-6")
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.REQUESTED and coupon.error == "Service Unavailable"
    assert submission.submit_due_actions() == 0  # not due yet
    with clock.frozen_at(later(1)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.DONE and coupon.attempts == 2
    assert len(shopify.price_rules) == 1 and len(shopify.discount_codes) == 1


def test_a_throttled_coupon_waits_as_long_as_the_platform_asks(
    order, shopify, django_capture_on_commit_callbacks
):
    shopify.fail_next(
        "POST",
        "price_rules.json",
        429,
        body={"errors": "Exceeded 2 calls per second for api client."},
        headers={"Retry-After": "120.0"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(order, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-7")
    coupon.refresh_from_db()
    assert coupon.next_attempt_at >= clock.now() + datetime.timedelta(seconds=110)
    with clock.frozen_at(later(1)):
        assert submission.submit_due_actions() == 0
    with clock.frozen_at(later(3)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    assert Coupon.objects.get().status == ActionStatus.DONE and len(shopify.price_rules) == 1


def test_a_category_the_shop_has_no_collection_for_fails_with_a_clear_message(
    order, shopify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(
            order, kind=CouponKind.PERCENTAGE, value=10, idempotency_key="cp-8", category="Cucina"
        )
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.FAILED
    assert coupon.error.startswith("Shopify has no collection named 'Cucina'")
    assert shopify.price_rules == [] and "coupon.failed" in events(order)
    with clock.frozen_at(later(120)):
        assert submission.submit_due_actions() == 0


def test_a_refusal_by_the_platform_is_kept_with_its_words(order, shopify, django_capture_on_commit_callbacks):
    shopify.fail_next("POST", "price_rules.json", 422, body={"errors": {"value": ["must be less than 0"]}})
    with django_capture_on_commit_callbacks(execute=True):
        coupon = services.create_coupon(order, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-9")
    coupon.refresh_from_db()
    assert coupon.status == ActionStatus.FAILED and coupon.error == "value: must be less than 0"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": CouponKind.PERCENTAGE, "value": 0}, "takes a percentage from 1 to 100"),
        ({"kind": CouponKind.PERCENTAGE, "value": 101}, "takes a percentage from 1 to 100"),
        ({"kind": CouponKind.AMOUNT, "value": 0}, "takes an amount of at least €0.01"),
        ({"kind": CouponKind.AMOUNT, "value": "NaN"}, "is not a number"),
        ({"kind": CouponKind.AMOUNT, "value": "cinque"}, "is not a number"),
        ({"kind": CouponKind.FREE_SHIPPING, "value": 3}, "takes no value"),
        ({"kind": "gift", "value": 3}, "Unknown coupon kind"),
        ({"kind": CouponKind.AMOUNT, "value": 5, "category": "Giardino"}, "no product in the category"),
        ({"kind": CouponKind.AMOUNT, "value": 5, "expires_on": "today"}, "must expire after today"),
        ({"kind": CouponKind.AMOUNT, "value": 5, "expires_on": 366}, "within 365 days"),
    ],
)
def test_a_refused_coupon_leaves_no_row_and_makes_no_call(order, shopify, fields, message):
    if fields.get("expires_on") == "today":
        fields["expires_on"] = in_days(0)
    elif isinstance(fields.get("expires_on"), int):
        fields["expires_on"] = in_days(fields["expires_on"])
    with pytest.raises(OrderError, match=re.escape(message)):
        services.create_coupon(order, idempotency_key="cp-bad", **fields)
    assert Coupon.objects.count() == 0 and shopify.requests == [] and events(order) == []


def test_an_unconnected_shop_s_order_gets_no_coupon(shopify, shop_connection, customer):
    manual = OrderFactory(customer=customer)
    OrderLineFactory(order=manual)
    with pytest.raises(OrderError, match="do it in the shop's back office"):
        services.create_coupon(manual, kind=CouponKind.AMOUNT, value=5, idempotency_key="cp-10")
    assert Coupon.objects.count() == 0 and shopify.requests == []


# --- re-shipments -------------------------------------------------------------------------------


def test_a_reshipment_is_a_free_replacement_order_made_once(
    order, shopify, agent, django_capture_on_commit_callbacks
):
    order.status = OrderStatus.SHIPPED
    order.save()
    with django_capture_on_commit_callbacks(execute=True):
        reshipment = services.reship(order, idempotency_key="rs-1", actor=agent.user, reason="Parcel lost")
    reshipment.refresh_from_db()
    line = order.lines.get()
    assert reshipment.lines == [{"sku": line.sku, "quantity": 1}]
    assert reshipment.status == ActionStatus.DONE
    (made,) = shopify.made_orders()
    assert reshipment.replacement_number == made["name"] == "#1002"
    (draft,) = shopify.draft_orders
    original = shopify.orders["450789469"]
    assert draft["line_items"] == [{"variant_id": original["line_items"][0]["variant_id"], "quantity": 1}]
    assert (
        draft["applied_discount"]["value_type"] == "percentage"
        and draft["applied_discount"]["value"] == "100.0"
    )
    assert draft["shipping_line"]["price"] == "0.00"
    assert draft["shipping_address"] == original["shipping_address"]
    assert draft["customer"] == {"id": original["customer"]["id"]}
    assert draft["note"] == f"Parcel lost {key_marker('rs-1')}" and draft["status"] == "completed"
    assert made["financial_status"] == "paid"
    assert shopify.posts("complete.json", method="PUT") == [None]
    assert events(order) == ["reshipment.requested", "reshipment.done"]


def test_a_retried_reshipment_finds_its_draft_and_makes_no_second_order(
    order, shopify, django_capture_on_commit_callbacks
):
    # The draft is made, then Shopify fails to complete it: the next attempt completes that draft.
    shopify.fail_next("PUT", "complete.json", 502, body={"errors": "Bad Gateway"})
    with django_capture_on_commit_callbacks(execute=True):
        reshipment = services.reship(order, idempotency_key="rs-2", reason="Lost")
    reshipment.refresh_from_db()
    assert reshipment.status == ActionStatus.REQUESTED and reshipment.error == "Bad Gateway"
    assert len(shopify.draft_orders) == 1 and shopify.made_orders() == []
    # Then a worker dies after Shopify made the order: the sweeper finds the completed draft.
    crash = mock.patch.object(services, "mark_action_done", side_effect=RuntimeError("worker killed"))
    with crash, clock.frozen_at(later(1)), pytest.raises(RuntimeError):
        submission.submit_due_actions()
    assert len(shopify.made_orders()) == 1
    with clock.frozen_at(later(5)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    reshipment.refresh_from_db()
    assert reshipment.status == ActionStatus.DONE and reshipment.attempts == 3
    assert len(shopify.draft_orders) == 1 and len(shopify.made_orders()) == 1
    assert len(shopify.posts("draft_orders.json")) == 1


def test_a_double_submission_reships_once(order, shopify, django_capture_on_commit_callbacks):
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.reship(order, idempotency_key="rs-3")
    assert Reshipment.objects.count() == 1 and len(shopify.made_orders()) == 1
    # Another key for the same order: it was sent again already.
    with pytest.raises(OrderError, match=r"was already sent again \(#1002\)"):
        services.reship(order, idempotency_key="rs-4")


def test_a_reshipment_of_a_product_the_shop_does_not_know_fails_with_its_reason(
    order, shopify, django_capture_on_commit_callbacks
):
    shopify.orders["450789469"]["line_items"] = []
    with django_capture_on_commit_callbacks(execute=True):
        reshipment = services.reship(order, idempotency_key="rs-5")
    reshipment.refresh_from_db()
    assert reshipment.status == ActionStatus.FAILED
    assert "has no product variant with the SKU" in reshipment.error
    assert shopify.draft_orders == []
    # A failed one does not stand in the way of another try.
    shopify.add_order("450789469", amount="54.90", captured=True, skus=(order.lines.get().sku,))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reship(order, idempotency_key="rs-6").status == ActionStatus.REQUESTED
    assert Reshipment.objects.get(idempotency_key="rs-6").status == ActionStatus.DONE


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Choose at least one product"),
        ([{"sku": "NOPE", "quantity": 1}], "The order has no product NOPE"),
        ([{"sku": "{sku}", "quantity": 2}], "Send again from 1 to 1 of"),
        ([{"sku": "{sku}", "quantity": 0}], "Send again from 1 to 1 of"),
        ([{"sku": "{sku}", "quantity": "1"}], "Send again from 1 to 1 of"),
        ([{"sku": "{sku}", "quantity": 1}, {"sku": "{sku}", "quantity": 1}], "is listed twice"),
    ],
)
def test_refused_reshipment_lines_leave_no_row_and_make_no_call(order, shopify, lines, message):
    sku = order.lines.get().sku
    lines = [{**line, "sku": line["sku"].format(sku=sku)} for line in lines]
    with pytest.raises(OrderError, match=re.escape(message)):
        services.reship(order, idempotency_key="rs-bad", lines=lines)
    assert Reshipment.objects.count() == 0 and shopify.requests == []


def test_a_cancelled_order_is_not_sent_again(shopify, shop_connection, customer):
    order = shop_order(shopify, customer, status=OrderStatus.CANCELLED)
    with pytest.raises(OrderError, match="is cancelled: it cannot be sent again"):
        services.reship(order, idempotency_key="rs-7")
    assert Reshipment.objects.count() == 0 and shopify.requests == []


# --- address changes ----------------------------------------------------------------------------


def test_an_address_change_before_shipment_reaches_the_platform_and_the_order(
    order, shopify, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = services.change_address(
            order, address=NEW_ADDRESS, idempotency_key="ad-1", actor=agent.user, reason="Moved"
        )
    change.refresh_from_db()
    order.refresh_from_db()
    assert change.status == ActionStatus.DONE
    assert (order.shipping_street, order.shipping_postcode, order.shipping_city) == (
        "Corso Buenos Aires 12",
        "20124",
        "Milano",
    )
    (body,) = shopify.posts("orders/450789469.json", method="PUT")
    assert body["order"]["shipping_address"] == {
        "first_name": "Anna",
        "last_name": "Colombo",
        "name": "Anna Colombo",
        "address1": "Corso Buenos Aires 12",
        "zip": "20124",
        "city": "Milano",
        "province_code": "MI",
        "country_code": "IT",
    }
    assert shopify.orders["450789469"]["shipping_address"]["address1"] == "Corso Buenos Aires 12"
    assert events(order) == ["address_change.requested", "order.address_changed", "address_change.done"]
    moved = AuditEvent.objects.get(action="order.address_changed")
    assert (
        moved.data["old"]["street"] == "Via Roma 1" and moved.data["new"]["street"] == "Corso Buenos Aires 12"
    )


def test_an_address_change_survives_an_outage_and_a_double_click(
    order, shopify, django_capture_on_commit_callbacks
):
    shopify.fail_next("PUT", "orders/450789469.json", 500)
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.change_address(order, address=NEW_ADDRESS, idempotency_key="ad-2")
    change = AddressChange.objects.get()
    assert change.status == ActionStatus.REQUESTED and change.error == "Internal Server Error"
    with clock.frozen_at(later(1)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    change.refresh_from_db()
    assert change.status == ActionStatus.DONE
    assert (
        len(shopify.posts("orders/450789469.json", method="PUT")) == 2
    )  # the failed one and the one that went


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED])
def test_an_order_on_its_way_or_cancelled_keeps_its_address(shopify, shop_connection, customer, status):
    order = shop_order(shopify, customer, status=status)
    with pytest.raises(OrderError, match="its delivery address can no longer change"):
        services.change_address(order, address=NEW_ADDRESS, idempotency_key="ad-3")
    assert AddressChange.objects.count() == 0 and shopify.requests == []


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (ShippingAddress(**{**vars(NEW_ADDRESS), "street": "Via Po 1\nBcc: x"}), "must be a single line"),
        (ShippingAddress(**{**vars(NEW_ADDRESS), "city": "  "}), "The new address needs a city"),
        (ShippingAddress(**{**vars(NEW_ADDRESS), "postcode": "2" * 17}), "longer than 16 characters"),
        (ShippingAddress(**{**vars(NEW_ADDRESS), "country": "ITA"}), "two-letter code"),
        (
            ShippingAddress(**{**vars(NEW_ADDRESS), "street": "Via Roma 1", "postcode": "20121"}),
            "already going",
        ),
    ],
)
def test_a_malformed_or_unchanged_address_is_refused(order, shopify, address, message):
    with pytest.raises(OrderError, match=re.escape(message)):
        services.change_address(order, address=address, idempotency_key="ad-4")
    assert AddressChange.objects.count() == 0 and shopify.requests == []


def test_the_platform_refuses_an_order_it_has_fulfilled(order, shopify, django_capture_on_commit_callbacks):
    shopify.orders["450789469"]["fulfillment_status"] = "fulfilled"
    with django_capture_on_commit_callbacks(execute=True):
        change = services.change_address(order, address=NEW_ADDRESS, idempotency_key="ad-5")
    change.refresh_from_db()
    order.refresh_from_db()
    assert change.status == ActionStatus.FAILED
    assert change.error == "Shopify has fulfilled the order already: the parcel has left"
    assert order.shipping_street == "Via Roma 1"
    assert shopify.posts("orders/450789469.json", method="PUT") == []


def test_a_replacement_the_platform_refuses_fails_with_its_words(
    order, shopify, django_capture_on_commit_callbacks
):
    shopify.fail_next(
        "POST", "draft_orders.json", 422, body={"errors": {"line_items": ["variant is out of stock"]}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        reshipment = services.reship(order, idempotency_key="rs-8")
    reshipment.refresh_from_db()
    assert (
        reshipment.status == ActionStatus.FAILED and reshipment.error == "line_items: variant is out of stock"
    )
    assert shopify.made_orders() == [] and "reshipment.failed" in events(order)


def test_a_retried_address_change_after_the_platform_had_it_changes_the_order_once(
    order, shopify, django_capture_on_commit_callbacks
):
    crash = mock.patch.object(services, "mark_action_done", side_effect=RuntimeError("worker killed"))
    with crash, django_capture_on_commit_callbacks(execute=True):
        change = services.change_address(order, address=NEW_ADDRESS, idempotency_key="ad-6")
    assert shopify.orders["450789469"]["shipping_address"]["address1"] == "Corso Buenos Aires 12"
    with clock.frozen_at(later(5)), django_capture_on_commit_callbacks(execute=True):
        assert submission.submit_due_actions() == 1
    change.refresh_from_db()
    order.refresh_from_db()
    assert change.status == ActionStatus.DONE and order.shipping_street == "Corso Buenos Aires 12"
    assert events(order).count("order.address_changed") == 1
