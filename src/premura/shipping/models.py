"""Carriers, shipments and their tracking events.

Tracking statuses follow AfterShip's nine normalised tags; each event keeps the carrier's raw code
beside the normalised status, so a wrong mapping can be corrected later without losing anything.
"""

from urllib.parse import quote

from django.db import models
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from premura.shipping.delays.model import OTHER


class Carrier(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # "{tracking_number}" is replaced by the shipment's tracking number, percent-encoded.
    tracking_url_template = models.CharField(_("tracking page URL"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrackingStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    INFO_RECEIVED = "info_received", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Available for pickup")
    ATTEMPT_FAIL = "attempt_fail", _("Delivery attempt failed")
    EXCEPTION = "exception", _("Exception")
    EXPIRED = "expired", _("Tracking expired")
    DELIVERED = "delivered", _("Delivered")


class ExceptionReason(models.TextChoices):
    """Why a parcel is in trouble, in one vocabulary whatever the carrier or provider said. Set on
    an event (and on its shipment) beside the status; empty when nothing is wrong. "unknown" only
    when the provider itself calls the event an exception and its code is not mapped yet.
    """

    DELAY = "delay", _("Delay")
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    ADDRESS = "address", _("Address problem")
    CUSTOMS = "customs", _("Customs")
    WEATHER = "weather", _("Weather")
    RETURNED = "returned", _("Returned to sender")
    REFUSED = "refused", _("Refused")
    UNKNOWN = "unknown", _("Unknown exception")


class DelayLevel(models.TextChoices):
    """How likely the shipment is to miss its promised date (shipping.delays)."""

    LOW = "low", _("Low")
    HIGH = "high", _("High")


class DelaySignal(models.TextChoices):
    """Which of the delay detector's signals raised the risk."""

    EXCEPTION = "exception", _("Carrier exception")
    STALLED = "stalled", _("Stalled")
    PREDICTED = "predicted", _("Predicted late")


# How the desk reads each factor of a delay assessment (shipping.delays): "%(value)s" is its value.
DELAY_FACTOR_LABELS = {
    "exception": _("carrier exception: %(value)s"),
    "no_scan": _("no scan for %(value)s business days"),
    "handover": _("not handed to the carrier %(value)s days after the order"),
    "since_handover": _("%(value)s days since the handover"),
    "vs_usual": _("%(value)s days against the lane's usual transit time"),
    "usual_transit": _("a lane that usually takes %(value)s days"),
    "weekday": _("the day of the week (%(value)s)"),
    "month": _("the season (month %(value)s)"),
    "handover_lag": _("handed over %(value)s days after the order"),
    "since_scan": _("%(value)s days since the last scan"),
    "origin": _("leaving from %(value)s"),
    "destination": _("going to %(value)s"),
    "carrier": _("the carrier (%(value)s)"),
}


def _factor_value(factor: dict) -> str:
    value = factor.get("value", "")
    if factor["factor"] == "exception":
        return str(dict(ExceptionReason.choices).get(value, value))
    if factor["factor"] == "weekday" and value.isdigit():
        return str(WEEKDAYS[int(value)])
    return str(_("elsewhere")) if value == OTHER else value


# Statuses a shipment never leaves: a late "in transit" event must not undo them.
FINAL_TRACKING_STATUSES = frozenset({TrackingStatus.DELIVERED})


class Shipment(models.Model):
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("carrier")
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    status = models.CharField(
        _("status"), max_length=24, choices=TrackingStatus.choices, default=TrackingStatus.PENDING
    )
    # The lane it travels, for norms, the delay model and scorecards: where it leaves from (the
    # warehouse's or seller's region, e.g. "Lombardia") and where it goes (the destination province
    # as the order gives it, e.g. "MI", else the country).
    origin = models.CharField(_("origin"), max_length=64, blank=True)
    destination = models.CharField(_("destination"), max_length=64, blank=True)
    # The reason of the exception the shipment is in now; empty when it is not in trouble.
    exception_reason = models.CharField(
        _("exception reason"), max_length=16, choices=ExceptionReason.choices, blank=True
    )
    promised_delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    estimated_delivery_date = models.DateField(_("estimated delivery date"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True)
    # The delay detector's last word (shipping.delays): empty until it has assessed the shipment.
    delay_level = models.CharField(_("delay risk"), max_length=8, choices=DelayLevel.choices, blank=True)
    delay_signal = models.CharField(_("delay signal"), max_length=16, choices=DelaySignal.choices, blank=True)
    delay_probability = models.FloatField(_("probability of missing the promise"), null=True, blank=True)
    expected_delivery_date = models.DateField(_("expected delivery date"), null=True, blank=True)
    # The main factors: [{"factor": "destination", "value": "RR", "weight": -0.8}, ...].
    delay_factors = models.JSONField(_("delay factors"), default=list, blank=True)
    delay_assessed_at = models.DateTimeField(_("delay assessed at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], name="shipment_tracking_unique")
        ]
        indexes = [
            models.Index(fields=["status", "promised_delivery_date"], name="shipment_status_promise_idx")
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def tracking_url(self) -> str:
        """The carrier's tracking page. The number is percent-encoded as one path or query value:
        it comes from a shop or an API client, and must never add a parameter, a path or a host.
        """
        template = self.carrier.tracking_url_template
        return template.replace("{tracking_number}", quote(self.tracking_number, safe="")) if template else ""

    @property
    def delay_percent(self) -> int | None:
        return None if self.delay_probability is None else round(self.delay_probability * 100)

    @property
    def delay_reasons(self) -> list[str]:
        """The stored factors as sentences for the desk, in the active language."""
        return [
            DELAY_FACTOR_LABELS[f["factor"]] % {"value": _factor_value(f)}
            for f in self.delay_factors
            if f.get("factor") in DELAY_FACTOR_LABELS
        ]

    @property
    def is_late(self) -> bool:
        """Past its promised date and not delivered by then."""
        if self.promised_delivery_date is None:
            return False
        if self.delivered_at is not None:
            return timezone.localdate(self.delivered_at) > self.promised_delivery_date
        return timezone.localdate() > self.promised_delivery_date


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("shipment")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    status = models.CharField(_("status"), max_length=24, choices=TrackingStatus.choices)
    exception_reason = models.CharField(
        _("exception reason"), max_length=16, choices=ExceptionReason.choices, blank=True
    )
    raw_code = models.CharField(_("carrier code"), max_length=64)
    raw_description = models.CharField(_("carrier description"), max_length=300, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    # The provider's id for the event, when it has one: a redelivered webhook is stored once.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_shipment_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "external_id"],
                condition=~models.Q(external_id=""),
                name="tracking_event_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class DelayModel(models.Model):
    """One training of the delay detector: the hazard model's parameters, the stall norms and the
    recalibrated threshold. The newest version is the one in use; older ones stay for audit."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    # The training window: shipments ordered from `data_from`, each as known at the end of `data_until`.
    data_from = models.DateField(_("data from"), null=True, blank=True)
    data_until = models.DateField(_("data until"))
    shipments = models.PositiveIntegerField(_("shipments"))
    delivered = models.PositiveIntegerField(_("delivered shipments"))
    threshold = models.FloatField(_("threshold"))
    parameters = models.JSONField(_("parameters"))
    norms = models.JSONField(_("stall norms"))

    class Meta:
        verbose_name = _("delay model")
        verbose_name_plural = _("delay models")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.data_until})"
