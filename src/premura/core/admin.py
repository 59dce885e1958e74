from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from premura.core.models import AuditEvent

# The admin is where a desk is configured: it says Premura, and "view site" opens the console.
admin.site.site_header = _("Premura settings")
admin.site.site_title = _("Premura settings")
admin.site.index_title = _("Desk configuration")
admin.site.site_url = "/console/"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "subject_type", "subject_id")
    list_filter = ("action", "subject_type")
    search_fields = ("actor_label", "action")
    date_hierarchy = "created_at"

    # The log only grows: nobody edits or deletes it, not even an administrator.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
