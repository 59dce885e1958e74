from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "premura.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        # Connects the signals that replace the mailboxes' version token on every change.
        from premura.channels import mailboxes  # noqa: F401
