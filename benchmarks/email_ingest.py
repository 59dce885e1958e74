"""N inbound e-mails through the real pipeline: store raw, then parse, classify, thread, file, acknowledge.

    python benchmarks/email_ingest.py [N] [--batch B] [--seed S] [--json] [--profile]

Generates N messages of realistic shape (issue 11, "Benchmark"): about a third are replies to earlier
ones (In-Reply-To our acknowledgement's Message-ID or the customer's own earlier message, quoted
history below), some carry a small PDF or JPEG, some are automatic (out-of-office replies, DSN
bounces of our acknowledgements); Italian and English, names and texts from the demo corpus. Each
message goes through `channels.inbound.accept_inbound` (store raw; its commit rings the Huey doorbell,
which only enqueues: Huey is not immediate); every B messages (--batch, default the worker's
`channels.ingest.BATCH_SIZE`: mail arriving faster than one-by-one filing keeps up with, as on a
busy desk) the first one's doorbell, `channels.ingest.process_arrived`, files the B in one batch
(parse, classify, thread, open or append, acknowledgement queued in the outbox; decision 0025).
Storing is timed per message, filing per batch (each message's share is the batch's time over B).
`--batch 1` files every message on its own, as a quiet desk does. Target: >= 200 messages/s
overall on 2 cores.

A fresh SQLite database in a temp directory (migrated first), or the PostgreSQL database named by
DATABASE_URL (empty, or made by this script: its tables are replaced).
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

try:
    from benchmarks import _data
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _data

from premura.demo import corpus

TARGET_PER_S = 200.0
MAILBOX = "assistenza@bottega-premura.example"
REPLY_SHARE = 0.33  # of all messages: replies to an earlier thread
OOO_SHARE = 0.04  # out-of-office replies to one of our acknowledgements
BOUNCE_SHARE = 0.02  # DSN bounces of one of our acknowledgements
ATTACHMENT_SHARE = 0.10  # of genuine messages
HTML_SHARE = 0.45  # multipart/alternative, as webmail and phones send
REPLY_TO_OURS_SHARE = 0.6  # of replies: to our acknowledgement, else to their own earlier message
RETURNING_SHARE = 0.15  # of new cases: from a customer who already wrote (at most MAX_CASES_EACH)
MAX_CASES_EACH = 2  # keeps every sender under the acknowledgement loop limit (3 in 10 minutes)
RECENT_THREADS = 400  # replies go to one of the latest threads, as they do on a live desk
PG_NOTE = "premura email_ingest"
# The corpus has no auto-reply text: one short line each, as mail servers write them.
OUT_OF_OFFICE = {
    "it": (
        "Risposta automatica: {subject}",
        "Sono fuori sede fino al {date}, con accesso limitato alla posta.",
    ),
    "en": (
        "Automatic reply: {subject}",
        "I am out of the office until {date} with limited access to e-mail.",
    ),
}


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int, nargs="?", help="messages to push through (default 10,000)")
    parser.add_argument("--messages", type=int, help="the same as SIZE")
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="messages that arrive before a doorbell files them (default: channels.ingest.BATCH_SIZE; "
        "1 files each message on its own)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generator (default 1)")
    parser.add_argument(
        "--json", action="store_true", help="print every figure as one JSON object, last line"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the timed calls; top costs to stderr"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database (path printed)")
    args = parser.parse_args(argv)
    if args.size is not None and args.messages is not None and args.size != args.messages:
        parser.error("give the size once")
    args.messages = args.size or args.messages or 10_000
    if args.messages < 10:
        parser.error("--messages must be at least 10")
    if args.batch < 0:
        parser.error("--batch must be at least 1")
    return args


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql") else None


def setup_django(temp_dir: Path) -> str:
    """Environment first (the settings read it once), then django.setup() and migrate on a fresh schema."""
    pg_url = postgres_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "premura.settings"
    if not pg_url:
        os.environ["DATABASE_URL"] = f"sqlite:///{temp_dir / 'ingest.sqlite3'}"
    os.environ["PREMURA_VAR_DIR"] = str(temp_dir / "var")
    os.environ["DEBUG"] = "false"
    os.environ["HUEY_IMMEDIATE"] = "false"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if pg_url:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_schema()")
            name, schema = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            tables = cursor.fetchone()[0]
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = current_database()"
            )
            note = cursor.fetchone()[0] or ""
            if tables and not note.startswith(PG_NOTE):
                raise SystemExit(f"database {name} holds data this benchmark did not make: use an empty one")
            if tables:
                cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
                cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{PG_NOTE}'")
        label = f"PostgreSQL {name}"
    else:
        label = f"SQLite {temp_dir / 'ingest.sqlite3'}"
    log(f"migrating {label}")
    call_command("migrate", verbosity=0, interactive=False)
    return label


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class Person:
    full: str
    first: str
    lang: str
    email: str
    cases: int = 0


@dataclass
class Thread:
    person: Person
    subject: str
    last_body: str
    last_date: float
    their_ids: list[str] = field(default_factory=list)
    ours: tuple[str, str, str] | None = None  # our acknowledgement: (Message-ID, subject, body)
    case_id: int | None = None


def _pdf(rng: random.Random) -> bytes:
    """A small valid-looking one-page PDF (1-4 KB)."""
    stream = b"BT /F1 12 Tf 72 720 Td (Ricevuta) Tj ET\n" * rng.randint(20, 90)
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
        + f"4 0 obj << /Length {len(stream)} >> stream\n".encode()
        + stream
        + b"endstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _jpeg(rng: random.Random) -> bytes:
    """JFIF header, random entropy-coded bytes, end marker (2-8 KB): what a phone photo thumbnail is."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + rng.randbytes(rng.randint(2000, 8000)).replace(b"\xff", b"\x00") + b"\xff\xd9"


