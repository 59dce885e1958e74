"""Carriers, shipments and their tracking events.

Tracking statuses follow AfterShip's nine normalised tags; each event keeps the carrier's raw code
beside the normalised status, so a wrong mapping can be corrected later without losing anything.
"""

import datetime
from decimal import Decimal
from urllib.parse import quote

from django.db import models
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from premura.core import encryption
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

    LOST = "lost", _("Presumed lost")
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
    "destination_late": _("%(value)s of the recent parcels to this destination came late"),
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
            models.Index(fields=["status", "promised_delivery_date"], name="shipment_status_promise_idx"),
            # Webhooks and imports name a parcel by its tracking number, the carrier in their words.
            models.Index(fields=["tracking_number"], name="shipment_tracking_number_idx"),
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
    def revised_delivery_date(self) -> datetime.date | None:
        """The later date the customer is now told, while the parcel travels and the detector
        expects it after the promise; None otherwise (the promise stands). Never earlier than the
        promise: a shop does not take back a date it gave at checkout."""
        expected, promised = self.expected_delivery_date, self.promised_delivery_date
        if self.delivered_at is not None or expected is None:
            return None
        if promised is not None and expected <= promised:
            return None
        return expected

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

    @property
    def is_exception(self) -> bool:
        return is_exception(self.status, self.exception_reason)


def is_exception(status: str, exception_reason: str) -> bool:
    """The carrier says something is wrong: an exception status, or any exception reason (in
    SQL: EXCEPTION_EVENT)."""
    return status == TrackingStatus.EXCEPTION or bool(exception_reason)


# The same rule as is_exception, for queries.
EXCEPTION_EVENT = models.Q(status=TrackingStatus.EXCEPTION) | ~models.Q(exception_reason="")


# The carrier scorecard (docs/architecture.md, "Carrier scorecard"): one summary row per carrier,
# lane and month, kept up to date as shipments change, so the page reads a few thousand rows
# whatever the number of shipments.

# The delay histogram's bins in whole days late: (first day, last day or None for "and more",
# column). One-day bins where most delays fall, so the 90th percentile read from the histogram is
# exact there and within the bin's width beyond.
DELAY_BINS = (
    (0, 0, "delay_0"),
    (1, 1, "delay_1"),
    (2, 2, "delay_2"),
    (3, 3, "delay_3"),
    (4, 4, "delay_4"),
    (5, 5, "delay_5"),
    (6, 6, "delay_6"),
    (7, 9, "delay_7_9"),
    (10, 13, "delay_10_13"),
    (14, 20, "delay_14_20"),
    (21, 29, "delay_21_29"),
    (30, None, "delay_30_plus"),
)


