from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "premura.agents"
    label = "agents"
    verbose_name = _("Agents")

    def ready(self) -> None:
        from premura.agents.services import refresh_admin_group

        # After Django's own receiver has created the permissions of the app just migrated.
        post_migrate.connect(refresh_admin_group, dispatch_uid="premura.agents.refresh_admin_group")
