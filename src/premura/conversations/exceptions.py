class CaseError(Exception):
    """A case action that cannot be done; the message is safe to show to the user."""


class EmptyMessage(CaseError):
    pass
