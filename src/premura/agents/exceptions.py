"""Errors of agent actions."""

from premura.core.exceptions import DomainError


class AgentError(DomainError):
    """An agent action that cannot be done; the message is safe to show to the user."""
