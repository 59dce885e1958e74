"""Agents, teams and logins in the Django admin.

An administrator configures the desk here but cannot raise anyone's rights beyond the two roles:
the user admin shows no superuser flag, groups or permissions to anyone but a superuser, and hides
superusers' accounts from them (a password reset would be a take-over); roles are given with the
agent actions below, through agents.services.set_role, which records who did it.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from premura.agents.models import Agent, RefundLimit, Role, Team
from premura.agents.services import set_availability, set_role

User = get_user_model()

# What only a superuser may see or change on a login: rights beyond the roles.
PRIVILEGE_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


@admin.register(RefundLimit)
class RefundLimitAdmin(admin.ModelAdmin):
    list_display = ("role", "currency", "amount")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "lead")
    autocomplete_fields = ("lead",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "team", "is_available")
    list_filter = ("team", "is_available")
    search_fields = ("display_name", "user__username")
    # Availability changes through the actions (agents.services.set_availability), which hand an
    # absent agent's urgent cases on; a form save would not.
    readonly_fields = ("is_available", "last_routed_at")
    actions = ["make_administrators", "make_agents", "set_away", "set_available"]

    @admin.action(description=gettext_lazy("Give the administrator role"))
    def make_administrators(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        self._set_role(request, queryset, Role.ADMIN)

    @admin.action(description=gettext_lazy("Give the agent role (no administration)"))
    def make_agents(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        self._set_role(request, queryset, Role.AGENT)

    @admin.action(description=gettext_lazy("Set away (their urgent cases are handed on)"))
    def set_away(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        self._set_availability(request, queryset, False)

    @admin.action(description=gettext_lazy("Set available"))
    def set_available(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        self._set_availability(request, queryset, True)

    def _set_availability(self, request: HttpRequest, queryset: QuerySet[Agent], is_available: bool) -> None:
        changed = sum(set_availability(agent, is_available, actor=request.user) for agent in queryset)
        messages.success(request, _("%(count)d agent(s) changed availability.") % {"count": changed})

    def _set_role(self, request: HttpRequest, queryset: QuerySet[Agent], role: str) -> None:
        agents = list(queryset.select_related("user"))
        for agent in agents:
            set_role(agent, role, actor=request.user)
        messages.success(
            request,
            _("%(count)d agent(s) now have the role %(role)s.")
            % {"count": len(agents), "role": Role(role).label},
        )


admin.site.unregister(User)


@admin.register(User)
class PremuraUserAdmin(UserAdmin):
    """Django's user admin, without the privilege fields and superusers for non-superusers."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(is_superuser=False)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        narrowed = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in PRIVILEGE_FIELDS]
            if fields:
                narrowed.append((name, {**options, "fields": fields}))
        return narrowed

    def get_list_filter(self, request: HttpRequest):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [f for f in filters if f not in PRIVILEGE_FIELDS]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class ReadOnlyGroupAdmin(GroupAdmin):
    """Groups carry permissions: only a superuser changes them (the roles are set_role's)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
