"""The current time, as every service reads it.

Services call `clock.now()` instead of `timezone.now()` so that the demo shop (and tests) can
create a history through the real services: `with clock.frozen_at(when): reply(...)` records the
reply, its audit event and the case's activity at `when`. Outside such a block it is simply
`timezone.now()`. The override is a context variable, so it never leaks across threads or
requests.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[datetime.datetime | None] = ContextVar("premura_clock_frozen", default=None)


def now() -> datetime.datetime:
    """The current instant (aware, UTC), or the frozen one inside `frozen_at`."""
    return _frozen.get() or timezone.now()


@contextmanager
def frozen_at(moment: datetime.datetime) -> Iterator[None]:
    """Make `now()` answer `moment` inside the block. `moment` must be aware."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _frozen.set(moment.astimezone(datetime.UTC))
    try:
        yield
    finally:
        _frozen.reset(token)
