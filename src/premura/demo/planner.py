"""Plans for the demo shop: everything decided in memory from one seed, before anything is written.

Each part of the shop draws from its own random stream (`substream`), so the same seed gives the
same shop and changing one part (or the hour of the load) does not reshuffle the others. The
plans are plain data: premura.demo.loader turns them into service calls, each at the planned
moment (premura.core.clock.frozen_at).
"""

import math
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from premura.commerce.models import OrderStatus, PaymentMethod, PaymentState, RefundStatus
from premura.conversations.models import CaseStatus, Priority
from premura.core.models import Channel
from premura.core.money import format_money
from premura.customers.models import Language, Tier
from premura.demo.corpus import (
    AGENT_GREETINGS,
    AGENT_SIGN_OFFS,
    CARRIER_PLACES,
    CARRIER_WEIGHTS,
    CARRIERS,
    CLOTHING_CATEGORY,
    COMPLAINTS,
    CUSTOMER_GREETINGS,
    CUSTOMER_NOTES,
    CUSTOMER_SIGN_OFFS,
    DEMO_AGENTS,
    DEMO_EMAIL_DOMAINS,
    ENGLISH_FEMALE,
    ENGLISH_MALE,
    ENGLISH_SURNAMES,
    ITALIAN_CITIES,
    ITALIAN_FEMALE,
    ITALIAN_MALE,
    ITALIAN_STREETS,
    ITALIAN_SURNAMES,
    NUDGES,
    PRODUCTS,
    RAW_EVENTS,
    SENT_FROM_PHONE,
    THANKS,
    TOPICS,
    TRACKING_NUMBER_FORMATS,
    UK_CITIES,
    UK_STREETS,
    DemoAgent,
    Topic,
    agent_signature,
    ascii_fold,
    date_text,
)
from premura.shipping.models import TrackingStatus

DEFAULT_SEED = 42
ROME = zoneinfo.ZoneInfo("Europe/Rome")
FIRST_ORDER_NUMBER = 100001
CARRIER_BY_CODE = {carrier[0]: carrier for carrier in CARRIERS}
AGENT_STEPS = frozenset({"ask", "hold", "solution"})
CUSTOMER_STEPS = frozenset({"open", "nudge", "answer", "thanks"})

