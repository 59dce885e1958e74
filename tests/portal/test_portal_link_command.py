"""`premura portal_link` prints links on SITE_URL, and `make run` sets SITE_URL to the server it starts."""

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parents[2]


def test_portal_link_is_on_the_site_url(anna_order, client, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = StringIO()
    call_command("portal_link", "PRM-100001", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith("http://127.0.0.1:8123/portal/o/")
    assert client.get(url.removeprefix("http://127.0.0.1:8123"), follow=True).status_code == 200


def make_run_commands(**env: str) -> list[str]:
    """The commands `make run` would run (make -n), with this environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "run"],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_run_gives_its_own_host_and_port_as_site_url():
    lines = make_run_commands(HOST="127.0.0.1", PORT="8123")
    for command in ("premura portal_link PRM-100001", "premura runserver", "premura run_huey"):
        [line] = [line for line in lines if command in line]
        assert "SITE_URL='http://127.0.0.1:8123' " in line, line
    assert any(line.endswith("runserver --noreload 127.0.0.1:8123") for line in lines), lines


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_run_keeps_a_site_url_that_is_set():
    lines = make_run_commands(PORT="8123", SITE_URL="https://assistenza.bottega.example")
    [line] = [line for line in lines if "premura portal_link PRM-100001" in line]
    assert "SITE_URL='https://assistenza.bottega.example' " in line, line
