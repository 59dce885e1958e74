"""Every SLA surface in Chromium, at a 390 px phone and at desktop width, in Italian and English:
the notifications and their count, the breached view, "due soonest", the report, the case's
deadlines and their history, the countdown badges, the calendar and policy admin with its preview,
and the "add this address?" notice. Nothing wider than the screen, the page in the language asked
for, no English in an Italian page, dates in that language, empty states that say something."""

import datetime
import re

import pytest

from premura.agents.models import Notification
from premura.agents.services import notify
from premura.conversations import services
from premura.core import clock
from premura.core.audit import record_event
from premura.sla.models import Target
from premura.sla.sweeper import sweep
from tests.browser.test_phone_layout import PHONE, log_in
from tests.factories.conversations import make_case
from tests.factories.sla import make_office_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
LONG_SUBJECT = "Ordine arrivato incompleto: manca la caffettiera e il coperchio della pentola a pressione"
LONG_ADDRESS = "amministrazione.contabilita.fornitori-e-clienti@studio-associato-colombo.example"


@pytest.fixture
def sla_desk(customer, agent, admin, team):
    """A desk with an SLA: cases overdue for days (the sweeper has breached them, told Marco and
    counted the outcomes), one running, one waiting on the customer, one met; a case a stranger
    wrote into from a long address."""
    policy = make_office_policy()
    team.lead = admin
    team.save(update_fields=["lead"])
    now = clock.now()
    with clock.frozen_at(now - datetime.timedelta(days=12)):
        overdue = [
            make_case(customer, subject=f"{LONG_SUBJECT} ({n})", owner=agent, team=team) for n in range(3)
        ]
        answered = make_case(customer, subject="Fattura", owner=agent, team=team)
    with clock.frozen_at(now - datetime.timedelta(days=11)):
        services.reply(answered, agent, "Ecco la fattura.")
        services.change_status(overdue[1], "waiting_on_customer", actor=agent.user)
    with clock.frozen_at(now - datetime.timedelta(days=10)):
        services.change_status(overdue[1], "open", actor=agent.user)
        services.change_priority(overdue[2], "high", actor=agent.user)
    sweep()
    running = make_case(customer, subject="Reso di una tazza", owner=agent, team=team)
    record_event(running, "email.unknown_sender", address=LONG_ADDRESS)
    notify([agent], kind="sla_warning", case_id=running.pk, data={"target": Target.FIRST_RESPONSE})
    return {"policy": policy, "overdue": overdue, "running": running, "calendar": policy.calendar}


@pytest.fixture(params=["it", "en"])
def language(request) -> str:
    return request.param


