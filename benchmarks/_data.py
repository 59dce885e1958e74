"""The desk that benchmarks/inbox_scale.py loads: N cases in the shape of the shared benchmark spec.

Rows are plain tuples in the column order of the INSERT statements below, so that the loader can
hand them to sqlite3's executemany without the ORM (a million cases could not go through the
services in reasonable time). Ids are assigned here (1, 2, 3…), in the order of creation time, as
a live desk would have them. The names, places, products and every text come from the demo shop's
corpus (premura.demo.corpus, plain data without Django): this module keeps only the shape (shares,
weights) and the speed.
"""

import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from premura.core.money import format_money
from premura.demo import corpus
from premura.demo.corpus import agent_signature, ascii_fold  # noqa: F401 (inbox_scale uses agent_signature)

DAY = 86400.0
WINDOW_DAYS = 730

# ---------------------------------------------------------------------------------------------
# Reference data: the demo's, with the benchmark's shares
# ---------------------------------------------------------------------------------------------

# Share of cases per queue (a case's team is its queue), by the demo's team slugs.
QUEUE_SHARE = {
    "ordini-e-spedizioni": 35,
    "resi-e-rimborsi": 25,
    "pagamenti": 15,
    "prodotti": 15,
    "account": 10,
}
TEAMS = [(slug, name, QUEUE_SHARE[slug]) for slug, name in corpus.TEAMS]  # (slug, name, weight)
QUEUES = [slug for slug, _, _ in TEAMS]
QUEUE_WEIGHTS = [w for _, _, w in TEAMS]
# The demo's topics of each queue, and their weights within it.
TOPICS = {queue: [t for t in corpus.TOPICS if t.team == queue] for queue in QUEUES}
TOPIC_WEIGHTS = {queue: [t.weight for t in topics] for queue, topics in TOPICS.items()}

AGENT_COUNT = 30
# The demo's agents first, then more names from the same lists.
AGENT_NAMES = [a.display_name for a in corpus.DEMO_AGENTS] + [
    f"{first} {last}"
    for first, last in zip(
        (corpus.ITALIAN_FEMALE + corpus.ITALIAN_MALE)[3::2],
        corpus.ITALIAN_SURNAMES[11:],
        strict=False,
    )
]
AGENT_NAMES = list(dict.fromkeys(AGENT_NAMES))[:AGENT_COUNT]
# Agent k (1-based) owns cases with weight 1/k^0.3: a mildly skewed load.
AGENT_WEIGHTS = [1 / k**0.3 for k in range(1, AGENT_COUNT + 1)]
UNASSIGNED_SHARE = 0.20  # of the cases not yet solved

# (code, name, tracking number prefix, digits): the demo's carriers.
CARRIERS = [(code, name, *corpus.TRACKING_NUMBER_FORMATS[code]) for code, name, _ in corpus.CARRIERS]
CARRIER_WEIGHTS = [corpus.CARRIER_WEIGHTS[code] for code, _, _, _ in CARRIERS]
TRACKING_PAGES = {name: template for _, name, template in corpus.CARRIERS}

# The catalogue: the demo's first 30 products, (name, price, category, sku).
CATALOGUE = [(name, float(price), category, sku) for sku, name, category, price in corpus.PRODUCTS[:30]]
# Occurs in 0.1% of the cases (in their messages), and nowhere else: the search benchmark's word.
RARE_WORD = "Lucciolix"
RARE_PRODUCT = (f"Lanterna solare {RARE_WORD}", 44.90, "Outdoor", "SKU-999")
RARE_EVERY = 1000  # one case in RARE_EVERY
# Topics whose opening message always names the product: the rare cases are about one of them.
RARE_TOPICS = [t for t in corpus.TOPICS if all("{product}" in text for text in t.it["open"] + t.en["open"])]

CHANNELS = ["email", "web_form", "chat", "whatsapp", "messenger", "instagram"]
CHANNEL_WEIGHTS = [55, 15, 10, 12, 4, 4]
PRIORITIES = ["normal", "low", "high", "urgent"]
PRIORITY_WEIGHTS = [80, 5, 12, 3]