class CarrierLaneMonth(models.Model):
    """What the shipments of one carrier on one lane, created in one month, did. Counters only,
    changed by shipping.scorecard with F() updates; `premura rebuild_carrier_scorecard` recomputes
    them from the shipments."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="+", verbose_name=_("carrier")
    )
    origin = models.CharField(_("origin"), max_length=64)
    destination = models.CharField(_("destination"), max_length=64)
    month = models.DateField(_("month"))  # its first day
    shipments = models.PositiveIntegerField(_("shipments"), default=0)
    # Delivered shipments that had a promised date: the ground of the on-time rate and the delays.
    delivered = models.PositiveIntegerField(_("delivered with a promised date"), default=0)
    on_time = models.PositiveIntegerField(_("delivered on time"), default=0)
    delay_days_total = models.PositiveIntegerField(_("days late in all"), default=0)
    delay_0 = models.PositiveIntegerField(_("on time"), default=0)
    delay_1 = models.PositiveIntegerField(_("1 day late"), default=0)
    delay_2 = models.PositiveIntegerField(_("2 days late"), default=0)
    delay_3 = models.PositiveIntegerField(_("3 days late"), default=0)
    delay_4 = models.PositiveIntegerField(_("4 days late"), default=0)
    delay_5 = models.PositiveIntegerField(_("5 days late"), default=0)
    delay_6 = models.PositiveIntegerField(_("6 days late"), default=0)
    delay_7_9 = models.PositiveIntegerField(_("7–9 days late"), default=0)
    delay_10_13 = models.PositiveIntegerField(_("10–13 days late"), default=0)
    delay_14_20 = models.PositiveIntegerField(_("14–20 days late"), default=0)
    delay_21_29 = models.PositiveIntegerField(_("21–29 days late"), default=0)
    delay_30_plus = models.PositiveIntegerField(_("30 days late or more"), default=0)
    exceptions = models.PositiveIntegerField(_("with an exception"), default=0)
    lost = models.PositiveIntegerField(_("lost"), default=0)
    contacts = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("carrier scorecard row")
        verbose_name_plural = _("carrier scorecard rows")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "carrier", "origin", "destination"], name="carrier_lane_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.origin} → {self.destination}"


class ScorecardEntry(models.Model):
    """What one shipment adds to its CarrierLaneMonth row now. The scorecard compares it with what
    the shipment adds after a change and applies the difference, so each change costs one row
    update, and a shipment is never counted twice."""

    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("shipment")
    )
    # True once the carrier has reported an event.
    is_counted = models.BooleanField(_("counted"), default=False)
    is_delivered = models.BooleanField(_("delivered with a promised date"), default=False)
    # Days after the promised date, 0 if on time; null until delivered.
    delay_days = models.PositiveIntegerField(_("days late"), null=True)
    had_exception = models.BooleanField(_("had an exception"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)
    # Cases opened on its order since it was created.
    contacts = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("scorecard entry")
        verbose_name_plural = _("scorecard entries")

    def __str__(self) -> str:
        return str(self.shipment_id)


class ScorecardThresholds(models.Model):
    """When a carrier is flagged for a contract review. One row, edited by administrators in the
    admin; the defaults apply until someone saves it."""

    min_on_time_percent = models.DecimalField(
        _("on-time rate below (%)"), max_digits=5, decimal_places=2, default=Decimal(90)
    )
    max_exception_percent = models.DecimalField(
        _("exception rate above (%)"), max_digits=5, decimal_places=2, default=Decimal(5)
    )
    max_lost_percent = models.DecimalField(
        _("loss rate above (%)"), max_digits=5, decimal_places=2, default=Decimal(1)
    )
    max_contacts_per_100 = models.DecimalField(
        _("cases per 100 shipments above"), max_digits=6, decimal_places=2, default=Decimal(25)
    )
    min_shipments = models.PositiveIntegerField(
        _("judge only carriers with at least"),
        default=30,
        help_text=_("Shipments in the period; fewer say too little to flag a carrier."),
    )

    class Meta:
        verbose_name = _("scorecard thresholds")
        verbose_name_plural = _("scorecard thresholds")

    def __str__(self) -> str:
        return str(_("Carrier scorecard thresholds"))


class TrackingProvider(models.TextChoices):
    AFTERSHIP = "aftership", "AfterShip"
    SHIPPO = "shippo", "Shippo"
    EASYPOST = "easypost", "EasyPost"
    GENERIC = "generic", _("Own system (signed JSON)")


# The purpose string of the webhook secrets' encryption key (premura.core.encryption).
SECRET_PURPOSE = b"premura.shipping.tracking-source-secret"


class TrackingSource(models.Model):
    """A sender of tracking webhooks: one provider account (or the shop's own system), its URL
    slug and the secret it signs with (a Shippo source: the token in its URL). The secret is stored
    encrypted (decision 0012) and never shown back."""

    provider = models.CharField(_("provider"), max_length=16, choices=TrackingProvider.choices)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"), max_length=50, unique=True, help_text=_("The last part of its webhook URL.")
    )
    secret_encrypted = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # In clear for the code, encrypted in the column.
    secret = encryption.encrypted_text("secret_encrypted", purpose=SECRET_PURPOSE)

    class Meta:
        verbose_name = _("tracking source")
        verbose_name_plural = _("tracking sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Could not be processed")


class TrackingDelivery(models.Model):
    """One signed webhook request as it came (raw first: written before anything parses it), and
    what became of it. A body that fails to parse stays here with the reason."""

    source = models.ForeignKey(
        TrackingSource, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("source")
    )
    # The provider's id of the webhook event: a redelivery with the same id is accepted once.
    event_id = models.CharField(_("event id"), max_length=100, blank=True)
    body = models.BinaryField(_("body"))
    headers = models.JSONField(_("headers"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    events_recorded = models.PositiveIntegerField(_("events recorded"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracking delivery")
        verbose_name_plural = _("tracking deliveries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"],
                condition=~models.Q(event_id=""),
                name="tracking_delivery_event_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="tracking_delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.source} {self.event_id or self.pk}"


class TrackingCode(models.Model):
    """A status code of a carrier or provider (`scheme`: "brt", "aftership", ...) that the built-in
    tables (shipping.carrier_codes) do not know, or that an administrator mapped. Unknown codes are
    listed here with how often they came; once an administrator sets the status, later events with
    the code are mapped by it (and an administrator's mapping wins over the built-in one)."""

    scheme = models.CharField(_("carrier or provider"), max_length=32)
    code = models.CharField(_("code"), max_length=64)
    description = models.CharField(_("last description"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=TrackingStatus.choices, blank=True)
    exception_reason = models.CharField(
        _("exception reason"), max_length=16, choices=ExceptionReason.choices, blank=True
    )
    seen_count = models.PositiveIntegerField(_("times seen"), default=0)
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking code")
        verbose_name_plural = _("tracking codes")
        ordering = ["-seen_count", "scheme", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="tracking_code_unique")]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code}"

    @property
    def is_mapped(self) -> bool:
        return bool(self.status)


class TrackingImport(models.Model):
    """The checkpoint of `premura import_tracking` for one file, known by its content's SHA-256
    and the encoding it was read in: the last line whose rows are committed, so an interrupted
    import resumes after it. The same file read again in another encoding is another import (its
    rows the first reading could not decode are read this time; those recorded are duplicates)."""

    sha256 = models.CharField(_("SHA-256"), max_length=64)
    encoding = models.CharField(_("encoding"), max_length=40, default="utf-8-sig")
    file_name = models.CharField(_("file name"), max_length=300)
    last_line = models.PositiveIntegerField(_("last line committed"), default=0)
    imported_count = models.PositiveIntegerField(_("events imported"), default=0)
    bad_count = models.PositiveIntegerField(_("bad rows"), default=0)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracking import")
        verbose_name_plural = _("tracking imports")
        constraints = [
            models.UniqueConstraint(fields=["sha256", "encoding"], name="shipping_import_file_encoding"),
        ]

    def __str__(self) -> str:
        return self.file_name


class DelayModel(models.Model):
    """One training of the delay detector: the hazard model's parameters, the stall norms and the
    recalibrated thresholds. The newest version is the one in use; older ones stay for audit."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    # The training window: shipments ordered from `data_from`, each as known at the end of `data_until`.
    data_from = models.DateField(_("data from"), null=True, blank=True)
    data_until = models.DateField(_("data until"))
    shipments = models.PositiveIntegerField(_("shipments"))
    delivered = models.PositiveIntegerField(_("delivered shipments"))
    # The hazard model's probability that warns from the eve of the promise, and the ahead score
    # that warns from the ahead run (detector.Thresholds).
    threshold = models.FloatField(_("threshold"))
    ahead_threshold = models.FloatField(_("threshold ahead"), default=0.5)
    parameters = models.JSONField(_("parameters"))
    # The ahead classifier (delays.ahead.AheadModel); empty while there was too little history.
    ahead_parameters = models.JSONField(_("ahead classifier"), default=dict, blank=True)
    norms = models.JSONField(_("stall norms"))

    class Meta:
        verbose_name = _("delay model")
        verbose_name_plural = _("delay models")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.data_until})"
