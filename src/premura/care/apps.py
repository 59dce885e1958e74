from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "premura.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from premura.care import money, resolution, services
        from premura.commerce.signals import money_action_settled
        from premura.conversations.signals import case_changed
        from premura.shipping.signals import risk_changed

        risk_changed.connect(services.on_risk_changed, dispatch_uid="premura.care.on_risk_changed")
        money_action_settled.connect(
            money.on_money_action_settled, dispatch_uid="premura.care.on_money_action_settled"
        )
        case_changed.connect(
            resolution.on_case_changed, dispatch_uid="premura.care.resolution.on_case_changed"
        )
