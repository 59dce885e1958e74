"""Calendars and SLA policies in the Django admin, each with a preview of what a message arriving
now would be promised. Saving (or deleting) one asks for the open cases' deadlines to be
computed again in the background (services.configuration_changed)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from premura.conversations.models import Priority
from premura.core import clock
from premura.core.exceptions import DomainError
from premura.core.models import Channel
from premura.customers.models import Tier
from premura.sla import services
from premura.sla.display import promise_sentence
from premura.sla.models import BusinessCalendar, Closure, ExtraOpening, OpeningHours, Policy, TargetOutcome


class AtLeastOneOpening(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError(_("Give the desk at least one opening interval in the week."))


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    # The day before its hours: the model lists OpenInterval's fields first.
    fields = ("weekday", "opens_at", "closes_at")
    formset = AtLeastOneOpening
    extra = 0
    min_num = 1


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class ExtraOpeningInline(admin.TabularInline):
    model = ExtraOpening
    fields = ("day", "opens_at", "closes_at")
    extra = 0


def _preview_lines(policies) -> str:
    """What a message arriving now would be promised under each policy, in the admin's language."""
    now = clock.now()
    language = translation.get_language()
    rows = []
    for policy in policies:
        try:
            quote = services.quote_policy(policy, received_at=now)
        except DomainError as error:
            rows.append(
                format_html('<li>{}: <span class="errornote">{}</span></li>', policy.name, str(error))
            )
            continue
        promise = quote.promise
        if promise is None:
            words = _("no promise: the policy sets no response target")
        else:
            words = promise_sentence(promise, language, now=now)
        rows.append(format_html("<li>{}: <strong>{}</strong></li>", policy.name, words))
    if not rows:
        return _("No active policy uses this calendar.")
    intro = _("A message arriving now would be promised an answer:")
    return format_html("<p>{}</p><ul>{}</ul>", intro, format_html_join("", "{}", ((row,) for row in rows)))


class ConfigurationAdmin(admin.ModelAdmin):
    """Saving or deleting recomputes the deadlines of the cases not done, in the background."""

    readonly_fields = ("preview",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.configuration_changed(form.instance, actor=request.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.request_recompute(
            "sla.calendar_changed" if isinstance(obj, BusinessCalendar) else "sla.policy_changed"
        )

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.request_recompute(
            "sla.calendar_changed" if queryset.model is BusinessCalendar else "sla.policy_changed"
        )


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ConfigurationAdmin):
    list_display = ("name", "time_zone", "public_holidays", "patron_saint_city")
    fields = ("name", "time_zone", "public_holidays", "patron_saint_city", "preview")
    inlines = [OpeningHoursInline, ClosureInline, ExtraOpeningInline]

    @admin.display(description=_("preview"))
    def preview(self, obj: BusinessCalendar) -> str:
        if obj.pk is None:
            return _("Save the calendar to see what it promises.")
        return _preview_lines(obj.policies.filter(is_active=True).select_related("calendar"))


class PolicyForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=capfirst(_("channels")),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any channel."),
    )
    priorities = forms.MultipleChoiceField(
        label=capfirst(_("priorities")),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any priority."),
    )
    tiers = forms.MultipleChoiceField(
        label=capfirst(_("customer tiers")),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any customer."),
    )

    class Meta:
        model = Policy
        fields = [
            "name",
            "position",
            "is_active",
            "calendar",
            "channels",
            "priorities",
            "tiers",
            "teams",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warning_percent",
            "reassign_on_breach",
        ]
        widgets = {"teams": forms.CheckboxSelectMultiple}


@admin.register(Policy)
class PolicyAdmin(ConfigurationAdmin):
    form = PolicyForm
    list_display = (
        "position",
        "name",
        "is_active",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "warning_percent",
        "reassign_on_breach",
    )
    list_display_links = ("name",)
    ordering = ("position", "id")

    def get_fields(self, request, obj=None):
        return [*PolicyForm.Meta.fields, "preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj: Policy) -> str:
        if obj.pk is None:
            return _("Save the policy to see what it promises.")
        return _preview_lines([obj])


@admin.register(TargetOutcome)
class TargetOutcomeAdmin(admin.ModelAdmin):
    """The targets met and breached, as the sweeper and the deadlines recorded them: read only
    (the console's SLA report counts them by policy, team, agent and channel)."""

    list_display = (
        "case",
        "target",
        "outcome",
        "due_at",
        "outcome_at",
        "policy_name",
        "team",
        "agent",
        "channel",
    )
    list_filter = ("outcome", "target", "channel", "policy_name", "team", "agent")
    date_hierarchy = "outcome_at"
    list_select_related = ("case", "team", "agent")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