KIND_STATUS = {
    "pending": TrackingStatus.PENDING,
    "label": TrackingStatus.INFO_RECEIVED,
    "pickup": TrackingStatus.IN_TRANSIT,
    "depart": TrackingStatus.IN_TRANSIT,
    "hub": TrackingStatus.IN_TRANSIT,
    "arrived": TrackingStatus.IN_TRANSIT,
    "ofd": TrackingStatus.OUT_FOR_DELIVERY,
    "attempt_fail": TrackingStatus.ATTEMPT_FAIL,
    "pickup_point": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "exception": TrackingStatus.EXCEPTION,
    "expired": TrackingStatus.EXPIRED,
    "delivered": TrackingStatus.DELIVERED,
}

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def add_business_days(day: date, days: int) -> date:
    """`day` moved forward by `days` working days (Monday to Friday)."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _business_days_between(start: date, end: date) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


def _local(day: date, at: time) -> datetime:
    """A Rome wall-clock time, in UTC so that adding hours to it is exact across DST changes."""
    return datetime.combine(day, at, tzinfo=ROME).astimezone(UTC)


def _at(rng: random.Random, day: date, from_hour: float, to_hour: float) -> datetime:
    """A random Rome local time on `day` between two hours."""
    minute = rng.randint(round(from_hour * 60), round(to_hour * 60))
    return _local(day, time(minute // 60, minute % 60))


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.randint(round(low * 60), round(high * 60)))


def _fit(times: list[datetime], origin: datetime, now: datetime, rng: random.Random) -> list[datetime]:
    """Squeeze a timeline starting after `origin` so that it ends before `now`, keeping its order."""
    if not times or times[-1] <= now - timedelta(minutes=2):
        return times
    target = now - timedelta(minutes=rng.randint(3, 90))
    if target <= origin:
        target = origin + (now - origin) * 0.9
    span = times[-1] - origin
    factor = (target - origin) / span if span > timedelta(0) else 0.0
    return [origin + (t - origin) * factor for t in times]


def _working_time(rng: random.Random, at: datetime) -> datetime:
    """`at`, or the start of the next working window (Monday to Saturday, 8:30 to 19:00) if outside one."""
    local = at.astimezone(ROME)
    if local.weekday() < 6 and time(8, 30) <= local.time() < time(19):
        return at
    day = local.date() + timedelta(days=1) if local.time() >= time(19) else local.date()
    while day.weekday() == 6:
        day += timedelta(days=1)
    return _at(rng, day, 8.5, 10.5)


def _date_text(day: date, language: str) -> str:
    return date_text(day.year, day.month, day.day, language)


def substream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one part of the shop, so that changing one part (or the hour
    of the load) does not reshuffle the others."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _weighted(rng: random.Random, table: dict[Any, float]) -> Any:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


# --------------------------------------------------------------------------------------------
# The plans
# --------------------------------------------------------------------------------------------


@dataclass
class Person:
    """A customer to create, with the identities and address their orders use."""

    first_name: str
    full_name: str
    email: str
    phone: str
    street: str
    postcode: str
    city: str
    province: str
    country: str
    language: str
    preferred_channel: str
    time_zone: str
    quiet_hours: tuple[time, time] | None
    marketing_consent: bool
    tier: str
    notes: str
    created_at: datetime
    whatsapp: bool = False
    instagram: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class LinePlan:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class PaymentPlan:
    method: str
    state: str
    amount: Decimal
    provider: str = ""
    external_id: str = ""
    authorized_at: datetime | None = None
    captured_at: datetime | None = None
    voided_at: datetime | None = None


@dataclass(frozen=True)
class RefundPlan:
    amount: Decimal
    reason: str
    requested_by: str  # username of a demo agent
    created_at: datetime
    expected_arrival_at: datetime
    idempotency_key: str
    completed_at: datetime | None  # None while the money is on its way


@dataclass(frozen=True)
class EventPlan:
    occurred_at: datetime
    status: str
    raw_code: str
    raw_description: str
    location: str
    received_at: datetime


@dataclass
class ShipmentPlan:
    carrier_code: str
    tracking_number: str
    promised: date
    created_at: datetime
    events: list[EventPlan]
    estimated: date | None = None

    @property
    def last_event_at(self) -> datetime:
        return self.events[-1].occurred_at

    @property
    def delivered_at(self) -> datetime | None:
        last = self.events[-1]
        return last.occurred_at if last.status == TrackingStatus.DELIVERED else None


@dataclass
class OrderPlan:
    number: str
    person: Person
    status: str  # the order's status today
    placed_at: datetime
    lines: list[LinePlan]
    shipping_total: Decimal
    rng: random.Random
    method: str = PaymentMethod.CARD
    tracking: str | None = None  # the shipment's final tracking status, None when there is none
    late: bool = False
    cancelled_at: datetime | None = None
    shipment: ShipmentPlan | None = None
    payment: PaymentPlan | None = None
    refund: RefundPlan | None = None

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping_total

    @property
    def status_before_refund(self) -> str:
        """The status the order had when its refund was asked for (its status, without a refund)."""
        if self.refund is None:
            return self.status
        if self.shipment is None:
            return OrderStatus.PAID
        return OrderStatus.DELIVERED if self.shipment.delivered_at else OrderStatus.SHIPPED


@dataclass(frozen=True)
class MessagePlan:
    step: str  # open, nudge, answer, thanks (the customer); ask, hold, solution (an agent); note
    at: datetime
    body: str


@dataclass
class CasePlan:
    person: Person
    topic: Topic
    order: OrderPlan | None
    context: dict[str, str]
    subject: str
    status: str  # the case's status today
    priority: str
    channel: str
    created_at: datetime
    script: list[str] = field(default_factory=list)
    # Left in its team's queue; every other case gets its owner from the assignment rules when the
    # loader opens it (conversations.routing), so a returning customer meets their agent again.
    queued: bool = False
    author: DemoAgent | None = None  # who answers while the case has no owner: someone of the team
    messages: list[MessagePlan] = field(default_factory=list)
    seen_at: datetime | None = None  # when the owner first looked at it

    @property
    def language(self) -> str:
        return self.person.language


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def plan_customers(
    rng: random.Random,
    count: int,
    now: datetime,
    taken: dict[str, set[str]] | None = None,
) -> list[Person]:
    """`count` customers, about 65% Italian and 35% English, with unique identities.

    `taken` holds the e-mails, phones and handles already in the database (keys "email", "phone",
    "instagram"): the demo never collides with a real customer.
    """
    english = set(rng.sample(range(count), round(count * 0.35)))
    taken = taken or {}
    emails = set(taken.get("email", ()))
    phones = set(taken.get("phone", ()))
    handles = set(taken.get("instagram", ()))
    people = []
    for index in range(count):
        is_english = index in english
        in_uk = is_english and rng.random() < 0.4
        female = rng.random() < 0.55
        if is_english:
            first = rng.choice(ENGLISH_FEMALE if female else ENGLISH_MALE)
            last = rng.choice(ENGLISH_SURNAMES)
        else:
            first = rng.choice(ITALIAN_FEMALE if female else ITALIAN_MALE)
            last = rng.choice(ITALIAN_SURNAMES)
        full = f"{first} {last}"
        first_ascii, last_ascii = ascii_fold(first), ascii_fold(last)

        pattern = rng.randrange(4)
        local = [
            f"{first_ascii}.{last_ascii}",
            f"{first_ascii}{last_ascii}{rng.randint(70, 99)}",
            f"{first_ascii[0]}{last_ascii}",
            f"{last_ascii}.{first_ascii}",
        ][pattern]
        email = f"{local}@{rng.choice(DEMO_EMAIL_DOMAINS)}"
        while email in emails:
            email = f"{local}{rng.randint(1, 999)}@{rng.choice(DEMO_EMAIL_DOMAINS)}"
        emails.add(email)

        phone = ""
        if rng.random() < 0.7:
            while not phone or phone in phones:
                phone = (
                    f"+447{rng.randint(100000000, 999999999)}"
                    if in_uk
                    else f"+393{rng.randint(100000000, 999999999)}"
                )
            phones.add(phone)
        instagram = ""
        if rng.random() < 0.12:
            instagram = f"{first_ascii}.{last_ascii}{rng.randint(1, 99)}"
            while instagram in handles:
                instagram += str(rng.randint(0, 9))
            handles.add(instagram)
        has_whatsapp = bool(phone) and rng.random() < 0.4

        if in_uk:
            city, postcode = rng.choice(UK_CITIES)
            street, province, country = f"{rng.randint(1, 120)} {rng.choice(UK_STREETS)}", "", "GB"
        else:
            city, province, postcodes = rng.choice(ITALIAN_CITIES)
            postcode, country = rng.choice(postcodes), "IT"
            street = f"{rng.choice(ITALIAN_STREETS)} {rng.randint(1, 150)}"

        preferred = Channel.EMAIL
        roll = rng.random()
        if has_whatsapp and roll < 0.5:
            preferred = Channel.WHATSAPP
        elif instagram and roll < 0.3:
            preferred = Channel.INSTAGRAM
        elif phone and roll < 0.08:
            preferred = rng.choice([Channel.PHONE, Channel.SMS])
        quiet = None
        if rng.random() < 0.2:
            quiet = rng.choice([(time(21), time(8)), (time(22), time(7, 30)), (time(20, 30), time(9))])
        consent = rng.random() < 0.4
        tier = Tier.VIP if rng.random() < 0.05 else Tier.STANDARD
        notes = rng.choice(CUSTOMER_NOTES) if rng.random() < 0.05 else ""
        created_at = now - timedelta(days=rng.uniform(1, 900))
        weight = rng.choice([1, 1, 1, 1, 1, 2, 2, 3, 5]) * (3 if tier == Tier.VIP else 1)
        people.append(
            Person(
                first_name=first,
                full_name=full,
                email=email,
                phone=phone,
                street=street,
                postcode=postcode,
                city=city,
                province=province,
                country=country,
                language=Language.ENGLISH if is_english else Language.ITALIAN,
                preferred_channel=preferred,
                time_zone="Europe/London" if in_uk else "Europe/Rome",
                quiet_hours=quiet,
                marketing_consent=consent,
                tier=tier,
                notes=notes,
                created_at=created_at,
                whatsapp=has_whatsapp,
                instagram=instagram,
                weight=weight,
            )
        )
    return people


def customers_before_their_orders(
    rng: random.Random, people: list[Person], orders: list["OrderPlan"]
) -> None:
    """Move each customer's creation before their first order."""
    first_order: dict[int, datetime] = {}
    for plan in orders:
        key = id(plan.person)
        first_order[key] = min(first_order.get(key, plan.placed_at), plan.placed_at)
    for person in people:
        first = first_order.get(id(person))
        if first is not None and person.created_at > first:
            person.created_at = first - timedelta(days=rng.uniform(0, 400), minutes=rng.randint(1, 600))


