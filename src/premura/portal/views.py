"""The customer portal: one order opened from a signed link, its tracking, its cases, a contact form.

No password: the signed link is the access (links.py). Opening it (`open_link`) keeps its token in
the session and redirects to the order's page, whose URL holds no token: later URLs, Referer
headers and access logs never carry it (decision 0006). Every other view goes through
`portal_view`, which reads the order's token back from the session, checks it again (signature,
age, owner) and refuses anything else; the getters in queries.py reach cases and files only
through that order. Pages work as plain POST + redirect; with htmx the same URLs answer the forms
with a fragment.
"""

import logging
import zoneinfo
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from premura.commerce.models import Order
from premura.conversations.exceptions import CaseError
from premura.conversations.models import CaseStatus
from premura.conversations.services import receive_message
from premura.core.models import Channel
from premura.core.throttle import client_ip, parse_rate
from premura.core.throttle import hit as throttle_hit
from premura.customers.models import Customer
from premura.portal.forms import ContactForm, ReplyForm
from premura.portal.links import InvalidLink
from premura.portal.queries import (
    access_attachment,
    access_case,
    access_order,
    access_session_order,
    customer_messages,
    order_actions,
    order_cases,
)
from premura.portal.services import open_case_from_portal
from premura.portal.sessions import remember_link
from premura.shop.queries import shop_settings
from premura.sla.display import promise_sentence
from premura.sla.services import promised_time

logger = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Europe/Rome"


def page_language(request: HttpRequest, customer: Customer) -> str:
    """The language switch's choice (its cookie) if any, else the customer's own language."""
    supported = dict(settings.LANGUAGES)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in supported:
        return chosen
    if customer.language in supported:
        return customer.language
    return settings.LANGUAGE_CODE


def customer_time_zone(customer: Customer) -> zoneinfo.ZoneInfo:
    """The customer's own time zone, else the shop's."""
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or shop_settings().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def promise_words(case) -> str:
    """ "by Wednesday 9 December at 18:00" in the page's language, while the desk owes the customer
    an answer with a deadline (sla.services.promised_time); "" otherwise."""
    promise = promised_time(case)
    return promise_sentence(promise, translation.get_language()) if promise else ""


def _private(response: HttpResponse) -> HttpResponse:
    # Pages behind a token show personal data: never cached, never indexed.
    add_never_cache_headers(response)
    patch_vary_headers(response, ["HX-Request"])
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invalid_link(request: HttpRequest, error: InvalidLink) -> HttpResponse:
    return _private(render(request, "portal/invalid_link.html", {"expired": error.expired}, status=403))


@require_GET
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link from an e-mail: checked, kept in the session, then left for a URL without it.

    A bad or expired token gets the invalid-link page (403) and the session is left as it was.
    """
    try:
        order = access_order(token)
    except InvalidLink as error:
        return _invalid_link(request, error)
    remember_link(request, order, token)
    return _private(redirect("portal:order", order_id=order.pk))


def portal_view(view):
    """Give the view the order that this session opened a link for, in the customer's language and
    time zone.

    No link for this order in the session, or one that is no longer valid (expired, the order
    changed hands), gets the invalid-link page (403) and nothing else; a 404 raised by the view
    (a case of another order) gets the portal's own not-found page.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, order_id: int, **kwargs) -> HttpResponse:
        try:
            order = access_session_order(request, order_id)
        except InvalidLink as error:
            return _invalid_link(request, error)
        language = page_language(request, order.customer)
        with translation.override(language), timezone.override(customer_time_zone(order.customer)):
            wait = _throttle_post(request, order)
            try:
                if wait is not None:
                    response = render(request, "portal/too_many.html", {"order": order}, status=429)
                    response["Retry-After"] = str(wait)
                else:
                    response = view(request, order, **kwargs)
            except Http404:
                response = render(request, "portal/not_found.html", {"order": order}, status=404)
        response.headers["Content-Language"] = language
        return _private(response)

    return wrapper


