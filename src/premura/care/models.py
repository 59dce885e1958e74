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
    # A coupon or free shipping, made on the order's shop platform (commerce.Coupon).
    coupon = models.OneToOneField(
        "commerce.Coupon",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_grant",
        verbose_name=_("coupon on the shop"),
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

    @property
    def redeem_code(self) -> str:
        """The code the customer types: ours, or the one the shop's platform made (once made)."""
        if self.code or self.coupon is None:
            return self.code
        return self.coupon.code if self.coupon.status == "done" else ""


class CarrierAction(models.TextChoices):
    REDELIVERY = "redelivery", _("Deliver again")
    PICKUP_POINT = "pickup_point", _("Redirect to a pickup point")
    NEW_DATE = "new_date", _("Deliver on a new date")
    CLAIM = "claim", _("Open a claim for a lost parcel")


class CarrierTask(models.Model):
    """What an agent asked the carrier to do with one parcel. No carrier connector takes such a
    request yet, so each is a task for the agent (call or write to the carrier), done by hand
    (decision 0028). One open task per incident and action: asking again changes it. A claim for
    a parcel the customer reported lost belongs to the report (`report`), with no incident when
    tracking never saw a problem."""

    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carrier_tasks",
        verbose_name=_("incident"),
    )
    report = models.ForeignKey(
        "ParcelReport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carrier_tasks",
        verbose_name=_("parcel report"),
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
            ),
            models.UniqueConstraint(
                fields=["report", "action"],
                condition=models.Q(done_at__isnull=True),
                name="carrier_task_one_open_per_report",
            ),
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False) | models.Q(report__isnull=False),
                name="carrier_task_incident_or_report",
            ),
        ]

    def __str__(self) -> str:
        return self.get_action_display()

    @property
    def case(self):
        """The case the task is on: its incident's, or its parcel report's."""
        return self.report.case if self.report_id else self.incident.case

    @property
    def shipment(self):
        """The parcel the carrier is asked about (None when a reported order has no shipment)."""
        if self.incident_id:
            return self.incident.shipment
        return self.report.order.shipments.order_by("-pk").first()


class PolicyKind(models.TextChoices):
    LOST_PARCEL = "lost_parcel", _("Parcel not received")
    DAMAGED = "damaged", _("Item arrived damaged")
    CANCEL_BEFORE_SHIPMENT = "cancel_unshipped", _("Cancellation before shipment")
    CANCEL_AFTER_SHIPMENT = "cancel_shipped", _("Cancellation after shipment")


