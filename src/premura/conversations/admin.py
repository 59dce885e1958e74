from django.contrib import admin

from premura.conversations.models import Attachment, Case, Message


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    raw_id_fields = ("author_agent", "author_customer", "on_behalf_of")


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
    list_display = ("filename", "content_type", "size", "message")
    raw_id_fields = ("message",)
