"""Kept promises (care.promises, decision 0032): a refund sent to the card is promised by its
arrival date, shown in the portal and the console; the money arriving first keeps the promise
silently; otherwise the check, reading only the steps due, tells the customer once, escalates the
case and records it, however many workers run it."""

import datetime
import html
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from premura.agents.models import Notification, NotificationKind
from premura.care import promises
from premura.care.models import PendingStep, StepKind
from premura.channels.models import OutboundEmail
from premura.commerce import services as commerce
from premura.commerce.models import Refund, RefundDestination, RefundStatus
from premura.commerce.signals import money_action_settled
from premura.conversations.models import Case, CaseStatus, Priority
from premura.conversations.services import change_status
from premura.core.audit import events_for
from premura.core.clock import frozen_at
from premura.portal.links import order_path
from tests.commerce.shop import shop_order
from tests.factories.conversations import make_case

ROME = zoneinfo.ZoneInfo("Europe/Rome")
# Monday 30 November 2026, 11:00 in Milan: the refund is sent; its bank should show it by
# Thursday 10 December. The check looks on Friday 11 December at 09:00 (the day over, plus the
# grace for the banks' overnight postings).
MONDAY = datetime.datetime(2026, 11, 30, 11, 0, tzinfo=ROME)
ARRIVAL = datetime.datetime(2026, 12, 10, 11, 0, tzinfo=ROME)
CHECK = datetime.datetime(2026, 12, 11, 9, 0, tzinfo=ROME)


@pytest.fixture
def case(mailbox, customer, anna_order, agent, team):
    with frozen_at(MONDAY):
        return make_case(customer, subject="Rimborso", order=anna_order, owner=agent, team=team)


def refund_sent(case, *, key="r-1", destination=RefundDestination.CARD) -> Refund:
    """What commerce.submission does when the platform accepts the refund: submitted (store
    credit completed at once), then `money_action_settled`."""
    with frozen_at(MONDAY):
        refund = commerce.request_refund(
            case.order, amount=Decimal("20.00"), idempotency_key=key, case=case, destination=destination
        )
        refund = commerce.mark_refund_submitted(refund, expected_arrival_at=ARRIVAL)
        if destination == RefundDestination.STORE_CREDIT:
            refund = commerce.mark_refund_completed(refund)
        money_action_settled.send(sender=Refund, action=refund)
    return refund


def in_utc(moment: datetime.datetime) -> str:
    """An instant as events and notifications store it."""
    return moment.astimezone(datetime.UTC).isoformat()


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def promise_mails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(dedupe_key__startswith="care:promise:").order_by("pk"))


def actions(case) -> list[str]:
    return [event.action for event in events_for(case).order_by("pk") if event.action.startswith("care.")]


def test_a_refund_to_the_card_is_promised_by_its_arrival_and_checked_once_its_day_is_over(case):
    refund = refund_sent(case)
    step = PendingStep.objects.get()
    assert (step.case, step.order, step.kind, step.refund) == (case, case.order, StepKind.REFUND, refund)
    assert step.expected_by == ARRIVAL and step.check_at == CHECK
    assert (step.warned_at, step.done_at) == (None, None)
    assert actions(case) == ["care.promise_made"]
    # The platform's answer told twice (a replayed signal) promises once.
    money_action_settled.send(sender=Refund, action=refund)
    assert PendingStep.objects.count() == 1


def test_store_credit_is_usable_at_once_and_promises_nothing(case):
    refund_sent(case, destination=RefundDestination.STORE_CREDIT)
    assert not PendingStep.objects.exists()


def test_a_refund_from_the_case_page_shows_its_date_in_the_console_and_the_portal(
    client, agent, mailbox, shopify, shop_connection, customer, django_capture_on_commit_callbacks
):
    order = shop_order(shopify, customer)
    case = make_case(customer, order=order, owner=agent)
    client.force_login(agent.user)
    form = {"idempotency_key": "k-1", "reason": "Graffio sul coperchio", "amount": "12.50", "to": "card"}
    with frozen_at(MONDAY), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:case_refund_order", args=[case.pk]), form)
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUBMITTED
    step = PendingStep.objects.get(refund=refund)
    assert step.expected_by == refund.expected_arrival_at
    with frozen_at(MONDAY):
        console = text(client.get(reverse("console:case", args=[case.pk])))
        assert "Promesso al cliente" in console and "entro giovedì 10 dicembre" in console
        assert "Promesso al cliente: L'arrivo del rimborso sul tuo conto" in console  # the timeline
        portal = Client()
        page = text(portal.get(portal.get(order_path(order))["Location"]))
        assert "Cosa stiamo aspettando" in page and "entro giovedì 10 dicembre" in page
        page = text(portal.get(reverse("portal:case", args=[order.pk, case.pk])))
        assert "L'arrivo del rimborso sul tuo conto" in page and "entro giovedì 10 dicembre" in page