# Statuses of the cases still in progress (P(active | age) below), and how they split.
ACTIVE_STATUSES = ["new", "open", "waiting_on_customer", "waiting_on_carrier", "waiting_on_bank"]
ACTIVE_WEIGHTS = [15, 45, 25, 10, 5]
# Case.phase of each status (premura.conversations.models.phase_of; this module stays Django-free).
PHASES = {
    "new": "open",
    "open": "open",
    "waiting_on_customer": "waiting",
    "waiting_on_carrier": "waiting",
    "waiting_on_bank": "waiting",
    "solved": "done",
    "closed": "done",
}

# Messages per case (1..5), mean ≈ 3.
MESSAGE_COUNTS = [1, 2, 3, 4, 5]
MESSAGE_COUNT_WEIGHTS = [10, 25, 30, 20, 15]

FIRST_NAMES = {
    "it": corpus.ITALIAN_FEMALE + corpus.ITALIAN_MALE,
    "en": corpus.ENGLISH_FEMALE + corpus.ENGLISH_MALE,
}
LAST_NAMES = {"it": corpus.ITALIAN_SURNAMES, "en": corpus.ENGLISH_SURNAMES}
# (city, postcode, province, country)
CITIES = {
    "it": [(city, postcodes[0], province, "IT") for city, province, postcodes in corpus.ITALIAN_CITIES],
    "en": [(city, postcode, "", "GB") for city, postcode in corpus.UK_CITIES],
}
STREETS = {"it": corpus.ITALIAN_STREETS, "en": corpus.UK_STREETS}

CONTEXT_SHARE = 0.5
AGENT_EXTRA_SHARE = 0.6
COMPLAINT_SHARE = 0.25
FOOTER_SHARE = 0.40
IPHONE_SHARE = 0.20
QUOTE_SHARE = 0.50


# ---------------------------------------------------------------------------------------------
# INSERT statements (column order of the row tuples)
# ---------------------------------------------------------------------------------------------

INSERTS = {
    "customers_customer": (
        "id",
        "full_name",
        "search_name",
        "language",
        "preferred_channel",
        "time_zone",
        "marketing_consent",
        "tier",
        "notes",
        "created_at",
    ),
    "customers_customeridentity": ("id", "kind", "value", "is_primary", "created_at", "customer_id"),
    "commerce_order": (
        "id",
        "number",
        "status",
        "placed_at",
        "currency",
        "subtotal",
        "shipping_total",
        "total",
        "email",
        "shipping_name",
        "shipping_street",
        "shipping_postcode",
        "shipping_city",
        "shipping_province",
        "shipping_country",
        "source",
        "external_id",
        "customer_id",
    ),
    "commerce_orderline": ("id", "sku", "name", "category", "quantity", "unit_price", "total", "order_id"),
    "commerce_payment": (
        "id",
        "method",
        "state",
        "amount",
        "currency",
        "provider",
        "external_id",
        "authorized_at",
        "captured_at",
        "order_id",
    ),
    "shipping_shipment": (
        "id",
        "tracking_number",
        "status",
        "promised_delivery_date",
        "shipped_at",
        "delivered_at",
        "last_event_at",
        "created_at",
        "carrier_id",
        "order_id",
    ),
    "shipping_trackingevent": (
        "id",
        "occurred_at",
        "status",
        "raw_code",
        "raw_description",
        "location",
        "external_id",
        "received_at",
        "shipment_id",
    ),
    "conversations_case": (
        "id",
        "subject",
        "status",
        "phase",
        "priority",
        "channel",
        "language",
        "created_at",
        "last_activity_at",
        "solved_at",
        "customer_id",
        "order_id",
        "owner_id",
        "team_id",
    ),
    "conversations_message": (
        "id",
        "direction",
        "channel",
        "is_internal",
        "author_name",
        "body",
        "created_at",
        "external_id",
        "author_agent_id",
        "author_customer_id",
        "case_id",
    ),
    "core_auditevent": (
        "id",
        "actor_label",
        "action",
        "subject_id",
        "data",
        "created_at",
        "actor_id",
        "subject_type_id",
    ),
}


def insert_sql(table: str) -> str:
    columns = INSERTS[table]
    return 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table, ", ".join(f'"{c}"' for c in columns), ", ".join("?" * len(columns))
    )


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class Desk:
    """What exists before the bulk rows: ids of teams, agents and carriers (made through the ORM)."""

    team_ids: dict[str, int]  # queue slug -> team id
    agent_ids: list[int]  # agent k-1 -> id, in weight order
    agent_user_ids: list[int]
    agent_names: list[str]
    carrier_ids: list[int]  # in CARRIERS order
    case_content_type_id: int