class MailGenerator:
    """Messages one at a time: a reply can only name a Message-ID that an earlier message got (ours
    included), so the run tells the generator what each processed message became (`filed`)."""

    def __init__(self, seed: int, n: int):
        self.rng = random.Random(seed)
        self.n = n
        self.people: list[Person] = []
        self.threads: list[Thread] = []
        self.acked: list[Thread] = []  # threads whose acknowledgement we know
        self.clock = time.time() - n * 60.0  # Date headers: one message a minute, up to now
        self.expected = {"new": 0, "reply": 0, "out_of_office": 0, "bounce": 0, "attachments": 0}

    # -- people and texts -----------------------------------------------------------------------

    def _person(self) -> Person:
        rng = self.rng
        returning = [p for p in self.people[-200:] if p.cases < MAX_CASES_EACH]
        if returning and rng.random() < RETURNING_SHARE:
            return rng.choice(returning)
        lang = "it" if rng.random() < 0.7 else "en"
        first, last = rng.choice(_data.FIRST_NAMES[lang]), rng.choice(_data.LAST_NAMES[lang])
        email = f"{corpus.ascii_fold(first)}.{corpus.ascii_fold(last)}{len(self.people) + 1}@" + rng.choice(
            corpus.DEMO_EMAIL_DOMAINS
        )
        person = Person(f"{first} {last}", first, lang, email)
        self.people.append(person)
        return person

    def _values(self, person: Person) -> dict:
        rng = self.rng
        code, carrier, prefix, digits = rng.choice(_data.CARRIERS)
        city, postcode, _province, _country = rng.choice(_data.CITIES[person.lang])
        product = rng.choice(_data.CATALOGUE)
        number = f"PRM-{rng.randint(100000, 999999)}"
        placed = self._date_text(self.clock - rng.randint(3, 20) * 86400, person.lang)
        street = f"{rng.choice(_data.STREETS[person.lang])} {rng.randint(1, 120)}"
        tracking = f"{prefix}{rng.randint(1, 10**digits - 1):0{digits}d}"
        last = person.full.split()[-1]
        return {
            "number": number,
            "placed": placed,
            "promised": self._date_text(self.clock - 86400, person.lang),
            "refund_date": self._date_text(self.clock - 2 * 86400, person.lang),
            "date": placed,
            "day": str(rng.randint(1, 28)),
            "year": time.strftime("%Y"),
            "carrier": carrier,
            "tracking": tracking,
            "tracking_number": tracking,
            "tracking_url": _data.TRACKING_PAGES[carrier].format(tracking_number=tracking, tracking=tracking),
            "product": product[0],
            "amount": f"{product[1]:.2f} €",
            "email": person.email,
            "first": person.first,
            "full": person.full,
            "name": person.full,
            "display_name": person.full,
            "city": city,
            "street": street,
            "street_fixed": street,
            "postcode": postcode,
            "civic": str(rng.randint(1, 120)),
            "ticket": f"R{rng.randint(10**7, 10**8 - 1)}",
            "company": f"{last} S.r.l." if person.lang == "it" else f"{last} Ltd",
            "vat": f"IT{rng.randint(10**10, 10**11 - 1)}",
            "sdi": "M5UXCR1",
            "invoice": f"{rng.randint(100, 999)}/{time.strftime('%Y')}",
        }

    @staticmethod
    def _date_text(t: float, lang: str) -> str:
        d = time.gmtime(t)
        return corpus.date_text(d.tm_year, d.tm_mon, d.tm_mday, lang)

    def _quote(self, body: str, lang: str, date: float, name: str) -> list[str]:
        header = corpus.QUOTE_HEADER[lang].format(date=self._date_text(date, lang), name=name)
        return ["", header, *("> " + line if line else ">" for line in body.split("\n"))]

    # -- messages -------------------------------------------------------------------------------

    def _envelope(self, msg: EmailMessage, person: Person, subject: str) -> str:
        message_id = make_msgid(domain=person.email.rpartition("@")[2])
        msg["From"] = formataddr((person.full, person.email))
        msg["To"] = formataddr((corpus.SHOP_NAME, MAILBOX))
        msg["Subject"] = subject
        msg["Date"] = format_datetime(_utc(self.clock))
        msg["Message-ID"] = message_id
        return message_id

    def _body(self, msg: EmailMessage, text: str) -> None:
        if self.rng.random() < HTML_SHARE:
            msg.set_content(text)
            html = "".join(f"<div>{line or '<br>'}</div>" for line in text.split("\n"))
            msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
        else:
            msg.set_content(text)

    def _attach(self, msg: EmailMessage) -> None:
        if self.rng.random() >= ATTACHMENT_SHARE:
            return
        self.expected["attachments"] += 1
        if self.rng.random() < 0.5:
            msg.add_attachment(_pdf(self.rng), maintype="application", subtype="pdf", filename="ricevuta.pdf")
        else:
            msg.add_attachment(_jpeg(self.rng), maintype="image", subtype="jpeg", filename="IMG_2041.jpg")

    def next(self) -> tuple[str, bytes, Thread | None, str]:
        """(kind, raw bytes, the thread it belongs to, envelope sender)."""
        rng = self.rng
        self.clock += rng.uniform(20, 100)
        r = rng.random()
        if self.acked and r < BOUNCE_SHARE:
            return self._bounce(rng.choice(self.acked[-RECENT_THREADS:]))
        if self.acked and r < BOUNCE_SHARE + OOO_SHARE:
            return self._out_of_office(rng.choice(self.acked[-RECENT_THREADS:]))
        if self.threads and r < BOUNCE_SHARE + OOO_SHARE + REPLY_SHARE:
            return self._reply(rng.choice(self.threads[-RECENT_THREADS:]))
        return self._new()

    def _new(self):
        rng = self.rng
        person = self._person()
        person.cases += 1
        topic = rng.choices(corpus.TOPICS, [t.weight for t in corpus.TOPICS])[0]
        texts = topic.it if person.lang == "it" else topic.en
        values = self._values(person)
        subject = rng.choice(texts["subject"]).format_map(values)
        parts = [
            rng.choice(corpus.CUSTOMER_GREETINGS[person.lang]),
            "",
            rng.choice(texts["open"]).format_map(values),
        ]
        if rng.random() < 0.5:
            parts.append(rng.choice(corpus.CONTEXT_LINES[person.lang]))
        if rng.random() < 0.25:
            parts.append(rng.choice(corpus.COMPLAINTS[person.lang]))
        parts += ["", rng.choice(corpus.CUSTOMER_SIGN_OFFS[person.lang]).format_map(values)]
        if topic.needs_order and rng.random() < 0.4:
            parts += ["", corpus.ORDER_FOOTERS[person.lang].format_map(values)]
        if rng.random() < 0.2:
            parts += ["", corpus.SENT_FROM_PHONE[person.lang]]
        body = "\n".join(parts)
        msg = EmailMessage(policy=SMTP)
        message_id = self._envelope(msg, person, subject)
        self._body(msg, body)
        self._attach(msg)
        thread = Thread(person, subject, body, self.clock, [message_id.strip("<>")])
        self.threads.append(thread)
        self.expected["new"] += 1
        return "new", msg.as_bytes(), thread, person.email

    def _reply(self, thread: Thread):
        rng = self.rng
        person, lang = thread.person, thread.person.lang
        msg = EmailMessage(policy=SMTP)
        to_ours = thread.ours is not None and rng.random() < REPLY_TO_OURS_SHARE
        if to_ours:
            parent_id, subject, quoted = thread.ours
            quoted_name = corpus.SHOP_NAME
        else:
            parent_id, subject, quoted = f"<{thread.their_ids[-1]}>", thread.subject, thread.last_body
            quoted_name = person.full
        short = rng.choice([corpus.NUDGES[lang], corpus.THANKS[lang]])
        parts = [rng.choice(short), person.first]
        if rng.random() < 0.2:
            parts += ["", corpus.SENT_FROM_PHONE[lang]]
        if rng.random() < 0.8:
            parts += self._quote(quoted, lang, thread.last_date, quoted_name)
        body = "\n".join(parts)
        subject = (
            subject
            if subject.lower().startswith(("re:", "r:"))
            else ("R: " if lang == "it" else "Re: ") + subject
        )
        message_id = self._envelope(msg, person, subject)
        msg["In-Reply-To"] = parent_id
        references = [f"<{i}>" for i in thread.their_ids[-5:]]
        if thread.ours:
            references.insert(1, thread.ours[0])
        if parent_id not in references:
            references.append(parent_id)
        msg["References"] = " ".join(references)
        self._body(msg, body)
        self._attach(msg)
        thread.their_ids.append(message_id.strip("<>"))
        thread.last_body, thread.last_date = body, self.clock
        self.expected["reply"] += 1
        return "reply", msg.as_bytes(), thread, person.email

    def _out_of_office(self, thread: Thread):
        person, lang = thread.person, thread.person.lang
        subject_fmt, text = OUT_OF_OFFICE[lang]
        msg = EmailMessage(policy=SMTP)
        self._envelope(msg, person, subject_fmt.format(subject=thread.ours[1]))
        msg["In-Reply-To"] = thread.ours[0]
        msg["References"] = thread.ours[0]
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Autoreply"] = "yes"
        msg.set_content(
            text.format(date=self._date_text(self.clock + 7 * 86400, lang))
            + "\n\n"
            + corpus.CUSTOMER_SIGN_OFFS[lang][0].format(full=person.full, first=person.first)
        )
        self.expected["out_of_office"] += 1
        return "out_of_office", msg.as_bytes(), thread, person.email

    def _bounce(self, thread: Thread):
        """A Postfix-style DSN (multipart/report) returning our acknowledgement's headers."""
        person = thread.person
        our_id, our_subject, _ = thread.ours
        boundary = f"{self.rng.getrandbits(48):012X}.{int(self.clock)}/mx.bottega-premura.example"
        date = format_datetime(_utc(self.clock))
        raw = "\r\n".join(
            [
                "Return-Path: <>",
                f"Date: {date}",
                "From: MAILER-DAEMON@mx.bottega-premura.example (Mail Delivery System)",
                "Subject: Undelivered Mail Returned to Sender",
                f"To: {MAILBOX}",
                "Auto-Submitted: auto-replied",
                "MIME-Version: 1.0",
                f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
                f"Message-ID: {make_msgid(domain='mx.bottega-premura.example')}",
                "",
                "This is a MIME-encapsulated message.",
                "",
                f"--{boundary}",
                "Content-Description: Notification",
                "Content-Type: text/plain; charset=us-ascii",
                "",
                "I'm sorry to have to inform you that your message could not",
                "be delivered to one or more recipients. It's attached below.",
                "",
                f"<{person.email}>: host mx.{person.email.rpartition('@')[2]} said: 550 5.1.1 User unknown",
                "",
                f"--{boundary}",
                "Content-Description: Delivery report",
                "Content-Type: message/delivery-status",
                "",
                "Reporting-MTA: dns; mx.bottega-premura.example",
                "",
                f"Final-Recipient: rfc822; {person.email}",
                "Action: failed",
                "Status: 5.1.1",
                "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
                "",
                f"--{boundary}",
                "Content-Description: Undelivered Message Headers",
                "Content-Type: text/rfc822-headers",
                "",
                f"From: {corpus.SHOP_NAME} <{MAILBOX}>",
                f"To: {person.email}",
                f"Subject: {our_subject}",
                f"Message-ID: {our_id}",
                "Auto-Submitted: auto-replied",
                "",
                f"--{boundary}--",
                "",
            ]
        )
        self.expected["bounce"] += 1
        return "bounce", raw.encode("utf-8"), thread, ""

    def filed(self, kind: str, thread: Thread | None, case_id: int | None, ack: tuple[str, str, str] | None):
        """What processing made of a new message: its case and our acknowledgement, for later replies."""
        if kind == "new" and thread is not None:
            thread.case_id = case_id
            if ack is not None:
                thread.ours = ack
                self.acked.append(thread)