class ResolutionPolicy(models.Model):
    """How the shop resolves one kind of problem, as data its administrator edits (one row per
    kind). A report is resolved on the spot when the policy is active and the customer's trust
    score and the order's total are within its thresholds; otherwise it goes to review and the
    customer is promised a decision within `review_business_days`."""

    kind = models.CharField(_("problem"), max_length=16, choices=PolicyKind.choices, unique=True)
    is_active = models.BooleanField(_("resolve automatically"), default=True)
    min_trust_score = models.PositiveSmallIntegerField(
        _("trust score from"), default=50, help_text=_("0 to 100: customers at or above it are trusted.")
    )
    max_order_total = models.DecimalField(
        _("order total up to"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: any total."),
    )
    offer_reship = models.BooleanField(_("offer to send it again"), default=True)
    offer_refund = models.BooleanField(_("offer a refund"), default=True)
    review_business_days = models.PositiveSmallIntegerField(_("decision within (business days)"), default=3)
    keep_if_found_below = models.DecimalField(
        _("if the parcel turns up, the customer keeps it below"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Below this order total the customer keeps a parcel that turns up late, or gives it away."
        ),
    )
    require_photo = models.BooleanField(_("ask for a photo first"), default=False)
    return_instructions = models.TextField(_("return instructions"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("resolution policy")
        verbose_name_plural = _("resolution policies")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        errors = {}
        if self.min_trust_score > 100:
            errors["min_trust_score"] = _("The trust score goes from 0 to 100.")
        for name in ("max_order_total", "keep_if_found_below"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                errors[name] = _("An amount above 0, or empty.")
        reported = self.kind in (PolicyKind.LOST_PARCEL, PolicyKind.DAMAGED)
        if reported and self.is_active and not (self.offer_reship or self.offer_refund):
            errors["offer_refund"] = _("To resolve reports on its own, the policy must offer a remedy.")
        if self.review_business_days > 30:
            errors["review_business_days"] = _(
                "A decision promised more than 30 business days away is no promise."
            )
        if (
            self.kind == PolicyKind.CANCEL_AFTER_SHIPMENT
            and self.is_active
            and not self.return_instructions.strip()
        ):
            errors["return_instructions"] = _("Write the return instructions the customer is sent.")
        if errors:
            raise ValidationError(errors)


class ReportState(models.TextChoices):
    AWAITING_PHOTO = "awaiting_photo", _("Waiting for a photo")
    IN_REVIEW = "in_review", _("In review")
    AWAITING_CHOICE = "awaiting_choice", _("Waiting for the customer's choice")
    RESOLVED = "resolved", _("Resolved")
    DECLINED = "declined", _("Declined")


class Remedy(models.TextChoices):
    RESHIP = "reship", _("Send it again")
    REFUND = "refund", _("Refund")


class ParcelReport(models.Model):
    """A customer's report that an order's parcel never arrived or arrived damaged, and how the
    shop's policy resolved it: on the spot (the customer chooses the remedy), or after a review
    promised by `decision_due_on`. One report per order and problem."""

    case = models.ForeignKey(
        "conversations.Case", on_delete=models.CASCADE, related_name="parcel_reports", verbose_name=_("case")
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.CASCADE, related_name="parcel_reports", verbose_name=_("order")
    )
    problem = models.CharField(_("problem"), max_length=16, choices=PolicyKind.choices)
    state = models.CharField(_("state"), max_length=16, choices=ReportState.choices)
    trust_score = models.PositiveSmallIntegerField(_("trust score"))
    # The policy's thresholds and the score's parts when it was decided, for the audit.
    assessment = models.JSONField(_("assessment"), default=dict)
    auto_resolved = models.BooleanField(_("resolved automatically"), default=False)
    decision_due_on = models.DateField(_("decision due on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    remedy = models.CharField(_("remedy"), max_length=8, choices=Remedy.choices, blank=True)
    chosen_at = models.DateTimeField(_("chosen at"), null=True, blank=True)
    reshipment = models.OneToOneField(
        "commerce.Reshipment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parcel_report",
        verbose_name=_("re-shipment"),
    )
    refund = models.OneToOneField(
        "commerce.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parcel_report",
        verbose_name=_("refund"),
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("parcel report")
        verbose_name_plural = _("parcel reports")
        constraints = [
            models.UniqueConstraint(fields=["order", "problem"], name="parcel_report_one_per_problem")
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.get_problem_display()} ({self.get_state_display()})"


class StepKind(models.TextChoices):
    REVIEW = "review", _("Our decision on your report")
    CARRIER_CLAIM = "carrier_claim", _("The carrier's answer to our claim")
    REFUND = "refund", _("Your refund reaching your account")
    RESHIPMENT = "reshipment", _("The replacement leaving our warehouse")


class PendingStep(models.Model):
    """Something the customer waits on, with the date we promised it by (a kept promise). The
    periodic check reads only the steps whose `check_at` has come (an index range): before the
    date passes it messages the customer, escalates the case and records it."""

    case = models.ForeignKey(
        "conversations.Case", on_delete=models.CASCADE, related_name="pending_steps", verbose_name=_("case")
    )
    order = models.ForeignKey(
        "commerce.Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pending_steps",
        verbose_name=_("order"),
    )
    kind = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    expected_by = models.DateTimeField(_("expected by"))
    # When the periodic check looks at it: some time before `expected_by`; cleared once checked.
    check_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("customer told of the delay at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    refund = models.ForeignKey(
        "commerce.Refund",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pending_steps",
        verbose_name=_("refund"),
    )
    report = models.ForeignKey(
        ParcelReport,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pending_steps",
        verbose_name=_("parcel report"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pending step")
        verbose_name_plural = _("pending steps")
        ordering = ["expected_by", "pk"]
        indexes = [
            models.Index(
                fields=["check_at"], condition=models.Q(done_at__isnull=True), name="pending_step_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.expected_by:%Y-%m-%d})"
