"""Load the demo shop, Bottega Premura, through the same services as real data.

The planner decides everything first (premura.demo.planner); this module then calls the services
of each app, each inside `clock.frozen_at(<the planned moment>)`, so the rows and their audit
events carry the shop's past times: a customer is created when they signed up, an order is
imported when it was placed, each tracking event is recorded when it arrived, each message is
written, and each case assigned, solved or closed, when it happened. Nothing is written by hand
and no audit event is edited afterwards.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from premura.agents.models import Agent, Role, Team
from premura.agents.services import create_agent, create_team, set_team_lead
from premura.care.compensation import add_rule
from premura.care.models import CompensationRule, ResolutionPolicy
from premura.care.resolution import set_policy
from premura.channels.mailboxes import add_mailbox
from premura.channels.models import Mailbox
from premura.commerce.models import Order, Refund
from premura.commerce.services import (
    NewOrderLine,
    NewPayment,
    ShippingAddress,
    import_order,
    mark_refund_completed,
    mark_refund_submitted,
    request_refund,
)
from premura.conversations import services as cases
from premura.conversations.models import Case, CaseStatus
from premura.conversations.routing import BY_RULES
from premura.core.clock import frozen_at
from premura.core.models import AuditEvent
from premura.customers.models import Customer, CustomerIdentity, IdentityKind
from premura.customers.services import NewIdentity, create_customer
from premura.demo.corpus import (
    CARRIERS,
    DEMO_AGENTS,
    DEMO_CALENDAR,
    DEMO_CLOSURES,
    DEMO_COMPENSATION,
    DEMO_EMAIL_DOMAINS,
    DEMO_PASSWORD,
    DEMO_POLICIES,
    DEMO_RESOLUTION_POLICIES,
    DEMO_SHOP,
    DEMO_SOURCE,
    TEAMS,
    agent_signature,
)
from premura.demo.planner import (
    AGENT_STEPS,
    DEFAULT_SEED,
    FIRST_ORDER_NUMBER,
    CasePlan,
    OrderPlan,
    Person,
    customers_before_their_orders,
    plan_cases,
    plan_customers,
    plan_orders,
    plan_payment,
    plan_shipment,
    substream,
)
from premura.shipping import carrier_codes
from premura.shipping.models import Shipment, TrackingStatus
from premura.shipping.services import (
    NewTrackingEvent,
    configure_carrier,
    create_shipment,
    record_tracking_events,
)
from premura.shop.services import configure_shop
from premura.sla import services as sla
from premura.sla.models import BusinessCalendar

DEMO_USERNAMES = [a.username for a in DEMO_AGENTS]
# A solved case that nobody reopens is closed this long after its solution (as close_solved_cases does).
CLOSE_AFTER = timedelta(days=4)
# The demo shop ships from its warehouse near Milan: the origin of every lane.
WAREHOUSE_REGION = "Lombardia"


class DemoError(Exception):
    """The demo cannot be loaded into this database as it is; the message says why."""


@dataclass
class DemoSummary:
    customers: int = 0
    identities: int = 0
    orders: int = 0
    payments: int = 0
    refunds: int = 0
    shipments: int = 0
    tracking_events: int = 0
    cases: int = 0
    messages: int = 0
    agents: list[str] = field(default_factory=list)


def is_demo_loaded() -> bool:
    """Whether the demo shop is in the database (its agents or its orders exist)."""
    return (
        Agent.objects.filter(user__username__in=DEMO_USERNAMES).exists()
        or Order.objects.filter(source=DEMO_SOURCE).exists()
    )


def _demo_customer_ids() -> list[int]:
    emails = Q()
    for domain in DEMO_EMAIL_DOMAINS:
        emails |= Q(identities__kind=IdentityKind.EMAIL, identities__value__endswith=f"@{domain}")
    return list(
        Customer.objects.filter(Q(orders__source=DEMO_SOURCE) | emails)
        .values_list("pk", flat=True)
        .distinct()
    )


def wipe_demo() -> None:
    """Delete the demo shop: its customers with their orders, shipments and cases, the history of
    those (their audit events go with them), and the demo logins.

    Teams and carriers stay: they are configuration, and the next load reuses them.
    """
    with transaction.atomic():
        customer_ids = _demo_customer_ids()
        orders = Order.objects.filter(Q(customer_id__in=customer_ids) | Q(source=DEMO_SOURCE))
        subjects = {
            Customer: customer_ids,
            Order: list(orders.values_list("pk", flat=True)),
            Shipment: list(Shipment.objects.filter(order__in=orders).values_list("pk", flat=True)),
            Case: list(Case.objects.filter(customer_id__in=customer_ids).values_list("pk", flat=True)),
        }
        for model, ids in subjects.items():
            AuditEvent.objects.filter(
                subject_type=ContentType.objects.get_for_model(model), subject_id__in=ids
            ).delete()
        Case.objects.filter(pk__in=subjects[Case]).delete()
        orders.delete()
        Customer.objects.filter(pk__in=customer_ids).delete()
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


def load_demo(
    customers: int = 400,
    orders: int = 1000,
    cases: int = 300,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    force: bool = False,
) -> DemoSummary:
    """Load the demo shop in one transaction (after wiping the previous one when `force`).

    Raises ValueError for orders or cases without customers, DemoError when a demo username is
    taken by a login of this installation.
    """
    if orders and not customers:
        raise ValueError("orders need at least one customer")
    if cases and not customers:
        raise ValueError("cases need at least one customer")
    now = (now or timezone.now()).astimezone(UTC)
    with transaction.atomic():
        if force:
            wipe_demo()
        taken_usernames = list(
            get_user_model().objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        )
        if taken_usernames:
            raise DemoError(
                f"The demo's logins {', '.join(taken_usernames)} exist already in this installation."
            )
        people, order_plans, case_plans = _plan(seed, customers, orders, cases, now)
        # The desk exists before the shop's history begins.
        beginning = min([p.created_at for p in people], default=now) - timedelta(days=1)
        with frozen_at(beginning):
            configure_shop(**DEMO_SHOP)
            teams = _ensure_teams()
            _ensure_mailbox(teams)
            agents = _create_agents(teams)
            _ensure_leads(teams, agents)
            for code, name, template in CARRIERS:
                configure_carrier(code=code, name=name, tracking_url_template=template)
            ensure_service_levels()
            ensure_compensation_table()
            ensure_resolution_policies()
        customer_of = {id(person): _create_customer(person) for person in people}
        order_of = {
            id(plan): _import_order(plan, customer_of[id(plan.person)], agents) for plan in order_plans
        }
        # In the order they happened: the rules see each customer's earlier cases.
        for plan in sorted(case_plans, key=lambda p: p.created_at):
            order = order_of[id(plan.order)] if plan.order is not None else None
            _replay_case(plan, customer_of[id(plan.person)], order, teams, agents, now)

    return DemoSummary(
        customers=len(people),
        identities=sum(len(_identities(p)) for p in people),
        orders=len(order_plans),
        payments=len(order_plans),
        refunds=sum(1 for p in order_plans if p.refund),
        shipments=sum(1 for p in order_plans if p.shipment),
        tracking_events=sum(len(p.shipment.events) for p in order_plans if p.shipment),
        cases=len(case_plans),
        messages=sum(len(p.messages) for p in case_plans),
        agents=list(DEMO_USERNAMES),
    )


def _plan(
    seed: int, customers: int, orders: int, cases: int, now: datetime
) -> tuple[list[Person], list[OrderPlan], list[CasePlan]]:
    """Everything the demo will write, decided in memory; it reads only what must not collide."""
    identities = CustomerIdentity.objects.values_list("value", flat=True)
    taken = {
        "email": set(identities.filter(kind=IdentityKind.EMAIL)),
        "phone": set(identities.filter(kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP])),
        "instagram": set(identities.filter(kind=IdentityKind.INSTAGRAM)),
    }
    people = plan_customers(substream(seed, "customers"), customers, now, taken)
    order_plans = plan_orders(seed, people, orders, now, _next_order_number()) if people else []
    used = set(Shipment.objects.values_list("carrier__code", "tracking_number"))
    refunders = [a.username for a in DEMO_AGENTS if a.team == "resi-e-rimborsi"]
    for plan in order_plans:
        if plan.tracking:
            plan_shipment(plan.rng, plan, used, now)
        plan_payment(plan.rng, plan, refunders, now)
    customers_before_their_orders(substream(seed, "customers", "since"), people, order_plans)
    case_plans = plan_cases(substream(seed, "cases"), cases, people, order_plans, now) if people else []
    return people, order_plans, case_plans


def _next_order_number() -> int:
    numbers = Order.objects.filter(number__startswith="PRM-").values_list("number", flat=True)
    highest = max((int(n[4:]) for n in numbers if n[4:].isdigit()), default=FIRST_ORDER_NUMBER - 1)
    return max(highest + 1, FIRST_ORDER_NUMBER)


# --------------------------------------------------------------------------------------------
# The desk
# --------------------------------------------------------------------------------------------


def _ensure_teams() -> dict[str, Team]:
    """The demo teams by their slug in TEAMS: the ones that exist (by name) are reused."""
    existing = {team.name: team for team in Team.objects.filter(name__in=[name for _, name in TEAMS])}
    return {slug: existing.get(name) or create_team(name=name, slug=slug) for slug, name in TEAMS}


def ensure_service_levels() -> None:
    """The desk's calendar and SLA policies (issue 12), before any case, so every case gets its
    deadlines as it is replayed. Configuration, like the teams: kept when the demo is loaded
    again, and left alone when a calendar of that name exists."""
    if BusinessCalendar.objects.filter(name=DEMO_CALENDAR["name"]).exists():
        return
    calendar = sla.create_calendar(**DEMO_CALENDAR)
    for first_day, last_day, reason in DEMO_CLOSURES:
        sla.add_closure(calendar, first_day=first_day, last_day=last_day, reason=reason)
    for position, policy in enumerate(DEMO_POLICIES, start=1):
        sla.create_policy(calendar=calendar, position=position * 10, **policy)


def ensure_compensation_table() -> None:
    """The shop's compensation rules (issue 14), before any tracking event, so the demo's delays
    get their apologies. Configuration: left alone when the shop has rules of its own."""
    if CompensationRule.objects.exists():
        return
    for position, rule in enumerate(DEMO_COMPENSATION, start=1):
        add_rule(position=position * 10, **rule)


def ensure_resolution_policies() -> None:
    """The shop's resolution policies (issue 15): the ones it has are left alone."""
    for kind, fields in DEMO_RESOLUTION_POLICIES.items():
        if not ResolutionPolicy.objects.filter(kind=kind).exists():
            set_policy(kind, **fields)


