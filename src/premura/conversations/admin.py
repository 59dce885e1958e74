from django.contrib import admin

from premura.conversations.models import Attachment, Case, Message


class MessageInline(admin.StackedInline):
    """Messages are read here, never written: what a customer or an agent wrote changes only
    through the services, which record who did it."""

    model = Message
    extra = 0
    raw_id_fields = ("author_agent", "author_customer", "on_behalf_of")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("pk", "subject", "customer", "status", "priority", "owner", "last_activity_at")
    list_filter = ("status", "priority", "channel", "team")
    raw_id_fields = ("customer", "order", "owner")
    # A status moves only through services.change_status and its transition table (closed is
    # final): the admin shows it, agents change it in the console or the API.
    readonly_fields = ("status", "solved_at")
    inlines = [MessageInline]
    show_full_result_count = False  # counting a million cases on every page is the slow part


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files customers and agents sent: read-only, like the messages they belong to."""

    list_display = ("filename", "content_type", "size", "message")
    raw_id_fields = ("message",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
