from django.contrib import admin

from premura.commerce.models import Order, OrderLine, Payment, Refund


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    readonly_fields = ("idempotency_key",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "status", "total", "placed_at")
    list_filter = ("status", "source")
    search_fields = ("number", "email")
    raw_id_fields = ("customer",)
    inlines = [LineInline, PaymentInline, RefundInline]
