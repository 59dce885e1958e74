from premura.core.exceptions import DomainError


class CareError(DomainError):
    """An agent's action on an incident that cannot be done as asked (the message says why)."""
