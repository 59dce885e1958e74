from django import forms
from django.contrib import admin, messages
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from premura.commerce import ingest, reconcile
from premura.commerce.connectors import connector_class, woocommerce
from premura.commerce.models import (
    Cancellation,
    Order,
    OrderLine,
    Payment,
    Platform,
    Refund,
    ShopConnection,
    ShopWebhook,
)


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    readonly_fields = ("idempotency_key", "status", "attempts", "next_attempt_at", "external_id", "error")
    exclude = ("case", "claimed_until")


class CancellationInline(admin.TabularInline):
    """Cancellations change only through commerce.services (the console's Cancel)."""

    model = Cancellation
    extra = 0
    fields = ("status", "outcome", "amount", "currency", "reason", "attempts", "external_id", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "status", "total", "placed_at")
    list_filter = ("status", "source")
    search_fields = ("number", "email")
    raw_id_fields = ("customer",)
    inlines = [LineInline, PaymentInline, RefundInline, CancellationInline]


class ShopConnectionForm(forms.ModelForm):
    """The access token and the webhook secret are write-only: never sent back to the browser,
    kept when left empty, stored encrypted (core.encryption, decision 0012)."""

    new_access_token = forms.CharField(
        label=_("Access token"),
        required=False,
        strip=True,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Shopify: the Admin API access token (shpat_...). WooCommerce: the REST API consumer key "
            "and secret as ck_...:cs_... PrestaShop: the webservice key. Leave empty to keep the stored one."
        ),
    )
    new_webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        strip=True,
        max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Shopify: the app's client secret. WooCommerce: the webhooks' secret. Leave empty to keep "
            "the stored one."
        ),
    )

    api_url = forms.URLField(
        label=ShopConnection._meta.get_field("api_url").verbose_name,
        help_text=ShopConnection._meta.get_field("api_url").help_text,
        required=False,
        assume_scheme="https",
        max_length=200,
    )

    class Meta:
        model = ShopConnection
        fields = ["platform", "name", "slug", "api_url", "api_version", "is_active"]

    def clean(self):
        cleaned = super().clean()
        platform = cleaned.get("platform")
        if platform and not connector_class(platform).receives_webhooks:
            return cleaned
        if not cleaned.get("new_webhook_secret") and not self.instance.webhook_secret_encrypted:
            self.add_error(
                "new_webhook_secret",
                _("A shop needs a webhook secret: without one nothing it sends is accepted."),
            )
        if cleaned.get("platform") == Platform.WOOCOMMERCE:
            self._check_woocommerce(cleaned)
        return cleaned

    def _check_woocommerce(self, cleaned: dict) -> None:
        """WooCommerce takes its consumer key and secret (kept together as the access token) only
        over HTTPS, as HTTP Basic credentials."""
        token = cleaned.get("new_access_token")
        if token and woocommerce.credentials_problem(token):
            self.add_error(
                "new_access_token",
                _("Enter the consumer key and the consumer secret as one value: ck_...:cs_..."),
            )
        if cleaned.get("api_url", "").startswith("http://"):
            self.add_error(
                "api_url", _("WooCommerce accepts its consumer key and secret only over https://.")
            )

    def save(self, commit: bool = True) -> ShopConnection:
        if self.cleaned_data.get("new_access_token"):
            self.instance.access_token = self.cleaned_data["new_access_token"]
        if self.cleaned_data.get("new_webhook_secret"):
            self.instance.webhook_secret = self.cleaned_data["new_webhook_secret"]
        return super().save(commit)


@admin.register(ShopConnection)
class ShopConnectionAdmin(admin.ModelAdmin):
    form = ShopConnectionForm
    list_display = ("name", "platform", "slug", "webhook_path", "reconciled_until", "is_active")
    list_filter = ("platform", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("reconciled_until", "reconciliation_problems")

    @admin.display(description=_("webhook URL path"))
    def webhook_path(self, connection: ShopConnection) -> str:
        if connection.platform and not connector_class(connection.platform).receives_webhooks:
            return _("none: its orders are read every 15 minutes")
        return f"/api/v1/shop/webhooks/{connection.platform}/{connection.slug}"

    @admin.display(description=_("orders not reconciled"))
    def reconciliation_problems(self, connection: ShopConnection) -> str:
        """What the reconciliation job could not apply or read lately (decision 0034)."""
        if connection.pk is None:
            return "-"
        rows = [
            (
                localize(event.created_at),
                " ".join(filter(None, [event.data.get("external_id"), event.data.get("number")]))
                or _("the listing"),
                event.data.get("error", ""),
            )
            for event in reconcile.problems(connection)
        ]
        if not rows:
            return _("none")
        return format_html_join(mark_safe("<br>"), "{} &middot; {}: {}", rows)


@admin.register(ShopWebhook)
class ShopWebhookAdmin(admin.ModelAdmin):
    """Every signed webhook of a shop as it came; a failed one shows why and can be applied again."""

    list_display = ("received_at", "connection", "topic", "webhook_id", "status", "error")
    list_filter = ("status", "connection", "topic")
    search_fields = ("webhook_id",)
    readonly_fields = (
        "connection",
        "webhook_id",
        "topic",
        "status",
        "error",
        "received_at",
        "processed_at",
        "headers",
    )
    exclude = ("body",)
    actions = ["apply_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Apply the selected webhooks again"))
    def apply_again(self, request, queryset) -> None:
        results = [ingest.apply_webhook(pk) for pk in queryset.values_list("pk", flat=True)]
        failed = sum(1 for webhook in results if webhook.error)
        self.message_user(
            request,
            ngettext("%(count)d webhook applied again.", "%(count)d webhooks applied again.", len(results))
            % {"count": len(results)},
            messages.WARNING if failed else messages.SUCCESS,
        )