def _ensure_mailbox(teams: dict[str, Team]) -> None:
    """The shop's support address, delivered by `premura lmtp` (what `make run` starts): kept, like
    the teams, when the demo is loaded again."""
    address = DEMO_SHOP["support_email"]
    if not Mailbox.objects.filter(address=address).exists():
        add_mailbox(
            Mailbox(
                address=address,
                display_name=DEMO_SHOP["name"],
                plus_addressing=True,
                default_team=teams["ordini-e-spedizioni"],
                default_language="it",
            )
        )


def _create_agents(teams: dict[str, Team]) -> dict[str, Agent]:
    """The demo logins (password DEMO_PASSWORD) and their agent profiles, by username."""
    return {
        spec.username: create_agent(
            username=spec.username,
            password=DEMO_PASSWORD,
            display_name=spec.display_name,
            email=f"{spec.username}@premura.example",
            team=teams[spec.team],
            role=Role.ADMIN if spec.is_admin else Role.AGENT,
            signature=agent_signature(spec.display_name),
        )
        for spec in DEMO_AGENTS
    }


def _ensure_leads(teams: dict[str, Team], agents: dict[str, Agent]) -> None:
    """Each team without a lead gets its demo lead (DemoAgent.leads_team): a breach of one of its
    cases reaches that person, not only the administrators. A lead the shop chose is kept; a demo
    lead left with the wiped demo logins (the team's lead became empty) and is named again."""
    for spec in DEMO_AGENTS:
        team = teams[spec.team]
        if spec.leads_team and team.lead_id is None:
            set_team_lead(team, agents[spec.username])


