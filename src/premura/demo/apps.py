from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo shop: no models, only the `load_demo` command. Nothing else imports it."""

    name = "premura.demo"
    label = "demo"
    verbose_name = _("Demo shop")
