"""Errors of customer actions."""

from premura.core.exceptions import Conflict, DomainError


class CustomerError(DomainError):
    """A customer action that cannot be done; the message is safe to show to the user."""


class IdentityTaken(CustomerError, Conflict):
    """The identity (kind, value) already belongs to a customer."""