# --------------------------------------------------------------------------------------------
# Customers and orders
# --------------------------------------------------------------------------------------------


def _identities(person: Person) -> list[NewIdentity]:
    """E-mail always; phone, WhatsApp and Instagram when the person has them."""
    addresses = [
        (IdentityKind.EMAIL, person.email),
        (IdentityKind.PHONE, person.phone),
        (IdentityKind.WHATSAPP, person.phone if person.whatsapp else ""),
        (IdentityKind.INSTAGRAM, person.instagram),
    ]
    return [NewIdentity(kind, value, is_primary=True) for kind, value in addresses if value]


def _create_customer(person: Person) -> Customer:
    quiet_start, quiet_end = person.quiet_hours or (None, None)
    with frozen_at(person.created_at):
        return create_customer(
            full_name=person.full_name,
            identities=_identities(person),
            language=person.language,
            preferred_channel=person.preferred_channel,
            time_zone=person.time_zone,
            quiet_hours_start=quiet_start,
            quiet_hours_end=quiet_end,
            marketing_consent=person.marketing_consent,
            tier=person.tier,
            notes=person.notes,
        )


def _import_order(plan: OrderPlan, customer: Customer, agents: dict[str, Agent]) -> Order:
    """The order as the shop reported it when it was placed, then its shipment's journey and its
    refund, each step at its own time."""
    person, payment = plan.person, plan.payment
    with frozen_at(plan.placed_at):
        order = import_order(
            number=plan.number,
            customer=customer,
            lines=[
                NewOrderLine(line.sku, line.name, line.unit_price, line.quantity, category=line.category)
                for line in plan.lines
            ],
            shipping_total=plan.shipping_total,
            total=plan.total,
            address=ShippingAddress(
                person.full_name, person.street, person.postcode, person.city, person.province, person.country
            ),
            payment=NewPayment(
                method=payment.method,
                state=payment.state,
                amount=payment.amount,
                provider=payment.provider,
                external_id=payment.external_id,
                authorized_at=payment.authorized_at,
                captured_at=payment.captured_at,
                voided_at=payment.voided_at,
            ),
            email=person.email,
            status=plan.status_before_refund,
            placed_at=plan.placed_at,
            source=DEMO_SOURCE,
        )
    if plan.shipment is not None:
        _ship(order, plan)
    if plan.refund is not None:
        _refund(order, plan, agents)
    return order


