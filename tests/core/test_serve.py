"""`premura serve`: gunicorn serving the product, static files by WhiteNoise, access log without secrets."""

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import premura
from premura.core.management.commands.serve import Command
from premura.core.serving import default_workers, loggable_path, loggable_referrer

PREMURA = [sys.executable, "-m", "premura"]
STATIC_FILE = Path(premura.__file__).parent / "console" / "static" / "console" / "console.css"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def served_env(tmp_path_factory):
    """The environment of the served process: a fresh database of its own, migrated once."""
    tmp_path = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'premura.sqlite3'}",
        "PREMURA_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([*PREMURA, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    return env


@pytest.fixture
def server(served_env, tmp_path):
    """`premura serve` with one worker on a free port."""
    port = free_port()
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*PREMURA, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=served_env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"premura serve exited with {process.returncode}: {stderr.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/console/login/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"premura serve did not answer within 60 s: {stderr.read_text()}")
                time.sleep(0.2)
        yield base, process, stdout, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_serve_answers_the_login_page_and_static_files_then_stops_on_sigterm(server):
    base, process, stdout, stderr = server

    status, headers, body = fetch(f"{base}/console/login/")
    assert status == 200
    assert headers["Server"] == "gunicorn"
    assert b'name="username"' in body
    assert b'name="csrfmiddlewaretoken"' in body

    # With DEBUG off Django serves no static file: WhiteNoise does, from the files serve collected.
    status, headers, body = fetch(f"{base}/static/console/console.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert body == STATIC_FILE.read_bytes()
    status, headers, body = fetch(f"{base}/static/console/console.css", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == STATIC_FILE.read_bytes()

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "Booting worker" in stderr.read_text()


def test_a_proxy_on_localhost_says_https_with_x_forwarded_proto(server):
    """Behind Caddy or nginx on the same machine, a login form posted over HTTPS passes Django's
    origin check with no CSRF_TRUSTED_ORIGINS: gunicorn trusts X-Forwarded-Proto from localhost."""
    base, *_ = server
    host = base.removeprefix("http://")
    status, headers, body = fetch(f"{base}/console/login/", {"X-Forwarded-Proto": "https"})
    assert status == 200
    csrf_cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = {"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong-password"}

    def post(proto_headers: dict) -> int:
        request = urllib.request.Request(
            f"{base}/console/login/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Cookie": csrf_cookie, "Origin": f"https://{host}", **proto_headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post({"X-Forwarded-Proto": "https"}) == 200  # the form again: wrong password, no 403
    assert post({}) == 403  # an https origin on a plain-http request


def test_the_access_log_holds_neither_query_strings_nor_portal_tokens(server):
    base, process, stdout, _ = server

    fetch(f"{base}/console/login/?next=/console/%3Fq%3Danna.colombo%40example.it")
    fetch(f"{base}/portal/o/Zm9yZ2VkLXRva2Vu:1tXyZ:abc/", {"Referer": f"{base}/portal/o/Zm9yZ2Vk:1:x/?a=1"})
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)

    lines = stdout.read_text().splitlines()[1:]  # after the fixture's request asking if it is up
    assert len(lines) == 2, lines
    assert '"GET /console/login/ HTTP/1.1" 200 ' in lines[0]
    assert '"GET /portal/o/[link]/ HTTP/1.1" ' in lines[1]
    assert f'"{base}/portal/o/[link]/"' in lines[1]
    log = "\n".join(lines)
    assert "anna.colombo" not in log and "next=" not in log
    assert "Zm9y" not in log and "a=1" not in log


@pytest.mark.parametrize(("cpus", "workers"), [(0, 3), (1, 3), (2, 5), (4, 9), (5, 11), (6, 12), (64, 12)])
def test_default_workers_are_two_per_cpu_plus_one_at_most_twelve(cpus, workers):
    assert default_workers(cpus) == workers


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/console/?q=anna%40example.it&page=2", "/console/"),
        ("/portal/o/abc:1tX:sig/", "/portal/o/[link]/"),
        ("/portal/o/abc:1tX:sig/cases/12/files/3/?download=1", "/portal/o/[link]/cases/12/files/3/"),
        ("/portal/o/abc", "/portal/o/[link]"),
        ("/api/v1/cases#frag", "/api/v1/cases"),
    ],
)
def test_loggable_path(path, logged):
    assert loggable_path(path) == logged


def test_loggable_referrer_keeps_the_origin_and_the_masked_path():
    assert (
        loggable_referrer("https://shop.example/portal/o/tok/?x=1") == "https://shop.example/portal/o/[link]/"
    )
    assert loggable_referrer("-") == "-"
    assert loggable_referrer("") == "-"


def test_the_systemd_unit_starts_serve_with_options_it_has():
    unit = (Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "premura-web.service").read_text()
    [exec_start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    program, command, *arguments = exec_start.removeprefix("ExecStart=").split()
    assert program.endswith("/bin/premura") and command == "serve"
    options = Command().create_parser("premura", "serve").parse_args(arguments)
    assert options.bind == "127.0.0.1:8000"
