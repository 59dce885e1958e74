"""Incidents (one per shipment problem), the notices that told the customer, and the
compensation the shop's policy grants (docs/architecture.md, "Care")."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CareActor(models.TextChoices):
    """Who did what care records in the audit log when no person did: stored as the value,
    translated when shown (the console's `actor_name`), so each agent reads their own language."""

    TRACKING = "tracking", pgettext_lazy("the actor of an automatic change", "Tracking")
    CARE = "care", pgettext_lazy("the actor of an automatic change", "Care")


class Situation(models.TextChoices):
    """What the customer is told about; the first four open an incident, the last two close it."""

    PREDICTED = "predicted", _("Predicted late")
    STALLED = "stalled", _("Stalled")
    EXCEPTION = "exception", _("Carrier exception")
    LOST = "lost", _("Lost")
    DELIVERED_LATE = "delivered_late", _("Delivered after a delay")
    RETURNED = "returned", _("Returned to sender")


# News that is told even when the expected date did not move: the parcel's story ends there.
FINAL_SITUATIONS = frozenset({Situation.LOST, Situation.DELIVERED_LATE, Situation.RETURNED})


class Incident(models.Model):
    """A problem with one shipment, from its first risk signal until the parcel is delivered,
    returned or written off. A shipment has at most one open incident: a second exception on the
    same parcel is news in the same incident."""

    shipment = models.ForeignKey(
        "shipping.Shipment", on_delete=models.CASCADE, related_name="incidents", verbose_name=_("shipment")
    )
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    # The carrier's reason when the situation is an exception (shipping.ExceptionReason).
    exception_reason = models.CharField(_("exception reason"), max_length=16, blank=True)
    expected_date = models.DateField(_("expected delivery date"), null=True, blank=True)
    case = models.OneToOneField(
        "conversations.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incident",
        verbose_name=_("case"),
    )
    # The customer had written about the order before we told them ("we were late telling them"):
    # the incident joined their case and no automatic notice goes out.
    customer_wrote_first = models.BooleanField(_("customer wrote first"), default=False)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["opened_at"], name="incident_opened_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment"], condition=models.Q(closed_at__isnull=True), name="incident_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_situation_display()} · {self.shipment}"


class Notice(models.Model):
    """One thing the customer was told about an incident: a case message and its outbox row."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="notices", verbose_name=_("incident")
    )
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    expected_date = models.DateField(_("expected delivery date"), null=True, blank=True)
    outbound = models.OneToOneField(
        "channels.OutboundEmail",
        on_delete=models.PROTECT,
        related_name="care_notice",
        verbose_name=_("outbound e-mail"),
    )
    # Queued to leave no earlier than this (the end of the customer's quiet hours), else NULL.
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_situation_display()} · {self.expected_date or ''}".strip(" ·")


class Compensation(models.TextChoices):
    COUPON_PERCENT = "coupon_percent", _("Coupon: percentage off")
    COUPON_AMOUNT = "coupon_amount", _("Coupon: amount off")
    FREE_SHIPPING = "free_shipping", _("Free shipping on the next order")
    PARTIAL_REFUND = "partial_refund", _("Partial refund, approved by an agent")
    NOTHING = "nothing", _("Nothing")


# Compensations that the customer redeems with a code.
CODED = frozenset({Compensation.COUPON_PERCENT, Compensation.COUPON_AMOUNT, Compensation.FREE_SHIPPING})


class CompensationRule(models.Model):
    """One row of the shop's compensation table. Rules are tried by `position`; the first whose
    conditions all hold decides (a rule granting "nothing" stops the search too)."""

    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    situation = models.CharField(
        _("situation"), max_length=16, choices=Situation.choices, blank=True, help_text=_("Empty: any.")
    )
    min_order_total = models.DecimalField(
        _("order total from"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_order_total = models.DecimalField(
        _("order total below"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    min_delay_days = models.PositiveIntegerField(_("days of delay from"), null=True, blank=True)
    compensation = models.CharField(_("compensation"), max_length=16, choices=Compensation.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("Percentage for a percentage coupon, amount in the order's currency otherwise."),
    )
    same_category = models.BooleanField(_("only on the delayed item's category"), default=False)
    valid_days = models.PositiveIntegerField(_("valid for (days)"), default=90)

    class Meta:
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A rule a customer could not redeem, or that gives more than the order, is refused."""
        errors = {}
        kind, value = self.compensation, self.value or 0
        if kind == Compensation.COUPON_PERCENT and not 0 < value <= 100:
            errors["value"] = _("A percentage coupon takes a percentage above 0 and at most 100.")
        elif kind in (Compensation.COUPON_AMOUNT, Compensation.PARTIAL_REFUND) and value <= 0:
            errors["value"] = _("Give the amount, above 0.")
        elif kind in (Compensation.FREE_SHIPPING, Compensation.NOTHING) and value:
            errors["value"] = _("This compensation takes no value: leave it at 0.")
        if self.same_category and kind not in (Compensation.COUPON_PERCENT, Compensation.COUPON_AMOUNT):
            errors["same_category"] = _("Only a coupon can be limited to the delayed item's category.")
        low, high = self.min_order_total, self.max_order_total
        if (low is not None and low < 0) or (high is not None and high <= 0):
            errors["min_order_total"] = _("Order totals are amounts above 0.")
        elif low is not None and high is not None and low >= high:
            errors["max_order_total"] = _("The upper order total must be above the lower one.")
        if not self.valid_days:
            errors["valid_days"] = _("A coupon must be valid for at least one day.")
        if errors:
            raise ValidationError(errors)


class Approval(models.TextChoices):
    """Where a grant an agent must approve (a partial refund) stands; "" for the others."""

    AWAITING = "awaiting", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class Grant(models.Model):
    """What the shop gave for one incident: recorded once, with the rule that decided it. A partial
    refund waits for an agent's approval, which requests the refund (commerce) once."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="grant", verbose_name=_("incident")
    )
    rule = models.ForeignKey(
        CompensationRule, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("rule")
    )
    rule_name = models.CharField(_("rule"), max_length=100)
    compensation = models.CharField(_("compensation"), max_length=16, choices=Compensation.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    category = models.CharField(_("category"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=32, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    approval = models.CharField(_("approval"), max_length=16, choices=Approval.choices, blank=True)
    decided_by = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refund = models.OneToOneField(
        "commerce.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_grant",
        verbose_name=_("refund"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=~models.Q(code=""), name="grant_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_compensation_display()} {self.code}".strip()


class CarrierAction(models.TextChoices):
    REDELIVERY = "redelivery", _("Deliver again")
    PICKUP_POINT = "pickup_point", _("Redirect to a pickup point")
    NEW_DATE = "new_date", _("Deliver on a new date")


class CarrierTask(models.Model):
    """What an agent asked the carrier to do with one parcel. No carrier connector takes such a
    request yet, so each is a task for the agent (call or write to the carrier), done by hand
    (decision 0028). One open task per incident and action: asking again changes it."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="carrier_tasks", verbose_name=_("incident")
    )
    action = models.CharField(_("action"), max_length=16, choices=CarrierAction.choices)
    pickup_point = models.CharField(_("pickup point"), max_length=200, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    requested_by = models.ForeignKey(
        "agents.Agent",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_by = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("carrier task")
        verbose_name_plural = _("carrier tasks")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "action"],
                condition=models.Q(done_at__isnull=True),
                name="carrier_task_one_open",
            )
        ]

    def __str__(self) -> str:
        return self.get_action_display()