def _utc(t: float):
    import datetime

    return datetime.datetime.fromtimestamp(t, tz=datetime.UTC)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def _statement(sql: str) -> str:
    """A statement's shape: IN lists and literals collapsed, so that the same query counts once."""
    sql = re.sub(r"IN \([^)]*\)", "IN (...)", sql)
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def stage(values: list[float]) -> dict:
    total = sum(values)
    return {
        "total_s": round(total, 3),
        "per_s": round(len(values) / total, 1) if total else None,
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
    }


def run(args: argparse.Namespace, temp_dir: Path) -> dict:
    label = setup_django(temp_dir)
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    from premura.agents.services import create_agent, create_team, set_availability
    from premura.channels.inbound import accept_inbound
    from premura.channels.ingest import BATCH_SIZE, process_arrived
    from premura.channels.models import InboundEmail, Mailbox, OutboundEmail, OutboundKind

    slug, name = corpus.TEAMS[0]
    team = create_team(name=name, slug=slug)
    # The desk: the demo's agents, all of the mailbox's team, one away, so that every new case
    # goes through the assignment rules' whole path (conversations.routing).
    agents = [
        create_agent(
            username=spec.username,
            password=corpus.DEMO_PASSWORD,
            display_name=spec.display_name,
            team=team,
        )
        for spec in corpus.DEMO_AGENTS
    ]
    set_availability(agents[-1], False)
    mailbox = Mailbox.objects.create(
        address=MAILBOX,
        display_name=corpus.SHOP_NAME,
        plus_addressing=True,
        default_team=team,
        default_language="it",
    )
    gen = MailGenerator(args.seed, args.messages)
    batch = args.batch or BATCH_SIZE
    store_t, process_t, batch_t = [], [], []
    raw_bytes = 0
    not_processed = []
    profiler = cProfile.Profile() if args.profile else None
    queries = [0]

    sql_costs: dict[str, list] = {}  # --profile: statement -> [count, seconds]

    def count_queries(execute, sql, params, many, context):
        queries[0] += 1
        if not args.profile:
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            cost = sql_costs.setdefault(_statement(sql), [0, 0.0])
            cost[0] += 1
            cost[1] += time.perf_counter() - start

    store_q = process_q = 0
    log(f"pushing {args.messages:,} messages through accept_inbound -> process_arrived, {batch} a batch")
    wall0 = time.perf_counter()
    done = 0
    while done < args.messages:
        # One batch: `batch` messages arrive (each stored and committed on its own, as the LMTP
        # listener does), then the first one's doorbell files them all (ingest.process_arrived).
        arrived = [gen.next() for _ in range(min(batch, args.messages - done))]
        rows = []
        if profiler:
            profiler.enable()
        with connection.execute_wrapper(count_queries):
            q0 = queries[0]
            for _kind, raw, _thread, sender in arrived:
                raw_bytes += len(raw)
                t0 = time.perf_counter()
                row, created = accept_inbound(
                    mailbox, raw, source="lmtp", envelope_sender=sender, recipients=[MAILBOX]
                )
                store_t.append(time.perf_counter() - t0)
                rows.append((row, created))
            q1 = queries[0]
            t1 = time.perf_counter()
            process_arrived(rows[0][0].pk, size=batch)
            batch_t.append(time.perf_counter() - t1)
        store_q += q1 - q0
        process_q += queries[0] - q1
        if profiler:
            profiler.disable()
        process_t.extend([batch_t[-1] / len(arrived)] * len(arrived))
        # Bookkeeping for later replies, not timed.
        states = dict(
            InboundEmail.objects.filter(pk__in=[row.pk for row, _created in rows]).values_list("pk", "state")
        )
        for n, ((kind, _raw, thread, _sender), (row, created)) in enumerate(zip(arrived, rows, strict=True)):
            if not created or states[row.pk] != "processed":
                not_processed.append((done + n, kind, created, states[row.pk]))
            if kind == "new":
                case_id = InboundEmail.objects.filter(pk=row.pk).values_list("case_id", flat=True).first()
                ack = (
                    OutboundEmail.objects.filter(case_id=case_id, kind=OutboundKind.ACKNOWLEDGEMENT)
                    .values_list("message_id_header", "subject", "body_text")
                    .first()
                )
                gen.filed(kind, thread, case_id, ack)
        done += len(arrived)
        if (done - len(arrived)) // 1000 != done // 1000:
            log(f"  {done:,} messages, {done / (sum(store_t) + sum(batch_t)):.0f}/s")
    wall = time.perf_counter() - wall0
    total_t = [s + p for s, p in zip(store_t, process_t, strict=True)]

    counts, checks = tally(gen, args.messages)
    timed = sum(total_t)
    report = {
        "messages": args.messages,
        "db": label,
        "vendor": connection.vendor,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "raw_mb": round(raw_bytes / 1e6, 2),
        "messages_per_s": round(args.messages / timed, 1),
        "target_per_s": TARGET_PER_S,
        "target_met": args.messages / timed >= TARGET_PER_S,
        "timed_s": round(timed, 2),
        "wall_s": round(wall, 2),
        "store": {**stage(store_t), "queries_per_message": round(store_q / args.messages, 1)},
        "batch_size": batch,
        "process": {**stage(process_t), "queries_per_message": round(process_q / args.messages, 1)},
        "batch": {key: value for key, value in stage(batch_t).items() if key != "per_s"},  # not msg/s
        "per_message": {
            **stage(total_t),
            "queries_per_message": round((store_q + process_q) / args.messages, 1),
        },
        "generated": gen.expected,
        "counts": counts,
        "huey_pending": HUEY.pending_count(),
        "checks": checks,
        "not_processed": not_processed[:20],
        "consistent": all(c["ok"] for c in checks.values()) and not not_processed,
    }
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("premura|email/|sqlite3|psycopg", 45)
        log(out.getvalue())
        log("SQL statements by count (per message, total ms in the database driver):")
        for sql, (count, seconds) in sorted(sql_costs.items(), key=lambda kv: -kv[1][0])[:30]:
            log(f"  {count / args.messages:6.2f}  {seconds * 1000:8.0f} ms  {sql[:160]}")
    return report


