"""Errors of shipment and carrier actions."""

from premura.core.exceptions import Conflict, DomainError


class ShipmentError(DomainError):
    """A shipment action that cannot be done; the message is safe to show to the user."""


class DuplicateShipment(ShipmentError, Conflict):
    """The carrier already has a shipment with this tracking number."""