# --------------------------------------------------------------------------------------------
# Orders, payments, shipments
# --------------------------------------------------------------------------------------------

ORDER_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 8, 8, 7, 7, 7, 8, 9, 10, 11, 10, 7, 3]

# Typical order age (days) for each tracking state: used to place the states the dice missed.
TYPICAL_AGE_DAYS = {
    TrackingStatus.PENDING: 0.3,
    TrackingStatus.INFO_RECEIVED: 0.8,
    TrackingStatus.IN_TRANSIT: 1.5,
    TrackingStatus.OUT_FOR_DELIVERY: 2.5,
    TrackingStatus.ATTEMPT_FAIL: 3.5,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 6,
    TrackingStatus.EXCEPTION: 12,
    TrackingStatus.EXPIRED: 50,
    TrackingStatus.DELIVERED: 20,
}


def pick_order_status(rng: random.Random, age_days: float) -> str:
    """An order status that fits how long ago the order was placed."""
    if age_days < 0.5:
        table = {OrderStatus.PENDING: 20, OrderStatus.PAID: 75, OrderStatus.CANCELLED: 5}
    elif age_days < 2:
        table = {
            OrderStatus.PENDING: 6,
            OrderStatus.PAID: 34,
            OrderStatus.SHIPPED: 50,
            OrderStatus.CANCELLED: 6,
            OrderStatus.DELIVERED: 4,
        }
    elif age_days < 5:
        table = {
            OrderStatus.PAID: 5,
            OrderStatus.SHIPPED: 50,
            OrderStatus.DELIVERED: 38,
            OrderStatus.CANCELLED: 4,
            OrderStatus.REFUNDED: 3,
        }
    elif age_days < 15:
        table = {
            OrderStatus.SHIPPED: 10,
            OrderStatus.DELIVERED: 75,
            OrderStatus.CANCELLED: 5,
            OrderStatus.REFUNDED: 10,
        }
    else:
        table = {
            OrderStatus.SHIPPED: 3,
            OrderStatus.DELIVERED: 79,
            OrderStatus.CANCELLED: 6,
            OrderStatus.REFUNDED: 12,
        }
    return _weighted(rng, table)


def pick_tracking_status(rng: random.Random, order_status: str, age_days: float) -> str | None:
    """The final tracking status of an order's shipment, or None when it has no shipment."""
    if order_status == OrderStatus.DELIVERED:
        return TrackingStatus.DELIVERED
    if order_status == OrderStatus.REFUNDED:
        if rng.random() < 0.45:
            return None  # refunded before it shipped
        return TrackingStatus.DELIVERED if rng.random() < 0.75 else TrackingStatus.EXCEPTION
    if order_status != OrderStatus.SHIPPED:
        return None
    S = TrackingStatus
    if age_days < 1:
        table = {S.PENDING: 20, S.INFO_RECEIVED: 50, S.IN_TRANSIT: 30}
    elif age_days < 3:
        table = {
            S.INFO_RECEIVED: 10,
            S.IN_TRANSIT: 55,
            S.OUT_FOR_DELIVERY: 20,
            S.ATTEMPT_FAIL: 8,
            S.AVAILABLE_FOR_PICKUP: 4,
            S.EXCEPTION: 3,
        }
    elif age_days < 10:
        table = {
            S.IN_TRANSIT: 30,
            S.OUT_FOR_DELIVERY: 5,
            S.ATTEMPT_FAIL: 15,
            S.AVAILABLE_FOR_PICKUP: 25,
            S.EXCEPTION: 25,
        }
    elif age_days < 40:
        table = {S.IN_TRANSIT: 10, S.ATTEMPT_FAIL: 10, S.AVAILABLE_FOR_PICKUP: 20, S.EXCEPTION: 50}
        if age_days > 33:
            table[S.EXPIRED] = 10
    else:
        table = {S.EXCEPTION: 40, S.EXPIRED: 50, S.AVAILABLE_FOR_PICKUP: 10}
    return _weighted(rng, table)


