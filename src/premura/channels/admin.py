from django.contrib import admin

from premura.channels.models import EmailDeliveryAttempt, Mailbox, OutboundEmail


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "display_name", "inbound_mode", "default_team", "is_active"]
    list_filter = ["inbound_mode", "is_active"]
    search_fields = ["address", "display_name"]


class EmailDeliveryAttemptInline(admin.TabularInline):
    model = EmailDeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "result", "server_answer"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox, read-only: rows change only through channels.outbox (the transition table)."""

    list_display = ["created_at", "kind", "to_address", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "subject", "message_id_header"]
    inlines = [EmailDeliveryAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
