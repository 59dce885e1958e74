"""Headers every response carries: a Content-Security-Policy without inline script, no caching of
the console's and the API's pages, HSTS when the site is served over HTTPS."""

import base64
import hashlib
import os
import re
import subprocess
import sys

import pytest

from premura.core.security import content_security_policy

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.fixture
def marco(client, agent):
    client.force_login(agent.user)
    return client


def test_console_and_portal_pages_have_the_strict_policy(marco, anna_portal):
    for path in ("/console/", "/console/login/", anna_portal):
        response = marco.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == POLICY


def test_our_templates_have_no_inline_script_or_style(marco, anna_portal, customer):
    from tests.factories.conversations import make_case

    case = make_case(customer, subject="Pacco")
    for path in ("/console/", f"/console/cases/{case.pk}/", "/console/cases/new/", anna_portal):
        html = marco.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert re.search(r" on[a-z]+=", html) is None, path


def test_htmx_is_told_not_to_inject_its_indicator_style(marco, anna_portal):
    meta = """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>"""
    assert meta in marco.get("/console/").content.decode()
    assert meta in marco.get(anna_portal).content.decode()


def test_the_admin_policy_allows_exactly_its_inline_styles(client, admin, monkeypatch):
    """Django's admin writes one inline <style>, on a change list that hides its actions bar:
    the admin's policy allows that text by its hash, and no other inline style or script."""
    from django.contrib.admin import site

    from premura.core.models import AuditEvent

    monkeypatch.setattr(site._registry[AuditEvent], "actions_on_top", False)
    monkeypatch.setattr(site._registry[AuditEvent], "actions_on_bottom", False)
    client.force_login(admin.user)
    response = client.get("/admin/core/auditevent/")
    assert response.status_code == 200
    html = response.content.decode()
    inline_styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert inline_styles  # the page this test is about
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline_styles
    }
    policy = directives(response)
    assert policy["style-src"].split() == ["'self'", *sorted(hashes)]
    assert policy["script-src"] == "'self'"
    assert not re.search(r"<script(?![^>]*\ssrc=)(?![^>]*application/json)[^>]*>", html)
    assert response["Content-Security-Policy"] == content_security_policy("/admin/")


def test_console_and_api_responses_are_never_stored(marco, agent_api):
    for response in (marco.get("/console/"), marco.get("/console/login/"), agent_api.get("/api/v1/teams")):
        assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_an_unauthenticated_api_answer_is_not_stored_either(client):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/premura/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_hsts_is_sent_over_https(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/console/login/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/console/login/")


@pytest.mark.parametrize(
    ("site_url", "seconds"), [("https://assistenza.example.it", 31536000), ("http://127.0.0.1:8000", 0)]
)
def test_hsts_follows_the_site_url(site_url, seconds, tmp_path):
    env = {
        **os.environ,
        "SITE_URL": site_url,
        "PREMURA_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "premura.settings",
    }
    env.pop("SECURE_HSTS_SECONDS", None)
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == str(seconds)


def test_the_referrer_policy_keeps_our_urls_on_our_site(client, db):
    assert client.get("/console/login/")["Referrer-Policy"] == "same-origin"
