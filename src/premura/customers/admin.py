from django.contrib import admin

from premura.customers import services
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

    def save_model(self, request, obj, form, change):
        # A new tier goes through the service, which records it and tells the SLA (the case's
        # policy may depend on it); the admin saves the other fields as they are.
        tier = obj.tier
        if change and "tier" in form.changed_data:
            obj.tier = form.initial["tier"]
        super().save_model(request, obj, form, change)
        if change and tier != obj.tier:
            services.update_customer(obj, changes={"tier": tier}, actor=request.user)
