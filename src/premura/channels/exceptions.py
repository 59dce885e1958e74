"""Errors of the channels app; their messages are safe to show."""


class ChannelError(Exception):
    pass


class NoRecipient(ChannelError):
    """There is nobody to send the mail to: no address given and none on the customer."""


class InvalidMailbox(ChannelError):
    """A mailbox's settings are not valid; the message names the fields."""
