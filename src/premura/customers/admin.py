from django.contrib import admin

from premura.customers.models import Customer, CustomerIdentity


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    # Set by bounces and cleared by the customer's next message (customers.services), not by hand.
    readonly_fields = ("failing_since", "failing_reason")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "language", "preferred_channel", "tier", "created_at")
    list_filter = ("language", "preferred_channel", "tier", "marketing_consent")
    search_fields = ("search_name", "identities__value")
    inlines = [IdentityInline]