def _throttle_post(request: HttpRequest, order: Order) -> int | None:
    """Seconds to wait if this POST goes over the portal's rates (per order, per address), else None.

    Every form of the portal writes (a case, a message): a script must not fill the desk.
    """
    if request.method != "POST":
        return None
    limits = [
        ("portal-order", str(order.pk), parse_rate(settings.THROTTLE_PORTAL_ORDER)),
        ("portal-ip", client_ip(request), parse_rate(settings.THROTTLE_PORTAL_IP)),
    ]
    for scope, key, rate in limits:
        wait = throttle_hit(scope, key, rate)
        if wait is not None:
            return wait
    return None


@require_GET
@portal_view
def order_page(request: HttpRequest, order: Order) -> HttpResponse:
    context = {"order": order, "cases": order_cases(order), **order_actions(order)}
    return render(request, "portal/order.html", context)


@require_http_methods(["GET", "POST"])
@portal_view
def contact(request: HttpRequest, order: Order) -> HttpResponse:
    form = ContactForm()
    if request.method == "POST":
        form = ContactForm(request.POST, request.FILES)
        if form.is_valid() and form.is_from_a_bot:
            logger.info("portal contact form: honeypot filled on order %s, no case opened", order.pk)
            return render(request, "portal/contact.html", {"order": order, "received": True})
        case = _open_case(order, form) if form.is_valid() else None
        if case is not None and request.htmx:
            context = {"order": order, "case": case, "received": True, "promise": promise_words(case)}
            return render(request, "portal/contact.html#sent", context)
        if case is not None:
            message = _("Thank you: we have received your message. Your case number is %(number)s.")
            messages.success(request, message % {"number": case.number})
            return redirect("portal:case", order_id=order.pk, case_id=case.pk)
    template = "portal/contact.html#form" if request.htmx else "portal/contact.html"
    return render(request, template, {"order": order, "form": form})


def _open_case(order: Order, form: ContactForm):
    upload = form.cleaned_data["attachment"]
    try:
        return open_case_from_portal(
            order=order,
            reason=form.cleaned_data["category"],
            body=form.cleaned_data["message"],
            upload=upload,
            content_type=form.attachment_content_type,
        )
    except CaseError as error:
        form.add_error("message", str(error))
        return None


@require_http_methods(["GET", "POST"])
@portal_view
def case_page(request: HttpRequest, order: Order, case_id: int) -> HttpResponse:
    case = access_case(order, case_id)
    # A closed case stays closed: whoever writes again opens a new one (conversations.services).
    can_reply = case.status != CaseStatus.CLOSED
    form = ReplyForm() if can_reply else None
    sent, status = False, 200
    if request.method == "POST" and can_reply:
        form = ReplyForm(request.POST)
        if form.is_valid() and _reply(case, form):
            if not request.htmx:
                messages.success(request, _("Your reply has been sent."))
                return redirect("portal:case", order_id=order.pk, case_id=case.pk)
            form, sent = ReplyForm(), True
    elif request.method == "POST":
        status = 409
    context = {
        "order": order,
        "case": case,
        "thread": customer_messages(case),
        "form": form,
        "can_reply": can_reply,
        "sent": sent,
        "promise": promise_words(case),
    }
    template = "portal/case.html#thread" if request.htmx else "portal/case.html"
    return render(request, template, context, status=status)


def _reply(case, form: ReplyForm) -> bool:
    try:
        receive_message(case, body=form.cleaned_data["body"], channel=Channel.WEB_FORM)
    except CaseError as error:
        form.add_error("body", str(error))
        return False
    return True


@require_GET
@portal_view
def attachment(request: HttpRequest, order: Order, case_id: int, attachment_id: int) -> HttpResponse:
    file = access_attachment(access_case(order, case_id), attachment_id)
    return FileResponse(
        file.file.open("rb"), as_attachment=True, filename=file.filename, content_type=file.content_type
    )