def cover_tracking_states(plans: list[OrderPlan], now: datetime) -> None:
    """Make sure every tracking status appears at least once, when there are enough shipments.

    A missing state goes to the shipped or delivered order whose age fits it best, taken from a
    state that appears more than once, so no state is lost on the way.
    """
    candidates = [p for p in plans if p.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)]
    for state in TrackingStatus.values:
        counts = Counter(p.tracking for p in plans if p.tracking)
        if counts[state]:
            continue
        pool = [p for p in candidates if counts[p.tracking] > 1]
        if not pool:
            return
        target = TYPICAL_AGE_DAYS[state]
        best = min(pool, key=lambda p: abs((now - p.placed_at) / timedelta(days=1) - target))
        best.tracking = state
        best.status = OrderStatus.DELIVERED if state == TrackingStatus.DELIVERED else OrderStatus.SHIPPED


def tracking_timeline(
    rng: random.Random, final: str, placed_at: datetime, promised: date, now: datetime, late: bool = False
) -> list[tuple[str, datetime]]:
    """The steps of a parcel's journey, as (step, time) pairs, ending in the `final` status before `now`."""
    S = TrackingStatus
    label_at = placed_at + _hours(rng, 0.75, 20)
    if final in (S.PENDING, S.INFO_RECEIVED):
        return [("pending" if final == S.PENDING else "label", _fit([label_at], placed_at, now, rng)[0])]

    label_local = label_at.astimezone(ROME)
    pickup_day = label_local.date()
    if pickup_day.weekday() >= 5 or label_local.hour >= 14:
        pickup_day = add_business_days(pickup_day, 1)
    pickup_at = max(_at(rng, pickup_day, 15.5, 19), label_at + timedelta(minutes=30))
    earliest = add_business_days(pickup_day, 1)
    two_days = final == S.AVAILABLE_FOR_PICKUP or (final == S.DELIVERED and rng.random() < 0.06)
    if late:
        day = add_business_days(max(promised, earliest), rng.randint(1, 3))
    else:
        day = add_business_days(earliest, rng.randint(0, max(0, _business_days_between(earliest, promised))))
    # The last day whose delivery round is over, so that the journey ends in the past.
    now_local = now.astimezone(ROME)
    cap = now_local.date() if now_local.hour >= 19 else now_local.date() - timedelta(days=1)
    cap = _business_day_on_or_before(cap)
    if two_days:
        cap = _business_day_on_or_before(cap - timedelta(days=1))
    day = max(min(day, cap), earliest)

    depart_at = pickup_at + _hours(rng, 1.5, 4)
    arrived_at = _at(rng, day, 5, 7)
    hubs = rng.randint(1, 2)
    transit = [("pickup", pickup_at), ("depart", depart_at)]
    transit += [("hub", depart_at + (arrived_at - depart_at) * (i + 1) / (hubs + 1)) for i in range(hubs)]
    transit.append(("arrived", arrived_at))
    steps = [("label", label_at)]
    if final == S.IN_TRANSIT:
        reached = [s for s in transit if s[1] <= now - timedelta(minutes=10)] or transit[:1]
        steps += reached if rng.random() < 0.6 else reached[: rng.randint(1, len(reached))]
    elif final in (S.EXCEPTION, S.EXPIRED):
        steps += transit[: rng.randint(1 if final == S.EXCEPTION else 2, len(transit))]
        if final == S.EXCEPTION:
            steps.append(("exception", steps[-1][1] + _hours(rng, 2, 30)))
        else:
            steps.append(("expired", steps[-1][1] + timedelta(days=30, minutes=rng.randint(0, 720))))
    else:
        steps += transit
        steps.append(("ofd", _at(rng, day, 7.5, 9.5)))
        if final == S.ATTEMPT_FAIL:
            steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
        elif final == S.AVAILABLE_FOR_PICKUP:
            steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
            steps.append(("pickup_point", _at(rng, add_business_days(day, 1), 9, 12)))
        elif final == S.DELIVERED:
            if two_days:
                next_day = add_business_days(day, 1)
                steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
                steps.append(("ofd", _at(rng, next_day, 7.5, 9.5)))
                steps.append(("delivered", _at(rng, next_day, 10, 18)))
            else:
                steps.append(("delivered", _at(rng, day, 10, 18.5)))
    times = _fit([t for _, t in steps], placed_at, now, rng)
    return list(zip([s for s, _ in steps], times, strict=True))


def _tracking_number(rng: random.Random, carrier: str) -> str:
    prefix, digits = TRACKING_NUMBER_FORMATS[carrier]
    return f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"


def plan_orders(
    seed: int, people: list[Person], count: int, now: datetime, first_number: int = FIRST_ORDER_NUMBER
) -> list[OrderPlan]:
    """`count` orders over the last 180 days, numbered PRM-<first_number> upward in the order they
    were placed. Each order draws from its own random stream (`OrderPlan.rng`), used again for its
    shipment and payment.
    """
    rng = substream(seed, "placement")
    today = now.astimezone(ROME).date()
    placed_times = []
    for _ in range(count):
        day = today - timedelta(days=int(180 * rng.random() ** 1.25))
        hour = rng.choices(range(24), weights=ORDER_HOUR_WEIGHTS)[0]
        placed = _local(day, time(hour, rng.randrange(60), rng.randrange(60)))
        if placed > now - timedelta(minutes=10):
            placed = now - timedelta(minutes=rng.randint(10, 600))
        placed_times.append(placed)
    placed_times.sort()
    weights = [p.weight for p in people]
    plans = []
    for index, placed in enumerate(placed_times):
        rng = substream(seed, "order", index)
        person = rng.choices(people, weights=weights)[0]
        age = (now - placed) / timedelta(days=1)
        status = pick_order_status(rng, age)
        picked = rng.sample(PRODUCTS, rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0])
        lines = [
            LinePlan(sku, name, category, rng.choices([1, 2, 3], weights=[80, 16, 4])[0], Decimal(price))
            for sku, name, category, price in picked
        ]
        subtotal = sum((line.total for line in lines), Decimal("0.00"))
        if person.country == "GB":
            shipping = Decimal("0.00") if subtotal >= 99 else Decimal("12.90")
        else:
            shipping = Decimal("0.00") if subtotal >= 49 else Decimal("5.90")
        plan = OrderPlan(
            number=f"PRM-{first_number + index}",
            person=person,
            status=status,
            placed_at=placed,
            lines=lines,
            shipping_total=shipping,
            rng=rng,
        )
        plan.tracking = pick_tracking_status(rng, status, age)
        plans.append(plan)
    cover_tracking_states(plans, now)
    for plan in plans:  # the payment method fits the (final) status
        plan.method = _pick_method(plan.rng, plan.status)
    return plans


