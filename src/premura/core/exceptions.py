"""The two kinds of domain error every app's exceptions derive from.

Each app keeps its errors in its own `exceptions.py`; the API maps these two base classes to HTTP
statuses (premura.api.errors), so it never imports a domain app to know how to answer.
"""


class DomainError(Exception):
    """An action that cannot be done as asked; the message is safe to show to the user (422)."""


class Conflict(DomainError):
    """The action would duplicate something that exists already (409)."""