def _ship(order: Order, plan: OrderPlan) -> None:
    planned = plan.shipment
    with frozen_at(planned.created_at):
        shipment = create_shipment(
            order=order,
            carrier_code=planned.carrier_code,
            tracking_number=planned.tracking_number,
            promised_delivery_date=planned.promised,
            estimated_delivery_date=planned.estimated,
            origin=WAREHOUSE_REGION,
        )
    # The carrier's history as its API returns it when the tracking number is registered: one
    # delivery of every scan so far, received after the latest one. An exception's reason is its
    # code's in the carrier's table, as the webhooks read it.
    history = [
        NewTrackingEvent(
            e.occurred_at,
            e.status,
            e.raw_code,
            e.raw_description,
            e.location,
            exception_reason=carrier_codes.normalise(planned.carrier_code, e.raw_code).exception_reason
            if e.status == TrackingStatus.EXCEPTION
            else "",
        )
        for e in planned.events
    ]
    with frozen_at(planned.events[-1].received_at):
        record_tracking_events(shipment, history)


def _refund(order: Order, plan: OrderPlan, agents: dict[str, Agent]) -> Refund:
    """Requested by an agent of the returns team and sent to the bank at once; completed when the
    bank confirms the money arrived."""
    planned = plan.refund
    actor = agents[planned.requested_by].user
    with frozen_at(planned.created_at):
        refund = request_refund(
            order,
            amount=planned.amount,
            idempotency_key=planned.idempotency_key,
            reason=planned.reason,
            actor=actor,
        )
        refund = mark_refund_submitted(refund, expected_arrival_at=planned.expected_arrival_at, actor=actor)
    if planned.completed_at is not None:
        with frozen_at(planned.completed_at):
            refund = mark_refund_completed(refund)
    return refund