def _pick_method(rng: random.Random, status: str) -> str:
    M = PaymentMethod
    if status == OrderStatus.PENDING:
        return M.BANK_TRANSFER if rng.random() < 0.8 else M.CASH_ON_DELIVERY
    table = {M.CARD: 60, M.PAYPAL: 18, M.KLARNA: 8, M.BANK_TRANSFER: 7, M.CASH_ON_DELIVERY: 7}
    if status == OrderStatus.REFUNDED:
        del table[M.CASH_ON_DELIVERY]
    return _weighted(rng, table)


def plan_shipment(rng: random.Random, plan: OrderPlan, used: set[tuple[str, str]], now: datetime) -> None:
    """The shipment and tracking events of a planned order with a tracking status."""
    person = plan.person
    code = "dhl" if person.country == "GB" else _weighted(rng, CARRIER_WEIGHTS)
    number = _tracking_number(rng, code)
    while (code, number) in used:
        number = _tracking_number(rng, code)
    used.add((code, number))
    promised = add_business_days(plan.placed_at.astimezone(ROME).date(), rng.randint(3, 5))
    late = plan.tracking == TrackingStatus.DELIVERED and rng.random() < 0.06
    steps = tracking_timeline(rng, plan.tracking, plan.placed_at, promised, now, late=late)
    places = CARRIER_PLACES[code]
    hubs = rng.sample(places["hubs"], len(places["hubs"]))  # a parcel goes through each hub once
    events = []
    for step, at in steps:
        raw_code, description = rng.choice(RAW_EVENTS[code][step])
        if step in ("pickup", "depart"):
            location = places["origin"]
        elif step == "hub":
            location = hubs.pop()
        elif step == "exception" and rng.random() < 0.5:
            location = hubs[-1]
        elif step in ("arrived", "ofd", "delivered", "attempt_fail", "exception"):
            location = places["local"].format(city=person.city)
        elif step == "pickup_point":
            location = places["point"].format(city=person.city)
        else:
            location = ""
        received = min(at + timedelta(minutes=rng.randint(1, 20)), now)
        events.append(EventPlan(at, KIND_STATUS[step], raw_code, description, location, received))
    shipment = ShipmentPlan(code, number, promised, steps[0][1], events)
    last = events[-1]
    if last.status == TrackingStatus.DELIVERED:
        shipment.estimated = max(promised, last.occurred_at.astimezone(ROME).date())
    elif last.status in (TrackingStatus.ATTEMPT_FAIL, TrackingStatus.AVAILABLE_FOR_PICKUP):
        shipment.estimated = add_business_days(last.occurred_at.astimezone(ROME).date(), 1)
    elif last.status == TrackingStatus.EXCEPTION:
        shipment.estimated = add_business_days(promised, 3)
    elif last.status in (TrackingStatus.EXPIRED, TrackingStatus.PENDING):
        shipment.estimated = None
    else:
        shipment.estimated = promised
    plan.late = shipment.delivered_at is not None and shipment.estimated > promised
    plan.shipment = shipment


def plan_payment(rng: random.Random, plan: OrderPlan, refunders: list[str], now: datetime) -> None:
    """The payment of a planned order (and its refund), in a state consistent with the order."""
    method, placed, status = plan.method, plan.placed_at, plan.status
    M, P = PaymentMethod, PaymentState
    payment = PaymentPlan(method=method, state=P.PENDING, amount=plan.total)
    if method == M.CARD:
        payment.provider = "stripe"
        payment.external_id = "pi_" + "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", k=24)
        )
    elif method == M.PAYPAL:
        payment.provider = "paypal"
        payment.external_id = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=17))
    elif method == M.KLARNA:
        payment.provider = "klarna"
        payment.external_id = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}"
    authorized = placed + timedelta(seconds=rng.randint(5, 90))
    if method in (M.CARD, M.KLARNA, M.PAYPAL):
        payment.authorized_at = authorized
    shipped_at = plan.shipment.created_at if plan.shipment else None
    delivered_at = plan.shipment.delivered_at if plan.shipment else None
    capture_at = shipped_at or placed + _hours(rng, 1, 20)
    if method == M.PAYPAL:
        capture_at = authorized
    elif method == M.BANK_TRANSFER:
        capture_at = placed + _hours(rng, 18, 40)
        if shipped_at and capture_at > shipped_at:
            capture_at = shipped_at - timedelta(minutes=30)
    capture_at = min(capture_at, now - timedelta(minutes=1))

    if status == OrderStatus.PENDING:
        payment.state = P.PENDING
    elif status == OrderStatus.CANCELLED:
        cancelled = min(placed + _hours(rng, 0.5, 36), placed + (now - placed) * 0.8)
        plan.cancelled_at = cancelled
        payment.state, payment.voided_at = P.VOIDED, cancelled
    elif method == M.CASH_ON_DELIVERY:
        if status == OrderStatus.DELIVERED:
            payment.state, payment.captured_at = P.CAPTURED, delivered_at
        else:
            payment.state = P.PENDING
    elif status == OrderStatus.PAID and method in (M.CARD, M.KLARNA):
        payment.state = P.AUTHORIZED
    else:
        # Refunded orders too: the money was taken, then given back by the refund.
        payment.state, payment.captured_at = P.CAPTURED, capture_at
    if status == OrderStatus.REFUNDED:
        plan.refund = _plan_refund(rng, plan, refunders, now)
    plan.payment = payment


