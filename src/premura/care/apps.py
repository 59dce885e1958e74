from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "premura.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        from premura.care import money, promises, resolution, services
        from premura.commerce.signals import money_action_settled, refund_completed
        from premura.conversations.signals import case_changed
        from premura.shipping.signals import risk_changed

        risk_changed.connect(services.on_risk_changed, dispatch_uid="premura.care.on_risk_changed")
        money_action_settled.connect(
            money.on_money_action_settled, dispatch_uid="premura.care.on_money_action_settled"
        )
        money_action_settled.connect(
            promises.on_money_action_settled, dispatch_uid="premura.care.promises.on_money_action_settled"
        )
        refund_completed.connect(
            promises.on_refund_completed, dispatch_uid="premura.care.promises.on_refund_completed"
        )
        case_changed.connect(
            resolution.on_case_changed, dispatch_uid="premura.care.resolution.on_case_changed"
        )