def tally(gen: MailGenerator, n: int) -> tuple[dict, dict]:
    """What the database holds afterwards, and whether it is what the generator sent."""
    from django.db.models import Count

    from premura.channels.models import (
        InboundEmail,
        InboundState,
        OutboundEmail,
        OutboundKind,
        OutboundStatus,
    )
    from premura.conversations.models import Attachment, Case, Direction, Message
    from premura.core.models import AuditEvent, Channel

    states = dict(InboundEmail.objects.values_list("state").annotate(n=Count("pk")))
    kinds = dict(InboundEmail.objects.values_list("classification").annotate(n=Count("pk")))
    inbound_messages = Message.objects.filter(direction=Direction.INBOUND, channel=Channel.EMAIL).count()
    cases = Case.objects.count()
    acks = OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
    events = dict(
        AuditEvent.objects.filter(action__startswith="email.").values_list("action").annotate(n=Count("pk"))
    )
    genuine = kinds.get("genuine", 0)
    counts = {
        "inbound_rows": sum(states.values()),
        "states": states,
        "classification": kinds,
        "cases_opened": cases,
        "messages_threaded": inbound_messages - cases,
        "case_messages_linked": InboundEmail.objects.filter(case_message__isnull=False).count(),
        "distinct_case_messages": InboundEmail.objects.exclude(case_message=None)
        .values("case_message")
        .distinct()
        .count(),
        "automatic": kinds.get("automatic", 0),
        "bounces": kinds.get("bounce", 0),
        "automatic_threaded": InboundEmail.objects.filter(classification__in=["automatic", "bounce"])
        .exclude(case=None)
        .count(),
        "acknowledgements_queued": acks.filter(status=OutboundStatus.QUEUED).count(),
        "acknowledgements": acks.count(),
        "attachments": Attachment.objects.count(),
        "audit_events": events,
    }
    exp = gen.expected
    loops = events.get("email.loop_suspected", 0)

    def check(got, want) -> dict:
        return {"ok": got == want, "got": got, "want": want}

    checks = {
        "every_message_stored_once": check(counts["inbound_rows"], n),
        "every_row_processed": check(states.get(InboundState.PROCESSED, 0), n),
        "none_left_waiting": check(
            states.get(InboundState.RECEIVED, 0) + states.get(InboundState.PROCESSING, 0), 0
        ),
        "genuine_as_generated": check(genuine, exp["new"] + exp["reply"]),
        "automatic_as_generated": check(counts["automatic"], exp["out_of_office"]),
        "bounces_as_generated": check(counts["bounces"], exp["bounce"]),
        "each_genuine_one_case_message": check(
            (counts["case_messages_linked"], counts["distinct_case_messages"], inbound_messages),
            (genuine,) * 3,
        ),
        "cases_opened_by_new_messages": check(cases, exp["new"]),
        "replies_threaded": check(counts["messages_threaded"], exp["reply"]),
        "automatic_threaded_to_their_case": check(
            counts["automatic_threaded"], exp["out_of_office"] + exp["bounce"]
        ),
        "one_acknowledgement_per_case": check(counts["acknowledgements_queued"] + loops, cases),
        "attachments_stored": check(counts["attachments"], exp["attachments"]),
    }
    return counts, checks