def _plan_refund(rng: random.Random, plan: OrderPlan, refunders: list[str], now: datetime) -> RefundPlan:
    shipment = plan.shipment
    if shipment is not None and shipment.delivered_at:
        created, reason = (
            shipment.delivered_at + timedelta(days=rng.uniform(4, 20)),
            "Reso ricevuto in magazzino",
        )
    elif shipment is not None:
        created, reason = (
            shipment.last_event_at + timedelta(days=rng.uniform(2, 6)),
            "Pacco smarrito dal corriere",
        )
    else:
        created = plan.placed_at + timedelta(days=rng.uniform(1, 4))
        reason = rng.choice(
            ["Articolo non disponibile", "Annullato su richiesta del cliente dopo l'addebito"]
        )
    if created > now - timedelta(hours=1):
        start = shipment.last_event_at if shipment is not None else plan.placed_at
        created = start + (now - start) * rng.uniform(0.5, 0.9)
    requested_by = rng.choice(refunders)
    key = f"demo-{plan.number}-{rng.getrandbits(48):012x}"
    completed = created + timedelta(days=rng.uniform(2, 9))
    return RefundPlan(
        amount=plan.total,
        reason=reason,
        requested_by=requested_by,
        created_at=created,
        expected_arrival_at=created + timedelta(days=10),
        idempotency_key=key,
        completed_at=completed if completed < now else None,
    )


def refund_status(refund: RefundPlan) -> str:
    return RefundStatus.COMPLETED if refund.completed_at else RefundStatus.SUBMITTED


# --------------------------------------------------------------------------------------------
# Cases and conversations
# --------------------------------------------------------------------------------------------


def _case_trigger(topic: str, plan: OrderPlan, now: datetime) -> datetime | None:
    """When a customer with this order would write about `topic`, or None if the topic does not fit it."""
    shipment, S = plan.shipment, TrackingStatus
    status = plan.status
    if topic == "parcel_late":  # the customer writes once the promised date has passed
        if shipment is None:
            return None
        overdue = _local(add_business_days(shipment.promised, 1), time(10))
        if status == OrderStatus.SHIPPED and plan.tracking != S.PENDING and overdue < now:
            return max(overdue, shipment.last_event_at)
        if status == OrderStatus.DELIVERED and plan.late:
            return overdue
        return None
    if topic == "delivery_failed":
        if status == OrderStatus.SHIPPED and plan.tracking in (S.ATTEMPT_FAIL, S.AVAILABLE_FOR_PICKUP):
            return shipment.last_event_at
        return None
    if topic in ("not_received", "damaged"):
        return shipment.delivered_at if status == OrderStatus.DELIVERED else None
    if topic == "wrong_size":
        if status == OrderStatus.DELIVERED and any(line.category == CLOTHING_CATEGORY for line in plan.lines):
            return shipment.delivered_at
        return None
    if topic == "refund_not_arrived":
        if plan.refund is None:
            return None
        later = plan.refund.created_at + timedelta(days=4)
        return later if later < now else plan.refund.created_at
    if topic == "card_blocked":
        if status == OrderStatus.CANCELLED and plan.method in (PaymentMethod.CARD, PaymentMethod.KLARNA):
            return plan.cancelled_at
        return None
    if topic == "invoice":
        return (
            plan.placed_at
            if status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
            else None
        )
    if topic == "bank_transfer":
        if status == OrderStatus.PENDING and plan.method == PaymentMethod.BANK_TRANSFER:
            return plan.placed_at
        return None
    if topic == "change_address":
        return plan.placed_at if status in (OrderStatus.PENDING, OrderStatus.PAID) else None
    return None


def _case_context(
    rng: random.Random, person: Person, plan: OrderPlan | None, now: datetime
) -> dict[str, str]:
    """The values the topic texts are filled in with."""
    lang = person.language
    ticket = f"{rng.choice('ABCDEFGHKLMNPRSTUVZ')}{rng.randint(10**7, 10**8 - 1)}"
    if lang == "it":
        company = f"{person.full_name.split()[-1]} {rng.choice(['S.r.l.', 'S.n.c.', '& C. S.a.s.'])}"
        vat = f"IT{rng.randint(10**10, 10**11 - 1)}"
    else:
        company = f"{person.full_name.split()[-1]} {rng.choice(['Ltd', '& Co Ltd', 'Design Ltd'])}"
        vat = f"GB{rng.randint(10**8, 10**9 - 1)}"
    street_name, _, civic = person.street.rpartition(" ")
    new_civic = str(int(civic) + rng.randint(1, 9)) if civic.isdigit() else "12"
    context = {
        "first": person.first_name,
        "full": person.full_name,
        "email": person.email,
        "city": person.city,
        "street": person.street,
        "postcode": person.postcode,
        "civic": new_civic,
        "street_fixed": f"{street_name} {new_civic}"
        if person.country == "IT"
        else f"{new_civic} {person.street.partition(' ')[2]}",
        "ticket": ticket,
        "last4": f"{rng.randint(0, 9999):04d}",
        "company": company,
        "vat": vat,
        "sdi": "".join(rng.choices("ABCDEFGHKLMNPRSTUVWXYZ0123456789", k=7)),
        "invoice": f"{rng.randint(100, 999)}/{now.year}",
        "product": rng.choice(PRODUCTS)[1],
        "number": "",
        "placed": "",
        "promised": "",
        "carrier": "",
        "tracking": "",
        "tracking_url": "",
        "amount": "",
        "refund_date": "",
    }
    if plan is not None:
        context["number"] = plan.number
        context["placed"] = _date_text(plan.placed_at.astimezone(ROME).date(), lang)
        context["amount"] = format_money(plan.total, "EUR", lang)
        clothing = [line.name for line in plan.lines if line.category == CLOTHING_CATEGORY]
        context["product"] = clothing[0] if clothing else rng.choice(plan.lines).name
        if plan.shipment is not None:
            code, name, template = CARRIER_BY_CODE[plan.shipment.carrier_code]
            context["carrier"] = name
            context["tracking"] = plan.shipment.tracking_number
            context["tracking_url"] = template.replace("{tracking_number}", plan.shipment.tracking_number)
            context["promised"] = _date_text(plan.shipment.promised, lang)
        if plan.refund is not None:
            context["refund_date"] = _date_text(plan.refund.created_at.astimezone(ROME).date(), lang)
    return context


