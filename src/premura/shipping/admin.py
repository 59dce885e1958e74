from django.contrib import admin

from premura.shipping.models import Carrier, DelayModel, Shipment, TrackingEvent


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
        "promised_delivery_date",
        "delay_level",
        "expected_delivery_date",
        "delivered_at",
    )
    list_filter = ("status", "delay_level", "delay_signal", "carrier")
    search_fields = ("tracking_number", "order__number")
    raw_id_fields = ("order",)
    inlines = [EventInline]


@admin.register(DelayModel)
class DelayModelAdmin(admin.ModelAdmin):
    """Trainings are written by `train_delay_model` only: read here, never edited."""

    list_display = ("version", "trained_at", "data_from", "data_until", "shipments", "delivered", "threshold")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