def print_report(r: dict) -> None:
    print(
        f"\nPremura email_ingest: {r['messages']:,} messages ({r['raw_mb']} MB raw) · Python {r['python']} · "
        f"{r['db']} · {r['cpus']} CPUs"
    )
    print(
        f"overall: {r['messages_per_s']} messages/s (target >= {r['target_per_s']:.0f}: "
        f"{'met' if r['target_met'] else 'NOT met'}); timed {r['timed_s']} s, wall {r['wall_s']} s "
        "(wall includes generating the messages)"
    )
    heads = ["msg/s", "total s", "p50 ms", "p95 ms", "max ms", "SQL/msg"]
    print(f"\n{'stage':<34}" + "".join(f" {h:>8}" for h in heads))
    for key, label in (
        ("store", "store raw (accept_inbound)"),
        ("process", "process (its share of a batch)"),
        ("batch", f"one batch of {r['batch_size']} (process_arrived)"),
        ("per_message", "per message (both)"),
    ):
        s = r[key]
        cells = [
            s.get("per_s", ""),
            s["total_s"],
            s["p50_ms"],
            s["p95_ms"],
            s["max_ms"],
            s.get("queries_per_message", ""),
        ]
        print(f"{label:<34}" + "".join(f" {v:>8}" for v in cells))
    c = r["counts"]
    print(
        f"\ngenerated: {', '.join(f'{k} {v:,}' for k, v in r['generated'].items())}\n"
        f"counts: cases opened {c['cases_opened']:,}, messages threaded {c['messages_threaded']:,}, "
        f"automatic {c['automatic']:,}, bounces {c['bounces']:,} "
        f"({c['automatic_threaded']:,} of both on their case), "
        f"acknowledgements queued {c['acknowledgements_queued']:,}, attachments {c['attachments']:,}; "
        f"rows by state {c['states']}; audit events {c['audit_events']}; "
        f"Huey tasks waiting {r['huey_pending']:,}"
    )
    bad = {k: v for k, v in r["checks"].items() if not v["ok"]}
    print(
        "consistency: "
        + ("every message landed exactly once, counts as generated" if r["consistent"] else f"FAILED {bad}")
        + (f"; not processed: {r['not_processed']}" if r["not_processed"] else "")
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    temp_dir = Path(tempfile.mkdtemp(prefix="premura-email-ingest-"))
    try:
        report = run(args, temp_dir)
        print_report(report)
        if args.json:
            print(json.dumps(report, separators=(",", ":"), default=str))
    finally:
        if args.keep and not postgres_url():
            log(f"kept {temp_dir}")
        else:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0 if report["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
