"""Errors of the channels app; their messages are safe to show."""

from premura.core.exceptions import DomainError


class ChannelError(Exception):
    pass


class NoRecipient(ChannelError):
    """There is nobody to send the mail to: no address given and none on the customer."""


class InvalidMailbox(ChannelError):
    """A mailbox's settings are not valid; the message names the fields."""


class NotASender(DomainError):
    """The address never wrote into the case: only a case's own senders are offered as identities."""


class UnreadableCredential(ChannelError):
    """A stored mailbox password cannot be decrypted with the installation's keys."""
