from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from premura.channels import credentials
from premura.channels.models import EmailDeliveryAttempt, Mailbox, OutboundEmail

KEEP_HELP = _("A password is stored; leave this empty to keep it.")
NONE_STORED_HELP = _("No password is stored.")


def password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        validators=[credentials.validate_password],
    )


class MailboxForm(forms.ModelForm):
    """The passwords are write-only: never sent back to the browser, kept when left empty, stored
    encrypted (channels.credentials)."""

    imap_password = password_field(capfirst(_("IMAP password")))
    remove_imap_password = forms.BooleanField(label=_("Remove the stored IMAP password"), required=False)
    smtp_password = password_field(capfirst(_("SMTP password")))
    remove_smtp_password = forms.BooleanField(label=_("Remove the stored SMTP password"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("imap_password", "smtp_password"):
            stored = bool(getattr(self.instance, f"{name}_encrypted"))
            self.fields[name].help_text = KEEP_HELP if stored else NONE_STORED_HELP

    def save(self, commit: bool = True) -> Mailbox:
        for name in ("imap_password", "smtp_password"):
            if self.cleaned_data.get(name):
                setattr(self.instance, name, self.cleaned_data[name])
            elif self.cleaned_data.get(f"remove_{name}"):
                setattr(self.instance, name, "")
        return super().save(commit)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "display_name", "inbound_mode", "default_team", "is_active"]
    list_filter = ["inbound_mode", "is_active"]
    search_fields = ["address", "display_name"]

    def get_fieldsets(self, request, obj=None):
        def password(name: str) -> list[str]:
            # "Remove" is offered only where there is something to remove.
            return (
                [name, f"remove_{name}"] if obj is not None and getattr(obj, f"{name}_encrypted") else [name]
            )

        return [
            (
                None,
                {
                    "fields": [
                        "address",
                        "display_name",
                        "own_addresses",
                        "plus_addressing",
                        "default_team",
                        "default_language",
                        "signature",
                        "is_active",
                    ]
                },
            ),
            (
                _("Incoming mail"),
                {
                    "fields": [
                        "inbound_mode",
                        "imap_host",
                        "imap_port",
                        "imap_use_ssl",
                        "imap_username",
                        *password("imap_password"),
                        "imap_folder",
                    ]
                },
            ),
            (
                _("Outgoing mail"),
                {
                    "fields": [
                        "smtp_host",
                        "smtp_port",
                        "smtp_use_tls",
                        "smtp_username",
                        *password("smtp_password"),
                    ]
                },
            ),
        ]


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
