from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "premura.conversations"
    label = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from premura.agents.signals import availability_changed
        from premura.conversations.services import hand_back_when_away

        availability_changed.connect(hand_back_when_away, dispatch_uid="conversations.hand_back_when_away")
