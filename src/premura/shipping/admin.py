from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from premura.shipping import ingest
from premura.shipping.models import (
    Carrier,
    DelayModel,
    ScorecardThresholds,
    Shipment,
    TrackingCode,
    TrackingDelivery,
    TrackingEvent,
    TrackingImport,
    TrackingSource,
)


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "tracking_url_template")


class EventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "tracking_number",
        "carrier",
        "status",
        "exception_reason",
        "promised_delivery_date",
        "delay_level",
        "expected_delivery_date",
        "delivered_at",
    )
    list_filter = ("status", "exception_reason", "delay_level", "delay_signal", "carrier")
    search_fields = ("tracking_number", "order__number")
    raw_id_fields = ("order",)
    inlines = [EventInline]


@admin.register(ScorecardThresholds)
class ScorecardThresholdsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "min_on_time_percent", "max_exception_percent", "max_lost_percent")

    def has_add_permission(self, request) -> bool:
        # One row: the scorecard reads the first.
        return super().has_add_permission(request) and not ScorecardThresholds.objects.exists()


class TrackingSourceForm(forms.ModelForm):
    """The secret is write-only: never sent back to the browser, kept when left empty, stored
    encrypted (core.encryption)."""

    new_secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=True,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The webhook secret of the provider's account (for Shippo: the token in the webhook URL, "
            "?token=...). Leave empty to keep the stored one."
        ),
    )

    class Meta:
        model = TrackingSource
        fields = ["provider", "name", "slug", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("new_secret") and not self.instance.secret_encrypted:
            self.add_error(
                "new_secret", _("A source needs a secret: without one nothing it sends is accepted.")
            )
        return cleaned

    def save(self, commit: bool = True) -> TrackingSource:
        if self.cleaned_data.get("new_secret"):
            self.instance.secret = self.cleaned_data["new_secret"]
        return super().save(commit)


@admin.register(TrackingSource)
class TrackingSourceAdmin(admin.ModelAdmin):
    form = TrackingSourceForm
    list_display = ("name", "provider", "slug", "webhook_path", "is_active")
    list_filter = ("provider", "is_active")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description=_("webhook URL path"))
    def webhook_path(self, source: TrackingSource) -> str:
        return f"/api/v1/tracking/webhooks/{source.provider}/{source.slug}"


@admin.register(TrackingDelivery)
class TrackingDeliveryAdmin(admin.ModelAdmin):
    """Every signed webhook as it came; a failed one shows why and can be processed again."""

    list_display = ("received_at", "source", "event_id", "status", "events_recorded", "error")
    list_filter = ("status", "source")
    search_fields = ("event_id",)
    readonly_fields = (
        "source",
        "event_id",
        "status",
        "error",
        "events_recorded",
        "received_at",
        "processed_at",
        "headers",
        "raw_body",
    )
    exclude = ("body",)
    actions = ["process_again"]

    @admin.display(description=_("body"))
    def raw_body(self, delivery: TrackingDelivery) -> str:
        return bytes(delivery.body).decode("utf-8", errors="replace")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Process the selected deliveries again"))
    def process_again(self, request, queryset) -> None:
        results = [ingest.process_delivery(pk) for pk in queryset.values_list("pk", flat=True)]
        failed = sum(1 for delivery in results if delivery.error)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery processed again.", "%(count)d deliveries processed again.", len(results)
            )
            % {"count": len(results)},
            messages.WARNING if failed else messages.SUCCESS,
        )


class MappedFilter(admin.SimpleListFilter):
    title = _("mapped")
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return [("no", _("Not mapped yet")), ("yes", _("Mapped"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(status="")
        if self.value() == "yes":
            return queryset.exclude(status="")
        return queryset


@admin.register(TrackingCode)
class TrackingCodeAdmin(admin.ModelAdmin):
    """Codes the built-in tables do not map, with how often they came: set a status (and a reason)
    and later events with the code are mapped by it."""

    list_display = (
        "scheme",
        "code",
        "description",
        "seen_count",
        "last_seen_at",
        "status",
        "exception_reason",
    )
    list_filter = (MappedFilter, "scheme")
    list_editable = ("status", "exception_reason")
    search_fields = ("code", "description")
    readonly_fields = ("seen_count", "first_seen_at", "last_seen_at", "description")


@admin.register(TrackingImport)
class TrackingImportAdmin(admin.ModelAdmin):
    list_display = ("file_name", "last_line", "imported_count", "bad_count", "started_at", "finished_at")
    readonly_fields = (
        "sha256",
        "encoding",
        "file_name",
        "last_line",
        "imported_count",
        "bad_count",
        "started_at",
        "finished_at",
    )

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DelayModel)
class DelayModelAdmin(admin.ModelAdmin):
    """Trainings are written by `train_delay_model` only: read here, never edited."""

    list_display = (
        "version",
        "trained_at",
        "data_from",
        "data_until",
        "shipments",
        "delivered",
        "ahead_threshold",
        "threshold",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
