"""Rate limits kept in Django's cache (docs/architecture.md, "Security").

A limit is a rate string from the settings, "10/h" (also "s", "m", "d", and "5/10m" for five per
ten minutes). `hit` counts one request against a key with a sliding window: the times of the
requests let through in the last period are kept in the cache, so a limit never opens twice at a
window's edge. It is shared by every process when the cache is Redis (REDIS_URL); with the default
local-memory cache each process counts its own. Logins are limited by django-axes instead, in the
database (settings.py, "Security").
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"(\d+)/(\d*)([smhd])")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """ "10/h" -> Rate(10, 3600). Raises ImproperlyConfigured for anything else (a setting's typo)."""
    match = _RATE.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"{text!r} is not a rate: write it as 10/h, 5/10m, 100/m or 2/s")
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * _UNITS[unit])


def hit(scope: str, key: str, rate: Rate) -> int | None:
    """Count one request of `key` in `scope`. None if it is within `rate`; else the seconds to wait
    before the next one would be, and the request is not counted.

    Not atomic: two requests at the same instant may both pass the last slot, which a limit against
    abuse can afford.
    """
    cache_key = f"throttle:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    now = time.time()
    recent = [at for at in cache.get(cache_key, []) if at > now - rate.seconds]
    if len(recent) >= rate.count:
        return max(1, math.ceil(recent[0] + rate.seconds - now))
    recent.append(now)
    cache.set(cache_key, recent, rate.seconds)
    return None


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind TRUSTED_PROXIES reverse proxies, the one the outermost of them
    saw (the n-th from the right of X-Forwarded-For); the left part is whatever the client sent.
    """
    proxies = settings.TRUSTED_PROXIES
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")
