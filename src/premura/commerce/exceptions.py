"""Errors of order, payment and refund actions."""

from premura.core.exceptions import Conflict, DomainError


class OrderError(DomainError):
    """An order action that cannot be done; the message is safe to show to the user."""


class DuplicateOrder(OrderError, Conflict):
    """An order with this number (or this shop id) was already imported."""


class RefundError(OrderError):
    """A refund that cannot be recorded or moved on as asked."""
