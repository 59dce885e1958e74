from django.contrib import admin

from premura.shipping.models import Carrier, Shipment, TrackingEvent


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