def test_the_money_arriving_first_keeps_the_promise_and_nobody_is_warned(
    case, django_capture_on_commit_callbacks
):
    refund = refund_sent(case)
    with frozen_at(ARRIVAL), django_capture_on_commit_callbacks(execute=True):
        commerce.mark_refund_completed(refund)
    step = PendingStep.objects.get()
    assert step.done_at == ARRIVAL and step.check_at is None and step.warned_at is None
    assert promises.check_due_steps(now=CHECK + datetime.timedelta(days=30)) == 0
    assert promise_mails() == []
    assert actions(case) == ["care.promise_made", "care.promise_kept"]
    assert events_for(case).get(action="care.promise_kept").data["late"] is False


def test_a_completion_whose_signal_was_lost_is_kept_at_the_check_without_a_word(case):
    refund = refund_sent(case)
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.COMPLETED)
    assert promises.check_due_steps(now=CHECK) == 1
    assert PendingStep.objects.get().done_at is not None
    assert promise_mails() == [] and not Notification.objects.exists()


def test_past_its_date_the_customer_hears_from_us_once_and_the_case_is_escalated(case, agent, admin):
    change_status(case, CaseStatus.SOLVED)
    refund_sent(case)
    assert promises.check_due_steps(now=CHECK - datetime.timedelta(minutes=1)) == 0
    with frozen_at(CHECK):
        assert promises.check_due_steps() == 1
    (mail,) = promise_mails()
    assert mail.to_address == "anna.colombo@example.it"
    assert mail.subject.startswith(f"Il tuo rimborso per l'ordine {case.order.number}: è arrivato?")
    body = mail.body_text.replace("\xa0", " ")
    assert "il rimborso di 20,00 € per il tuo ordine PRM-100001 sarebbe arrivato" in body
    assert "entro giovedì 10 dicembre" in body and f"Il numero della tua richiesta è {case.number}" in body
    assert mail.message.case == case  # on the timeline and in the portal, the words she got
    case.refresh_from_db()
    assert (case.status, case.priority) == (CaseStatus.OPEN, Priority.HIGH)
    told = Notification.objects.filter(kind=NotificationKind.SLA_BREACH, case=case)
    assert sorted(n.recipient.display_name for n in told) == ["Giulia Bianchi", "Marco Rossi"]
    assert told.first().data == {"target": "promise", "step": "refund", "due_at": in_utc(ARRIVAL)}
    [late] = events_for(case).filter(action="care.promise_late")
    assert late.data["told"] is True and late.data["kind"] == "refund"
    step = PendingStep.objects.get()
    assert step.warned_at == CHECK and step.check_at is None and step.done_at is None
    # The next runs read nothing: the customer is told once.
    assert promises.check_due_steps(now=CHECK + datetime.timedelta(days=5)) == 0
    assert len(promise_mails()) == 1 and told.count() == 2


def test_the_pages_say_the_customer_was_told(client, case, agent):
    refund_sent(case)
    promises.check_due_steps(now=CHECK)
    client.force_login(agent.user)
    with frozen_at(CHECK):
        console = text(client.get(reverse("console:case", args=[case.pk])))
        notifications = text(client.get(reverse("console:notifications")))
    assert "in ritardo" in console and "cliente avvisato del ritardo" in console
    assert "Promessa a rischio: L'arrivo del rimborso sul tuo conto" in console
    assert "Promesso al cliente entro" in notifications and "il cliente è stato avvisato" in notifications
    portal = Client()
    with frozen_at(CHECK):
        page = text(portal.get(portal.get(order_path(case.order))["Location"]))
    assert "Ti abbiamo scritto a riguardo" in page