# --------------------------------------------------------------------------------------------
# Cases: each conversation replayed through the case services
# --------------------------------------------------------------------------------------------


def _hold_status(plan: CasePlan) -> str | None:
    """The status an agent's "we are checking with them" reply leaves the case in."""
    if plan.status in (CaseStatus.WAITING_ON_CARRIER, CaseStatus.WAITING_ON_BANK):
        return plan.status
    others = (CaseStatus.WAITING_ON_CARRIER, CaseStatus.WAITING_ON_BANK)
    if plan.status in (CaseStatus.SOLVED, CaseStatus.CLOSED) and plan.topic.waits_on in others:
        return plan.topic.waits_on
    return None  # the case stays open


REPLY_STATUS = {"ask": CaseStatus.WAITING_ON_CUSTOMER, "solution": CaseStatus.SOLVED}


def _replay_case(
    plan: CasePlan,
    customer: Customer,
    order: Order | None,
    teams: dict[str, Team],
    agents: dict[str, Agent],
    now: datetime,
) -> Case:
    """Open the case with the customer's first message, its owner chosen by the assignment rules
    (a returning customer meets their agent again), then apply each planned step at its time:
    the customer's messages, the owner's replies and notes (which move the status as a real
    agent's would), and at the end what brings the case to its planned status."""
    opening, *rest = plan.messages
    with frozen_at(opening.at):
        case = cases.open_case(
            customer=customer,
            subject=plan.subject,
            body=opening.body,
            channel=plan.channel,
            order=order,
            priority=plan.priority,
            team=teams[plan.topic.team],
            owner=None if plan.queued else BY_RULES,
        )
    author = case.owner or agents[plan.author.username]
    for message in rest:
        with frozen_at(message.at):
            if message.step == "note":
                cases.add_note(case, author, message.body)
            elif message.step in AGENT_STEPS:
                status = _hold_status(plan) if message.step == "hold" else REPLY_STATUS[message.step]
                cases.reply(case, author, message.body, new_status=status)
            else:
                cases.receive_message(case, body=message.body, channel=plan.channel)

    last = plan.messages[-1].at
    soon = min(last + timedelta(minutes=20), now - timedelta(minutes=1))
    if plan.status == CaseStatus.OPEN and case.status == CaseStatus.NEW:
        # An agent looked at it and set it to open, without writing yet.
        with frozen_at(plan.seen_at or soon):
            cases.change_status(case, CaseStatus.OPEN, actor=author.user)
    if plan.status == CaseStatus.CLOSED:
        # Closed by the agent after the customer's thanks, else by the desk's rule after 4 days.
        by_rule = last + CLOSE_AFTER
        closer = author.user if case.status != CaseStatus.SOLVED or by_rule > now else None
        with frozen_at(soon if closer else by_rule):
            cases.change_status(case, CaseStatus.CLOSED, actor=closer)
    if plan.queued and case.owner_id is not None:
        # The agent who answered put the case back in the team's queue.
        with frozen_at(soon):
            cases.assign(case, None, actor=author.user)
    return case
