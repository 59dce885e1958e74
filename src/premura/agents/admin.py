from django.contrib import admin

from premura.agents.models import Agent, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "team", "is_available")
    list_filter = ("team", "is_available")
    search_fields = ("display_name", "user__username")