def test_a_closed_case_stays_closed_and_the_promise_goes_on_in_a_follow_up(case, agent):
    refund_sent(case)
    change_status(case, CaseStatus.CLOSED)
    promises.check_due_steps(now=CHECK)
    follow_up = Case.objects.get(follow_up_of=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert PendingStep.objects.get().case == follow_up
    (mail,) = promise_mails()
    assert mail.message.case == follow_up and follow_up.owner == agent
    assert actions(case) == ["care.promise_made", "care.promise_followed_up"]
    assert "care.promise_late" in actions(follow_up)


def test_the_message_speaks_english_to_an_english_customer(case):
    case.customer.language = "en"
    case.customer.save()
    Case.objects.filter(pk=case.pk).update(language="en")
    refund_sent(case)
    promises.check_due_steps(now=CHECK)
    (mail,) = promise_mails()
    assert mail.subject.startswith("Your refund for order PRM-100001: has it arrived?")
    body = mail.body_text.replace("\xa0", " ")
    assert "should reach your bank by Thursday 10 December" in body
    assert "If it has not arrived yet, we are sorry" in body


@pytest.mark.parametrize(
    ("kind", "italian", "english"),
    [
        ("review", "la nostra decisione sulla tua segnalazione", "our decision on your report"),
        ("carrier_claim", "la risposta del corriere al nostro reclamo", "the carrier's answer to our claim"),
        ("reshipment", "la sostituzione del tuo ordine", "the replacement for your order"),
    ],
)
def test_every_step_has_its_own_words(case, kind, italian, english):
    with frozen_at(MONDAY):
        step = promises.promise(case, kind, ARRIVAL)
    assert step.check_at == ARRIVAL - datetime.timedelta(days=1)  # before the date passes
    promises.check_due_steps(now=step.check_at)
    Case.objects.filter(pk=case.pk).update(language="en")
    with frozen_at(MONDAY):
        promises.promise(case, kind, ARRIVAL + datetime.timedelta(days=1))  # a new date, a new word
    promises.check_due_steps(now=ARRIVAL)
    italian_mail, english_mail = promise_mails()
    assert italian in italian_mail.body_text and "giovedì 10 dicembre" in italian_mail.body_text
    assert english in english_mail.body_text and "Friday 11 December" in english_mail.body_text


def test_promising_again_moves_the_date_and_its_check(case):
    with frozen_at(MONDAY):
        step = promises.promise(case, StepKind.REVIEW, ARRIVAL)
        assert promises.promise(case, StepKind.REVIEW, ARRIVAL) == step  # the same promise: nothing
        later = ARRIVAL + datetime.timedelta(days=3)
        moved = promises.promise(case, StepKind.REVIEW, later)
    assert moved.pk == step.pk and PendingStep.objects.count() == 1
    moved.refresh_from_db()
    assert moved.expected_by == later and moved.check_at == later - datetime.timedelta(days=1)
    assert actions(case) == ["care.promise_made", "care.promise_moved"]
    assert events_for(case).get(action="care.promise_moved").data["old"] == in_utc(ARRIVAL)


def test_a_promise_for_soon_is_checked_halfway_there(case):
    with frozen_at(MONDAY):
        step = promises.promise(case, StepKind.RESHIPMENT, MONDAY + datetime.timedelta(hours=6))
    assert step.check_at == MONDAY + datetime.timedelta(hours=3)


def test_keeping_twice_keeps_once(case):
    with frozen_at(MONDAY):
        step = promises.promise(case, StepKind.CARRIER_CLAIM, ARRIVAL)
    assert promises.keep(step) == 1
    assert promises.keep([step]) == 0
    assert actions(case) == ["care.promise_made", "care.promise_kept"]
    with frozen_at(MONDAY):  # a new promise of the same kind once the first is kept
        assert promises.promise(case, StepKind.CARRIER_CLAIM, ARRIVAL).pk != step.pk


def test_the_check_reads_only_the_steps_due(case):
    with frozen_at(MONDAY):
        due = promises.promise(case, StepKind.REVIEW, MONDAY + datetime.timedelta(days=1))
        promises.promise(case, StepKind.CARRIER_CLAIM, MONDAY + datetime.timedelta(days=20))
        kept = promises.promise(case, StepKind.RESHIPMENT, MONDAY + datetime.timedelta(days=1))
        promises.keep(kept)
    with CaptureQueriesContext(connection) as queries:
        assert promises.check_due_steps(now=due.check_at) == 1
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "care_pendingstep" in q["sql"]]
    first = reads[0]
    assert '"care_pendingstep"."check_at" <=' in first and '"care_pendingstep"."done_at" IS NULL' in first
    assert "ORDER BY" in first and "LIMIT 1" in first
    if connection.vendor == "postgresql":
        assert "FOR UPDATE SKIP LOCKED" in first
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {first}".replace("%s", "'2026-12-01T00:00:00+00:00'"))
            assert "pending_step_due_idx" in " ".join(row[0] for row in cursor.fetchall())
    assert [s.kind for s in PendingStep.objects.filter(warned_at__isnull=False)] == [StepKind.REVIEW]