@dataclass
class Stats:
    cases: int = 0
    messages: int = 0
    customers: int = 0
    orders: int = 0
    active: int = 0
    open: int = 0
    waiting: int = 0
    unassigned_active: int = 0
    rare_cases: int = 0
    subject_chars: int = 0
    message_chars: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_team: dict[str, int] = field(default_factory=dict)


def _fmt_ts(t: float) -> str:
    # Django's SQLite backend stores aware datetimes as naive UTC text.
    return (_EPOCH + timedelta(seconds=t)).isoformat(" ", "microseconds")


_EPOCH = datetime(1970, 1, 1)


class DeskGenerator:
    def __init__(self, n_cases: int, desk: Desk, *, seed: int = 1, now: float | None = None):
        self.n = n_cases
        self.desk = desk
        self.rng = random.Random(seed)
        self.now = now if now is not None else datetime.now(UTC).timestamp()
        self.start = self.now - WINDOW_DAYS * DAY
        self.n_customers = max(1, n_cases // 3)
        self.stats = Stats()
        self.customers: list[tuple[str, str, str, str]] = []  # (full, first, lang, email)
        self.message_id = 0
        self.order_id = 0
        self.shipment_id = 0
        self.event_id = 0
        self.audit_id = 0
        self.tracking_serial = [0] * len(CARRIERS)
        self.order_numbers: list[str] = []  # kept small: a sample for the search benchmark
        self._dates_it: dict[int, str] = {}
        self._dates_en: dict[int, str] = {}

    # -- customers ------------------------------------------------------------------------------

    def customer_rows(self, chunk: int = 50_000):
        """Yields (customers, identities) row lists; fills self.customers for the cases."""
        rng = self.rng
        for base in range(0, self.n_customers, chunk):
            customers, identities = [], []
            for i in range(base, min(base + chunk, self.n_customers)):
                cid = i + 1
                lang = "it" if rng.random() < 0.65 else "en"
                first, last = rng.choice(FIRST_NAMES[lang]), rng.choice(LAST_NAMES[lang])
                domain = rng.choice(corpus.DEMO_EMAIL_DOMAINS)
                full = f"{first} {last}"
                email = f"{ascii_fold(first)}.{ascii_fold(last)}{cid}@{domain}"
                created = _fmt_ts(self.start - rng.random() * 365 * DAY)
                customers.append(
                    (
                        cid,
                        full,
                        " ".join(full.lower().split()),
                        lang,
                        "email",
                        "Europe/Rome" if lang == "it" else "Europe/London",
                        rng.random() < 0.3,
                        "vip" if rng.random() < 0.03 else "standard",
                        "",
                        created,
                    )
                )
                identities.append((cid, "email", email, True, created, cid))
                self.customers.append((full, first, lang, email))
            self.stats.customers += len(customers)
            yield {"customers_customer": customers, "customers_customeridentity": identities}

    # -- cases ----------------------------------------------------------------------------------

    def _date(self, t: float, lang: str) -> str:
        day = int(t // DAY)
        cache = self._dates_it if lang == "it" else self._dates_en
        text = cache.get(day)
        if text is None:
            d = _EPOCH + timedelta(days=day)
            text = corpus.date_text(d.year, d.month, d.day, lang)
            cache[day] = text
        return text

    def case_rows(self, first: int, last: int):
        """Rows of every table for cases first..last-1 (0-based indexes), in one dict."""
        rng = self.rng
        random_ = rng.random
        choice = rng.choice
        choices = rng.choices
        desk = self.desk
        n = self.n
        now = self.now
        start = self.start
        span = WINDOW_DAYS * DAY
        stats = self.stats
        ct_id = desk.case_content_type_id
        out = {t: [] for t in INSERTS if not t.startswith("customers_")}
        cases, messages, audits = (
            out["conversations_case"],
            out["conversations_message"],
            out["core_auditevent"],
        )
        orders, lines, payments = out["commerce_order"], out["commerce_orderline"], out["commerce_payment"]
        shipments, events = out["shipping_shipment"], out["shipping_trackingevent"]

        queues = choices(QUEUES, QUEUE_WEIGHTS, k=last - first)
        channels = choices(CHANNELS, CHANNEL_WEIGHTS, k=last - first)
        priorities = choices(PRIORITIES, PRIORITY_WEIGHTS, k=last - first)
        owners = choices(range(AGENT_COUNT), AGENT_WEIGHTS, k=last - first)
        counts = choices(MESSAGE_COUNTS, MESSAGE_COUNT_WEIGHTS, k=last - first)
        carriers = choices(range(len(CARRIERS)), CARRIER_WEIGHTS, k=last - first)

        for j, i in enumerate(range(first, last)):
            case_id = i + 1
            created = start + (i + random_()) * span / n
            age_days = (now - created) / DAY
            queue = queues[j]
            channel = channels[j]
            cust_index = int(random_() * self.n_customers)
            full, cfirst, lang, email = self.customers[cust_index]
            customer_id = cust_index + 1

            # status
            if random_() < 0.24 + 0.70 * math.exp(-age_days / 60):
                status = choices(ACTIVE_STATUSES, ACTIVE_WEIGHTS)[0]
                owner_k = None if random_() < UNASSIGNED_SHARE else owners[j]
            else:
                status = "solved" if age_days < 7 or random_() < 0.15 else "closed"
                owner_k = owners[j]
            phase = PHASES[status]

            # messages: count consistent with the status
            count = counts[j]
            if status == "new":
                count = 1
            elif status == "open" and count % 2 == 0:
                count += 1
            elif status == "waiting_on_customer" and count % 2 == 1:
                count = count + 1 if count < 5 else count - 1

            # what the case is about
            rare = i % RARE_EVERY == RARE_EVERY // 2
            if rare:
                stats.rare_cases += 1
                product = RARE_PRODUCT
                topic = choice(RARE_TOPICS)
                queue = topic.team
            else:
                product = CATALOGUE[int(random_() * len(CATALOGUE))]
                topic = choices(TOPICS[queue], TOPIC_WEIGHTS[queue])[0]
            sku = product[3]
            texts = topic.it if lang == "it" else topic.en
            has_order = topic.needs_order
            carrier_k = carriers[j]
            carrier = CARRIERS[carrier_k]
            self.tracking_serial[carrier_k] += 1
            tracking = f"{carrier[2]}{self.tracking_serial[carrier_k]:0{carrier[3]}d}"
            quantity = 1 if random_() < 0.8 else 2
            price = product[1]
            shipping = 0.0 if price * quantity >= 49 else 5.90
            total = price * quantity + shipping
            amount = format_money(Decimal(f"{total:.2f}"), "EUR", lang)
            placed = created - (1 + random_() * 20) * DAY
            order_number = ""
            order_id = None
            if has_order:
                self.order_id += 1
                order_id = self.order_id
                order_number = f"PRM-{1_000_000 + order_id}"
                if len(self.order_numbers) < 10_000 and random_() < 0.05:
                    self.order_numbers.append(order_number)
                city = choice(CITIES[lang])
                civic = 1 + int(random_() * 120)
                street_name = choice(STREETS[lang])
                street = f"{street_name} {civic}" if lang == "it" else f"{civic} {street_name}"
                shipped = queue != "pagamenti" or random_() < 0.5
                order_status = (
                    "refunded"
                    if queue == "resi-e-rimborsi" and status in ("solved", "closed")
                    else ("delivered" if age_days > 10 else "shipped")
                    if shipped
                    else "paid"
                )
                placed_s = _fmt_ts(placed)
                orders.append(
                    (
                        order_id,
                        order_number,
                        order_status,
                        placed_s,
                        "EUR",
                        f"{price * quantity:.2f}",
                        f"{shipping:.2f}",
                        f"{total:.2f}",
                        email,
                        full,
                        street,
                        city[1],
                        city[0],
                        city[2],
                        city[3],
                        "shop",
                        "",
                        customer_id,
                    )
                )
                lines.append(
                    (
                        order_id,
                        sku,
                        product[0],
                        product[2],
                        quantity,
                        f"{price:.2f}",
                        f"{price * quantity:.2f}",
                        order_id,
                    )
                )
                method = choices(["card", "paypal", "bank_transfer", "klarna"], [60, 25, 8, 7])[0]
                payments.append(
                    (
                        order_id,
                        method,
                        "refunded" if order_status == "refunded" else "captured",
                        f"{total:.2f}",
                        "EUR",
                        "stripe" if method == "card" else method,
                        f"pay_{order_id:09d}",
                        placed_s,
                        placed_s,
                        order_id,
                    )
                )
                if shipped:
                    self.shipment_id += 1
                    sid = self.shipment_id
                    shipped_at = placed + (0.5 + random_()) * DAY
                    promised = _EPOCH + timedelta(seconds=shipped_at + 3 * DAY)
                    delivered = order_status in ("delivered", "refunded")
                    delivered_at = shipped_at + (1 + random_() * 3) * DAY
                    last_event = min(delivered_at if delivered else shipped_at + DAY, now)
                    shipments.append(
                        (
                            sid,
                            tracking,
                            "delivered" if delivered else "in_transit",
                            promised.date().isoformat(),
                            _fmt_ts(shipped_at),
                            _fmt_ts(delivered_at) if delivered else None,
                            _fmt_ts(last_event),
                            _fmt_ts(placed),
                            desk.carrier_ids[carrier_k],
                            order_id,
                        )
                    )
                    self.event_id += 1
                    events.append(
                        (
                            self.event_id,
                            _fmt_ts(shipped_at),
                            "info_received",
                            "DATI RICEVUTI",
                            "Dati della spedizione ricevuti",
                            "",
                            "",
                            _fmt_ts(shipped_at),
                            sid,
                        )
                    )
                    self.event_id += 1
                    events.append(
                        (
                            self.event_id,
                            _fmt_ts(last_event),
                            "delivered" if delivered else "in_transit",
                            "CONSEGNATA" if delivered else "IN TRANSITO",
                            "Spedizione consegnata" if delivered else "Spedizione in transito",
                            city[0],
                            "",
                            _fmt_ts(last_event),
                            sid,
                        )
                    )

            date = self._date(placed, lang)
            city_name = orders[-1][12] if has_order else choice(CITIES[lang])[0]
            values = {
                "number": order_number,
                "product": product[0],
                "carrier": carrier[1],
                "tracking": tracking,
                "tracking_url": TRACKING_PAGES[carrier[1]].replace("{tracking_number}", tracking),
                "amount": amount,
                "placed": date,
                "promised": date,
                "refund_date": date,
                "email": email,
                "first": cfirst,
                "full": full,
                "city": city_name,
                "street": orders[-1][10] if has_order else "",
                "street_fixed": orders[-1][10] if has_order else "",
                "postcode": orders[-1][11] if has_order else "",
                "civic": "12",
                "ticket": f"R{case_id:08d}",
                "last4": f"{case_id % 10000:04d}",
                "company": f"{full.split()[-1]} S.r.l." if lang == "it" else f"{full.split()[-1]} Ltd",
                "vat": f"IT{10**10 + case_id}" if lang == "it" else f"GB{10**8 + case_id}",
                "sdi": "M5UXCR1",
                "invoice": f"{case_id % 900 + 100}/{date[-4:]}",
            }

            # subject
            subject = choice(texts["subject"]).format_map(values)

            # message times: gaps scaled so that the last one is before now
            gaps = [0.0] + [(0.2 + random_() * 24) * 3600 for _ in range(count - 1)]
            room = now - created - 60
            total_gap = sum(gaps)
            if total_gap > room > 0:
                gaps = [g * room / total_gap for g in gaps]
            t = created
            owner_id = desk.agent_ids[owner_k] if owner_k is not None else None
            author_k = owner_k if owner_k is not None else int(random_() * AGENT_COUNT)
            agent_name = desk.agent_names[author_k]
            agent_id = desk.agent_ids[author_k]
            previous = ""
            # The conversation's steps, as the demo's: open, ask or hold, answer or nudge, solution, thanks.
            asked = random_() < 0.5
            steps = ["open", "ask" if asked else "hold", "answer" if asked else "nudge", "solution", "thanks"]
            for m in range(count):
                t += gaps[m]
                self.message_id += 1
                step = steps[m]
                if m % 2 == 0:  # the customer
                    if step == "open":
                        parts = [
                            choice(corpus.CUSTOMER_GREETINGS[lang]),
                            "",
                            choice(texts["open"]).format_map(values),
                        ]
                        if random_() < CONTEXT_SHARE:
                            parts.append(choice(corpus.CONTEXT_LINES[lang]))
                        if random_() < COMPLAINT_SHARE:
                            parts.append(choice(corpus.COMPLAINTS[lang]))
                        parts += ["", choice(corpus.CUSTOMER_SIGN_OFFS[lang]).format_map(values)]
                        if has_order and random_() < FOOTER_SHARE:
                            parts += ["", corpus.ORDER_FOOTERS[lang].format_map(values)]
                    elif step == "answer":
                        parts = [choice(texts["answer"]).format_map(values), cfirst]
                    else:
                        short = corpus.NUDGES[lang] if step == "nudge" else corpus.THANKS[lang]
                        parts = [choice(short), cfirst]
                    if random_() < IPHONE_SHARE:
                        parts += ["", corpus.SENT_FROM_PHONE[lang]]
                    if m > 0 and random_() < QUOTE_SHARE:
                        parts += [
                            "",
                            corpus.QUOTE_HEADER[lang].format(
                                date=self._date(t - gaps[m], lang), name=agent_name
                            ),
                        ]
                        parts += ["> " + line if line else ">" for line in previous.split("\n")]
                    body = "\n".join(parts)
                    messages.append(
                        (
                            self.message_id,
                            "inbound",
                            channel,
                            False,
                            full,
                            body,
                            _fmt_ts(t),
                            "",
                            None,
                            customer_id,
                            case_id,
                        )
                    )
                else:  # the agent, signed
                    text = choice(texts[step]).format_map(values)
                    if random_() < AGENT_EXTRA_SHARE:
                        text += " " + choice(corpus.AGENT_EXTRA_LINES[lang])
                    body = "\n".join(
                        [
                            choice(corpus.AGENT_GREETINGS[lang]).format_map(values),
                            "",
                            text,
                            "",
                            choice(corpus.AGENT_SIGN_OFFS[lang]),
                            "",
                            agent_signature(agent_name),
                        ]
                    )
                    messages.append(
                        (
                            self.message_id,
                            "outbound",
                            channel,
                            False,
                            agent_name,
                            body,
                            _fmt_ts(t),
                            "",
                            agent_id,
                            None,
                            case_id,
                        )
                    )
                previous = body
                stats.message_chars += len(body)
            last_activity = t

            solved_at = _fmt_ts(last_activity) if status in ("solved", "closed") else None
            created_s = _fmt_ts(created)
            cases.append(
                (
                    case_id,
                    subject,
                    status,
                    phase,
                    priorities[j],
                    channel,
                    lang,
                    created_s,
                    _fmt_ts(last_activity),
                    solved_at,
                    customer_id,
                    order_id,
                    owner_id,
                    desk.team_ids[queue],
                )
            )

            # audit log: opened, assigned, and the last status change
            self.audit_id += 1
            audits.append(
                (
                    self.audit_id,
                    full,
                    "case.opened",
                    case_id,
                    json.dumps({"channel": channel}),
                    created_s,
                    None,
                    ct_id,
                )
            )
            if owner_k is not None:
                self.audit_id += 1
                audits.append(
                    (
                        self.audit_id,
                        "system",
                        "case.assigned",
                        case_id,
                        json.dumps({"owner": agent_name, "owner_id": owner_id}),
                        _fmt_ts(created + 1),
                        None,
                        ct_id,
                    )
                )
            if status not in ("new", "open"):
                self.audit_id += 1
                audits.append(
                    (
                        self.audit_id,
                        agent_name,
                        "case.status_changed",
                        case_id,
                        json.dumps({"old": "open", "new": status}),
                        _fmt_ts(last_activity),
                        desk.agent_user_ids[author_k],
                        ct_id,
                    )
                )

            stats.cases += 1
            stats.messages += count
            stats.subject_chars += len(subject)
            stats.by_status[status] = stats.by_status.get(status, 0) + 1
            stats.by_team[queue] = stats.by_team.get(queue, 0) + 1
            if status not in ("solved", "closed"):
                stats.active += 1
                stats.unassigned_active += owner_k is None
            stats.open += phase == "open"
            stats.waiting += phase == "waiting"
        stats.orders = self.order_id
        return out
