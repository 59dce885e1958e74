import io

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premura.care.export import write_grants_csv
from premura.care.models import (
    CarrierTask,
    CompensationRule,
    Grant,
    Incident,
    Notice,
    ParcelReport,
    ResolutionPolicy,
)


@admin.register(CompensationRule)
class CompensationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "name",
        "is_active",
        "situation",
        "min_order_total",
        "max_order_total",
        "min_delay_days",
        "compensation",
        "value",
        "same_category",
        "valid_days",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "pk"]


@admin.register(ResolutionPolicy)
class ResolutionPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "is_active",
        "min_trust_score",
        "max_order_total",
        "offer_reship",
        "offer_refund",
        "review_business_days",
        "keep_if_found_below",
        "require_photo",
    ]
    list_editable = ["is_active"]
    readonly_fields = ["updated_at"]

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(ParcelReport)
class ParcelReportAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "problem",
        "state",
        "trust_score",
        "auto_resolved",
        "decision_due_on",
        "remedy",
        "created_at",
    ]
    list_filter = ["problem", "state", "auto_resolved", "remedy"]
    search_fields = ["order__number"]
    readonly_fields = [field.name for field in ParcelReport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.action(description=_("Export the codes as CSV"))
def export_codes(modeladmin, request, queryset):
    out = io.StringIO()
    write_grants_csv(queryset.select_related("incident__shipment__order").order_by("created_at", "pk"), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="grants.csv"'
    return response


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "compensation",
        "value",
        "currency",
        "category",
        "expires_on",
        "approval",
        "rule_name",
        "created_at",
    ]
    list_filter = ["compensation", "approval"]
    search_fields = ["code"]
    actions = [export_codes]
    readonly_fields = [field.name for field in Grant._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


class NoticeInline(admin.TabularInline):
    model = Notice
    extra = 0
    readonly_fields = ["situation", "expected_date", "outbound", "held_until", "created_at"]
    can_delete = False


class CarrierTaskInline(admin.TabularInline):
    model = CarrierTask
    extra = 0
    fields = readonly_fields = [
        "action",
        "pickup_point",
        "delivery_date",
        "requested_by",
        "created_at",
        "done_by",
        "done_at",
    ]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # tasks are asked from the case page (care.parcel.ask_carrier)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "shipment",
        "situation",
        "exception_reason",
        "expected_date",
        "case",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["situation"]
    readonly_fields = [field.name for field in Incident._meta.fields]
    inlines = [NoticeInline, CarrierTaskInline]

    def has_add_permission(self, request) -> bool:
        return False
