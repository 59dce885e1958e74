from django import forms
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect

from premura.shop.models import SINGLETON_ID, ShopSettings
from premura.shop.queries import shop_settings
from premura.shop.services import configure_shop


class ShopSettingsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=ShopSettings._meta.get_field("languages").verbose_name,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    website = forms.URLField(
        label=ShopSettings._meta.get_field("website").verbose_name, required=False, assume_scheme="https"
    )

    class Meta:
        model = ShopSettings
        fields = ["name", "logo", "support_email", "website", "time_zone", "languages", "legal_footer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["languages"] = self.instance.language_codes

    def clean_languages(self) -> str:
        # Stored as "it,en"; the order of settings.LANGUAGES (the shop's main language first).
        return ",".join(code for code, _ in settings.LANGUAGES if code in self.cleaned_data["languages"])


@admin.register(ShopSettings)
class ShopSettingsAdmin(admin.ModelAdmin):
    """One row, made on first read: the list goes straight to it; it cannot be added or deleted."""

    form = ShopSettingsForm

    def changelist_view(self, request, extra_context=None):
        shop_settings()
        return redirect("admin:shop_shopsettings_change", SINGLETON_ID)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if "languages" in changes:
            changes["languages"] = changes["languages"].split(",")
        configure_shop(actor=request.user, **changes)
