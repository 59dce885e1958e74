"""The SLA listens to the apps below it (connected in SlaConfig.ready; decision 0013)."""

from django.dispatch import receiver

from premura.conversations.signals import case_changed
from premura.customers.signals import customer_changed
from premura.sla import services


@receiver(case_changed, dispatch_uid="sla.refresh_deadlines")
def refresh_on_case_change(sender, *, case, action: str, **kwargs) -> None:
    services.refresh_deadlines(case, cause=action)


@receiver(customer_changed, dispatch_uid="sla.refresh_on_tier")
def refresh_on_tier_change(sender, *, customer, fields: frozenset[str], **kwargs) -> None:
    if "tier" in fields:
        services.refresh_customer_cases(customer.pk, cause="customer.tier_changed")
