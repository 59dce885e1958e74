from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "premura.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from premura.care import services
        from premura.shipping.signals import risk_changed

        risk_changed.connect(services.on_risk_changed, dispatch_uid="premura.care.on_risk_changed")