def pick_case_status(rng: random.Random, topic: Topic, age_days: float) -> str:
    """A case status that fits how old the case is."""
    C = CaseStatus
    if age_days < 1:
        table = {C.NEW: 55, C.OPEN: 25, "waiting": 15, C.SOLVED: 5}
    elif age_days < 4:
        table = {C.NEW: 15, C.OPEN: 30, "waiting": 35, C.SOLVED: 20}
    elif age_days < 14:
        table = {C.OPEN: 15, "waiting": 30, C.SOLVED: 40, C.CLOSED: 15}
    else:
        table = {C.OPEN: 3, "waiting": 7, C.SOLVED: 25, C.CLOSED: 65}
    status = _weighted(rng, table)
    if status == "waiting":
        status = topic.waits_on if rng.random() < 0.8 else C.WAITING_ON_CUSTOMER
    return status


def cover_case_statuses(plans: list[CasePlan]) -> None:
    """Make sure every case status appears at least once, when there are enough cases."""
    for status in CaseStatus.values:
        counts = Counter(p.status for p in plans)
        if counts[status]:
            continue
        pool = [p for p in plans if counts[p.status] > 1]
        if not pool:
            return
        fitting = [p for p in pool if p.topic.waits_on == status]
        (fitting or pool)[-1].status = status


def case_script(rng: random.Random, status: str) -> list[str]:
    """The steps of a conversation that leaves a case in `status`."""
    C = CaseStatus
    if status == C.NEW:
        return ["open", "nudge"] if rng.random() < 0.25 else ["open"]
    if status == C.OPEN:
        return rng.choice([["open"], ["open", "ask", "answer"], ["open", "hold", "nudge"]])
    if status == C.WAITING_ON_CUSTOMER:
        return ["open", "ask"]
    if status in (C.WAITING_ON_CARRIER, C.WAITING_ON_BANK):
        return ["open", "hold"]
    roll = rng.random()
    middle = ["ask", "answer"] if roll < 0.4 else ["hold"] if roll < 0.7 else []
    steps = ["open", *middle, "solution"]
    if status == C.CLOSED and rng.random() < 0.7:
        steps.append("thanks")
    return steps


STEP_DELAY_HOURS = {
    "nudge": (24, 80),
    "ask": (0.25, 20),
    "hold": (0.25, 20),
    "solution": (0.5, 30),
    "answer": (0.5, 40),
    "thanks": (0.3, 24),
    "note": (0.05, 3),
}


def plan_cases(
    rng: random.Random, count: int, people: list[Person], orders: list[OrderPlan], now: datetime
) -> list[CasePlan]:
    """`count` cases, most about one of the customer's orders, with their conversations."""
    eligible: dict[str, list[tuple[OrderPlan, datetime]]] = {}
    for topic in TOPICS:
        if topic.needs_order:
            eligible[topic.key] = [
                (p, t) for p in orders if (t := _case_trigger(topic.key, p, now)) is not None
            ]
    topic_weights = [t.weight for t in TOPICS]
    taken: set[int] = set()  # one case per order
    plans: list[CasePlan] = []
    for _ in range(count):
        topic = rng.choices(TOPICS, weights=topic_weights)[0]
        plan, trigger = None, None
        for _attempt in range(10):
            if not topic.needs_order:
                break
            pool = eligible[topic.key]
            pool[:] = [pair for pair in pool if id(pair[0]) not in taken]
            if pool:
                recency = [1 + 8 * math.exp(-((now - t) / timedelta(days=1)) / 14) for _, t in pool]
                plan, trigger = pool.pop(rng.choices(range(len(pool)), weights=recency)[0])
                taken.add(id(plan))
                break
            topic = rng.choices(TOPICS, weights=topic_weights)[0]
        if topic.needs_order and plan is None:
            topic = rng.choice([t for t in TOPICS if not t.needs_order])
        person = plan.person if plan is not None else rng.choice(people)
        plans.append(_new_case_plan(rng, topic, person, plan, trigger, now))
    _ensure_both_languages(rng, plans, people, now)
    cover_case_statuses(plans)
    for case_plan in plans:
        case_plan.script = case_script(rng, case_plan.status)
    _leave_in_queue(rng, plans)
    for case_plan in plans:
        _write_conversation(rng, case_plan, now)
    return plans


