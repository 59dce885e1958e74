"""HTTP defences that hold for every page and every API call (docs/architecture.md, "Security").

- `RequestSizeLimitMiddleware` answers 413 from the Content-Length header alone, before any of
  the body is read: a 300 MB upload is refused, not received and then measured.
- `SecurityHeadersMiddleware` sends a Content-Security-Policy (no inline script or style: our
  templates have none, htmx is told not to inject its indicator style, and the admin's one inline
  style is allowed by its hash) and `Cache-Control: private, no-store` on the console and the API,
  whose pages show customers' data.

HSTS, Referrer-Policy, nosniff and X-Frame-Options are Django's SecurityMiddleware and
XFrameOptionsMiddleware, configured in settings.py's "Security" block.
"""

import base64
import functools
import hashlib
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Pages under these prefixes carry personal data: no cache, shared or private, may keep them.
NO_STORE_PREFIXES = ("/console/", "/api/")

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Django's admin writes one inline <style> (a change list without actions); the policy of /admin/
# allows exactly that text by its hash, read from the installed template so an upgrade stays true.
ADMIN_TEMPLATES_WITH_INLINE_STYLE = ("admin/change_list.html",)
_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@functools.cache
def admin_inline_style_hashes() -> tuple[str, ...]:
    hashes = []
    for name in ADMIN_TEMPLATES_WITH_INLINE_STYLE:
        source = get_template(name).template.source
        for style in _STYLE_ELEMENT.findall(source):
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return tuple(hashes)


@functools.cache
def content_security_policy(path_prefix: str) -> str:
    """The policy for pages under `path_prefix` ("/admin/" or "" for every other page)."""
    directives = dict(BASE_POLICY)
    if path_prefix == "/admin/":
        directives["style-src"] = " ".join(["'self'", *admin_inline_style_hashes()])
    return _policy(directives)


class RequestSizeLimitMiddleware:
    """413 for a request whose Content-Length is over MAX_REQUEST_BYTES, without reading its body.

    Django's own caps (DATA_UPLOAD_MAX_MEMORY_SIZE, the form's size check) only act once the body
    has been received. A body without Content-Length (chunked) is not read by Django's WSGI
    request at all, so it cannot go around this check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return self._too_large(request)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> HttpResponse:
        # Answered before LocaleMiddleware: the language is chosen here, as it would choose it;
        # the API speaks English unless the request asks for another language.
        is_api = request.path.startswith("/api/")
        language = translation.get_language_from_request(request)
        if is_api and not request.headers.get("Accept-Language"):
            language = "en"
        megabytes = settings.MAX_REQUEST_BYTES // (1024 * 1024)
        with translation.override(language):
            detail = _("The request is too large: the limit is %(size)s MB.") % {"size": megabytes}
        if is_api:
            return JsonResponse({"detail": detail}, status=413)
        return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response, `Cache-Control: private, no-store` on the
    console's and the API's. A view that sets its own policy keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's debug pages (DEBUG only) are styled and scripted inline: leave them readable.
        debug_page = settings.DEBUG and response.status_code >= 400
        if "Content-Security-Policy" not in response.headers and not debug_page:
            prefix = "/admin/" if request.path.startswith("/admin/") else ""
            response.headers["Content-Security-Policy"] = content_security_policy(prefix)
        if request.path.startswith(NO_STORE_PREFIXES):
            patch_cache_control(response, private=True, no_store=True)
        return response


_PORTAL_LINK = re.compile(r"/portal/o/[^/\s\"']+")


class MaskPortalLinks(logging.Filter):
    """Log handlers' filter: the token of a signed portal link never reaches a log line.

    The portal leaves the link's URL at once (decision 0006), but the first request, and a refused
    (expired, tampered) link, still name it: runserver's access log and django.request's warnings.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/portal/o/" in message:
            record.msg, record.args = _PORTAL_LINK.sub("/portal/o/[link]", message), None
        return True
