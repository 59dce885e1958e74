"""Errors of case actions."""

from premura.core.exceptions import DomainError


class CaseError(DomainError):
    """A case action that cannot be done; the message is safe to show to the user."""


class EmptyMessage(CaseError):
    pass


class InvalidStatusChange(CaseError):
    """A status change that `models.STATUS_TRANSITIONS` does not allow (e.g. out of closed)."""


class CaseChanged(CaseError):
    """The case changed between the read and the write (a caller without the row lock): retry."""
