"""What a login locked out by django-axes gets (AXES_LOCKOUT_CALLABLE): 429, with Retry-After.

Too many failed log-ins for a username or from an address (LOGIN_FAILURE_LIMIT) lock both the
console's and the admin's login for LOGIN_COOLOFF_MINUTES; every attempt during the lock starts
the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the whole of it is the
wait.
"""

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600
    minutes = math.ceil(seconds / 60)
    response = render(request, "console/login_locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response
