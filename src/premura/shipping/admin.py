from django.contrib import admin

from premura.shipping.models import Carrier, ScorecardThresholds, Shipment, TrackingEvent


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "tracking_url_template")


class EventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("tracking_number", "carrier", "status", "promised_delivery_date", "delivered_at")
    list_filter = ("status", "carrier")
    search_fields = ("tracking_number", "order__number")
    raw_id_fields = ("order",)
    inlines = [EventInline]


@admin.register(ScorecardThresholds)
class ScorecardThresholdsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "min_on_time_percent", "max_exception_percent", "max_lost_percent")

    def has_add_permission(self, request) -> bool:
        # One row: the scorecard reads the first.
        return super().has_add_permission(request) and not ScorecardThresholds.objects.exists()