def _new_case_plan(
    rng: random.Random,
    topic: Topic,
    person: Person,
    plan: OrderPlan | None,
    trigger: datetime | None,
    now: datetime,
) -> CasePlan:
    if trigger is None:
        created = now - timedelta(days=120 * rng.random() ** 2, minutes=rng.randint(5, 600))
        since = person.created_at
        if created < since:
            created = since + (now - since) * rng.uniform(0.1, 0.9)
    else:
        trigger = min(trigger, now - timedelta(minutes=30))
        created = trigger + _hours(rng, 0.5, 48)
        if created > now - timedelta(minutes=5):
            created = trigger + (now - trigger) * rng.uniform(0.3, 0.9)
    channel = _weighted(
        rng, {Channel.EMAIL: 65, Channel.WEB_FORM: 17, Channel.WHATSAPP: 20, Channel.PHONE: 6}
    )
    if channel == Channel.WHATSAPP and not person.whatsapp:
        channel = Channel.EMAIL
    if channel == Channel.PHONE and not person.phone:
        channel = Channel.WEB_FORM
    context = _case_context(rng, person, plan, now)
    texts = topic.it if person.language == "it" else topic.en
    priority = _weighted(rng, {Priority.LOW: 12, Priority.NORMAL: 60, Priority.HIGH: 22, Priority.URGENT: 6})
    bump = person.tier == Tier.VIP or (topic.key in ("damaged", "not_received") and rng.random() < 0.3)
    if bump and priority in (Priority.LOW, Priority.NORMAL):
        priority = Priority.HIGH
    age = (now - created) / timedelta(days=1)
    return CasePlan(
        person=person,
        topic=topic,
        order=plan,
        context=context,
        subject=rng.choice(texts["subject"]).format(**context)[:200],
        status=pick_case_status(rng, topic, age),
        priority=priority,
        channel=channel,
        created_at=created,
    )


def _ensure_both_languages(
    rng: random.Random, plans: list[CasePlan], people: list[Person], now: datetime
) -> None:
    """With two cases or more, at least one in Italian and one in English (given customers of each)."""
    if len(plans) < 2:
        return
    for language in ("it", "en"):
        if any(p.language == language for p in plans):
            continue
        speakers = [p for p in people if p.language == language]
        if not speakers:
            continue
        topic = rng.choice([t for t in TOPICS if not t.needs_order])
        plans[-1] = _new_case_plan(rng, topic, rng.choice(speakers), None, None, now)


def _team_members(team: str) -> list[DemoAgent]:
    return [a for a in DEMO_AGENTS if a.team == team] or list(DEMO_AGENTS)


def _leave_in_queue(rng: random.Random, plans: list[CasePlan]) -> None:
    """About 20% of the unsolved cases wait in their team's queue; solved ones all had an owner."""
    unsolved = [p for p in plans if p.status not in (CaseStatus.SOLVED, CaseStatus.CLOSED)]
    unsolved.sort(key=lambda p: (bool(AGENT_STEPS & set(p.script)), p.status != CaseStatus.NEW, rng.random()))
    for plan in unsolved[: round(len(unsolved) * 0.2)]:
        plan.queued = True


def _write_conversation(rng: random.Random, plan: CasePlan, now: datetime) -> None:
    """The case's messages with their times, who answers without an owner, and when the owner
    first looked at the case."""
    person, topic, context, lang = plan.person, plan.topic, plan.context, plan.language
    texts = topic.it if lang == "it" else topic.en
    steps = list(plan.script)
    agent_at = [i for i, s in enumerate(steps) if s in AGENT_STEPS]
    waiting_on_others = plan.status in (CaseStatus.WAITING_ON_CARRIER, CaseStatus.WAITING_ON_BANK)
    if agent_at and (waiting_on_others or rng.random() < 0.3):
        # A note goes after the first answer; before it when that answer is the last message, so
        # that the conversation ends with something the customer sees.
        first = agent_at[0]
        steps.insert(first + 1 if first + 1 < len(steps) else first, "note")
    times = [plan.created_at]
    for step in steps[1:]:
        low, high = STEP_DELAY_HOURS[step]
        at = times[-1] + _hours(rng, low, high)
        times.append(at if step in CUSTOMER_STEPS else _working_time(rng, at))
    times = _fit(times, plan.created_at, now, rng)
    plan.author = rng.choice(_team_members(plan.topic.team))
    names = {"first": person.first_name, "full": person.full_name}
    messages = []
    for step, at in zip(steps, times, strict=True):
        if step in CUSTOMER_STEPS:
            if step == "open":
                text = rng.choice(texts["open"]).format(**context)
            elif step == "nudge":
                text = rng.choice(NUDGES[lang])
                if rng.random() < 0.3:
                    text = f"{text} {rng.choice(COMPLAINTS[lang])}"
            elif step == "thanks":
                text = rng.choice(THANKS[lang])
            else:
                text = rng.choice(texts[step]).format(**context)
            if plan.channel == Channel.EMAIL and step in ("open", "nudge", "answer"):
                greeting = rng.choice(CUSTOMER_GREETINGS[lang])
                sign_off = rng.choice(CUSTOMER_SIGN_OFFS[lang]).format(**names)
                text = f"{greeting}\n\n{text}\n\n{sign_off}"
                if rng.random() < 0.2:
                    text = f"{text}\n\n{SENT_FROM_PHONE[lang]}"
        elif step == "note":
            text = rng.choice(topic.notes).format(**context)
        else:
            # The reply service adds the agent's signature.
            text = rng.choice(texts[step]).format(**context)
            greeting = rng.choice(AGENT_GREETINGS[lang]).format(**names)
            sign_off = rng.choice(AGENT_SIGN_OFFS[lang])
            text = (
                f"{greeting} {text}"
                if plan.channel == Channel.WHATSAPP
                else f"{greeting}\n\n{text}\n\n{sign_off}"
            )
        messages.append(MessagePlan(step, at, text))
    plan.messages = messages
    if not plan.queued:
        first_agent_at = next((m.at for m in messages if m.step in AGENT_STEPS or m.step == "note"), None)
        end = first_agent_at or min(plan.created_at + _hours(rng, 0.1, 4), now)
        plan.seen_at = plan.created_at + (end - plan.created_at) * rng.uniform(0.1, 0.7)


def agent_signature_of(agent: DemoAgent) -> str:
    return agent_signature(agent.display_name)
