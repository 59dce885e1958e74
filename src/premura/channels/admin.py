from django.contrib import admin

from premura.channels.models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "display_name", "inbound_mode", "default_team", "is_active"]
    list_filter = ["inbound_mode", "is_active"]
    search_fields = ["address", "display_name"]