def test_a_check_that_fails_is_tried_again_later_and_holds_up_nobody(case, monkeypatch):
    with frozen_at(MONDAY):
        first = promises.promise(case, StepKind.REVIEW, MONDAY + datetime.timedelta(days=1))
        second = promises.promise(case, StepKind.CARRIER_CLAIM, MONDAY + datetime.timedelta(days=2))
    check_step = promises.check_step

    def failing(step, *, now):
        if step.pk == first.pk:
            raise RuntimeError("the database blinked")
        return check_step(step, now=now)

    monkeypatch.setattr(promises, "check_step", failing)
    now = second.check_at
    assert promises.check_due_steps(now=now) == 2
    first.refresh_from_db()
    assert first.check_at == now + promises.RETRY_AFTER and first.warned_at is None
    assert len(promise_mails()) == 1  # the second's, not rolled back with the first


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's BEGIN IMMEDIATE (decision 0002) runs one check at a time",
)
def test_two_checks_at_once_tell_the_customer_once(transactional_db, monkeypatch, team):
    """The first check pauses while telling the customer, holding the step's row; the second
    skips the locked row and finds nothing else due. Without SKIP LOCKED (or the lock) the second
    would read the same step and write to the customer again."""
    from premura.channels.models import Mailbox
    from tests.factories.commerce import OrderFactory
    from tests.factories.customers import CustomerFactory, EmailIdentityFactory

    Mailbox.objects.create(address="assistenza@bottega.example", display_name="Bottega", default_team=team)
    customer = CustomerFactory(full_name="Anna Colombo", language="it")
    EmailIdentityFactory(customer=customer, value="anna.colombo@example.it")
    case = make_case(customer, order=OrderFactory(customer=customer), team=team)
    with frozen_at(MONDAY):
        step = promises.promise(case, StepKind.REVIEW, ARRIVAL)
    telling, release = threading.Event(), threading.Event()
    tell = promises._tell_customer
    counts, errors = {}, []

    def pausing_tell(case, step, *, now):
        if threading.current_thread().name == "first":
            telling.set()
            release.wait(timeout=30)
        return tell(case, step, now=now)

    monkeypatch.setattr(promises, "_tell_customer", pausing_tell)

    def check() -> None:
        try:
            counts[threading.current_thread().name] = promises.check_due_steps(now=step.check_at)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=check, name="first")
    second = threading.Thread(target=check, name="second")
    first.start()
    assert telling.wait(timeout=30)
    second.start()
    second.join(timeout=30)
    release.set()
    first.join(timeout=30)
    assert errors == []
    assert counts == {"first": 1, "second": 0}
    assert len(promise_mails()) == 1
    assert events_for(case).filter(action="care.promise_late").count() == 1


def test_an_agent_confirming_the_money_arrived_completes_the_refund_and_keeps_the_promise(
    client, case, agent, django_capture_on_commit_callbacks
):
    refund = refund_sent(case)
    step = PendingStep.objects.get()
    client.force_login(agent.user)
    url = reverse("care:step_done", args=[case.pk, step.pk])
    assert "Il denaro è arrivato" in text(client.get(reverse("console:case", args=[case.pk])))
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("console:case", args=[case.pk])
    refund.refresh_from_db()
    step.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED and step.done_at is not None
    assert events_for(case).get(action="care.promise_kept").actor == agent.user
    assert client.post(url).status_code == 302  # a double click changes nothing
    assert events_for(case).filter(action="care.promise_kept").count() == 1
    assert 'id="pending-steps"' not in text(client.get(reverse("console:case", args=[case.pk])))
    other = make_case(case.customer, order=case.order)
    assert client.post(reverse("care:step_done", args=[other.pk, step.pk])).status_code == 404