def browser_page(chromium, language: str, viewport: dict):
    """A new visitor's page: no cookies, the browser asking for `language`."""
    phone = viewport == PHONE
    context = chromium.new_context(
        locale={"it": "it-IT", "en": "en-GB"}[language],
        viewport=viewport,
        is_mobile=phone,
        device_scale_factor=2 if phone else 1,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture(params=["phone", "desktop"])
def viewport(request) -> dict:
    return PHONE if request.param == "phone" else DESKTOP


@pytest.fixture
def visitor(chromium, language, viewport):
    context, page = browser_page(chromium, language, viewport)
    yield page
    context.close()


def sla_urls(desk) -> list[str]:
    running, overdue = desk["running"], desk["overdue"][2]
    return [
        "/console/notifications/",
        "/console/?view=breached",
        "/console/?view=open&sort=due",
        "/console/sla/report/",
        "/console/sla/report/?days=7",
        f"/console/cases/{overdue.pk}/",
        f"/console/cases/{running.pk}/",
        f"/admin/sla/businesscalendar/{desk['calendar'].pk}/change/",
        f"/admin/sla/policy/{desk['policy'].pk}/change/",
        "/admin/sla/policy/",
    ]


# Words of our interface (and date forms) that must not show in a page of the other language.
ENGLISH = re.compile(
    r"\b(due by|overdue|Deadlines?|Notifications|system|because|Missed|History|Preview|Unread)\b"
    r"|\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
    r"|\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
ITALIAN = re.compile(
    r"\b(entro|scadenz[ae]|Scadenz[ae]|Notifiche|perché|Rispettate|Superate|Storia|Anteprima)\b"
    r"|\b\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic)\b"
    r"|\b(lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)\b"
)
# A deadline as the page's language writes it: "entro 23 nov, 12:09" / "due by 23 Nov, 12:09".
DEADLINE = {
    "it": re.compile(r"entro \d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic), \d{2}:\d{2}"),
    "en": re.compile(r"due by \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d{2}:\d{2}"),
}


def fits(page, viewport: dict) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width}px wide on a {viewport['width']}px screen"


# The words of the elements matched that are split over two lines ("Me" / "t").
BROKEN_WORDS = """selector => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    const texts = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      for (const word of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


def words_whole(page, selector: str) -> None:
    assert page.evaluate(BROKEN_WORDS, selector) == [], page.url


def speaks(page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language, page.url
    text = page.inner_text("body")
    other = (ITALIAN if language == "en" else ENGLISH).search(text)
    assert other is None, f"{page.url} in {language} says {other.group(0)!r}"


def test_every_sla_page_fits_the_screen_and_speaks_the_visitor_s_language(
    visitor, language, viewport, live_server, admin, sla_desk
):
    log_in(visitor, live_server, admin.user)
    for url in sla_urls(sla_desk):
        visitor.goto(f"{live_server.url}{url}")
        fits(visitor, viewport)
        speaks(visitor, language)
        if "/report/" in url:
            words_whole(visitor, ".report th, .report td")
            frames = visitor.locator(".report .table-frame")
            assert frames.count() == 5
            sizes = frames.evaluate_all("frames => frames.map(f => [f.scrollWidth, f.clientWidth])")
            assert all(scroll <= width for scroll, width in sizes), (url, sizes)  # no scrolling inside
    # The case's deadlines and their history, opened.
    visitor.goto(f"{live_server.url}/console/cases/{sla_desk['overdue'][2].pk}/")
    deadlines = visitor.locator(".deadlines-card")
    assert DEADLINE[language].search(deadlines.inner_text())
    deadlines.locator("summary").click()
    assert deadlines.locator(".deadline-history li").count() >= 2
    fits(visitor, viewport)
    speaks(visitor, language)


def test_the_countdown_badges_and_the_unread_count(visitor, language, viewport, live_server, agent, sla_desk):
    log_in(visitor, live_server, agent.user)
    visitor.goto(f"{live_server.url}/console/?view=breached")
    badges = visitor.locator("[data-sla=breached]")
    assert badges.count() == 4
    first = badges.first
    # "−12 g 5 h" / "−12 d 5 h", its deadline in its title in the page's language.
    unit = {"it": "g", "en": "d"}[language]
    assert re.search(rf"−\d+ {unit} \d+ h", first.inner_text())
    title = {"it": "Scadenza superata: ", "en": "Deadline passed: "}[language]
    assert first.get_attribute("title").startswith(title)
    speaks(visitor, language)
    count = visitor.locator("[data-notification-count]")
    assert count.inner_text() == str(Notification.objects.filter(recipient=agent).count())
    visitor.goto(f"{live_server.url}/console/?view=open&sort=due")
    sort = visitor.get_by_label({"it": "Ordina per", "en": "Sort by"}[language])
    assert sort.input_value() == "due"
    states = visitor.locator("td.due [data-sla]").evaluate_all("els => els.map(e => e.dataset.sla)")
    assert states == ["breached"] * 4 + ["ok"]  # the earliest deadline first
    fits(visitor, viewport)


def test_a_new_agent_sees_empty_states_that_say_something(visitor, language, viewport, live_server, agent):
    make_office_policy()
    log_in(visitor, live_server, agent.user)
    says = {
        "/console/notifications/": {
            "it": "Nessuna notifica. Qui ti avvisiamo quando un tuo caso",
            "en": "No notifications. You are told here when a case of yours",
        },
        "/console/?view=breached": {
            "it": "Nessun caso qui ha superato la sua scadenza.",
            "en": "No case here has missed its deadline.",
        },
        "/console/?view=open&sort=due": {
            "it": "Nessun caso qui ha una scadenza in corso.",
            "en": "No case here has a running deadline.",
        },
        "/console/sla/report/": {
            "it": "Nessuna scadenza rispettata o superata in questo periodo.",
            "en": "No deadline was met or missed in this period.",
        },
    }
    for url, words in says.items():
        visitor.goto(f"{live_server.url}{url}")
        assert words[language] in visitor.inner_text("main"), url
        fits(visitor, viewport)
        speaks(visitor, language)
    assert visitor.locator("[data-notification-count]").count() == 0


def test_the_add_address_notice_is_reached_and_pressed_from_the_keyboard(
    visitor, language, viewport, live_server, agent, sla_desk
):
    log_in(visitor, live_server, agent.user)
    visitor.goto(f"{live_server.url}/console/cases/{sla_desk['running'].pk}/")
    notice = visitor.locator(".identity-notices .notice")
    words = {"it": "aggiungerlo agli indirizzi di Anna Colombo?", "en": "add to Anna Colombo's addresses?"}
    assert LONG_ADDRESS in notice.inner_text() and words[language] in notice.inner_text()
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    button = notice.get_by_role(
        "button", name={"it": "Aggiungi l'indirizzo", "en": "Add the address"}[language]
    )
    button.focus()
    visitor.keyboard.press("Enter")
    added = {"it": f"ha aggiunto {LONG_ADDRESS}", "en": f"added {LONG_ADDRESS}"}[language]
    visitor.get_by_text(added).wait_for()
    assert visitor.locator(".identity-notices .notice").count() == 0
    fits(visitor, viewport)
    speaks(visitor, language)
