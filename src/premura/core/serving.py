"""Serving Premura in production: gunicorn's sync workers running the WSGI application.

`premura serve` (core/management/commands/serve.py) builds a `PremuraServer` from its options;
the web systemd unit in deploy/systemd/ runs it. Static files are served by WhiteNoise inside the
application, so one process serves the whole product behind any reverse proxy (docs/architecture.md,
"Deployment").
"""

import os
import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

# Sync workers: one request at a time each, so the count is the number of requests served at once.
# gunicorn's rule of thumb is 2 x CPUs + 1; past a dozen, extra workers mostly add memory (about
# 60-90 MB each) and database connections while they wait on the same CPUs.
MAX_DEFAULT_WORKERS = 12

# method, path without query string, protocol; status, bytes, duration; referrer and user agent.
ACCESS_LOG_FORMAT = '%(h)s - %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# A customer's portal link carries a signed token in its path: whoever reads the logs must not be
# able to open the customer's order with it.
_PORTAL_TOKEN = re.compile(r"(/portal/o/)[^/?#]+")
TOKEN_MASK = "[link]"  # as premura.core.security.MaskPortalLinks writes it in the other logs


def available_cpus() -> int:
    """CPUs this process may run on (a container's or systemd's CPU set), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(cpus: int) -> int:
    """Sync workers for `cpus` CPUs: 2 x cpus + 1, at most MAX_DEFAULT_WORKERS."""
    return min(2 * max(cpus, 1) + 1, MAX_DEFAULT_WORKERS)


def loggable_path(path: str) -> str:
    """A path as the access log writes it: without its query string, a portal token masked.

    Query strings carry what agents search for (customers' names and e-mail addresses) and the
    `next` of a login; they stay out of the logs.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    return _PORTAL_TOKEN.sub(rf"\g<1>{TOKEN_MASK}", path)


def loggable_referrer(referrer: str) -> str:
    if not referrer or referrer == "-":
        return "-"
    parts = urlsplit(referrer)
    return urlunsplit((parts.scheme, parts.netloc, loggable_path(parts.path), "", ""))


class AccessLogger(Logger):
    """gunicorn's logger, whose access lines never hold a query string or a portal token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = loggable_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["q"] = "-"
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["f"] = loggable_referrer(environ.get("HTTP_REFERER", "-"))
        # The raw request line and headers are also offered as atoms ({raw_uri}e, {referer}i):
        # drop them, so no format can bring them back.
        return {k: v for k, v in atoms.items() if not (k.endswith("}e") or k.endswith("}i"))}


class PremuraServer(BaseApplication):
    """gunicorn running an already loaded WSGI application with the given settings.

    The application is loaded once in the master before the workers fork (gunicorn's preload):
    the workers share its memory, and a broken configuration stops `premura serve` at once
    instead of making workers crash in a loop.
    """

    def __init__(self, application: Callable, options: dict):
        self.application = application
        self.options = options
        super().__init__(prog="premura serve")

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        return self.application


def gunicorn_options(
    *, bind: str, workers: int, timeout: int, access_log: str | None, max_requests: int
) -> dict:
    """gunicorn's settings for Premura: sync workers, the access log as above, no control socket.

    gunicorn's control socket (a per-user path by default) would clash between two servers of one
    user; systemd (or a signal) controls the server instead.
    """
    return {
        "bind": [bind],
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": timeout,
        # A worker is replaced after about this many requests (jittered, so not all at once):
        # memory a long-lived process gathers is given back.
        "max_requests": max_requests,
        "max_requests_jitter": max(1, max_requests // 10) if max_requests else 0,
        "accesslog": access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": AccessLogger,
        "errorlog": "-",
        "control_socket_disable": True,
    }
