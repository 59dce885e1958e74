"""Agents: the named people of customer care, in teams. Roles are Django permissions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    AGENT = "agent", _("Agent")


# The group that carries the admin permissions; its members are the desk's administrators.
ADMIN_GROUP = "Premura administrators"
MANAGE_DESK_PERMISSION = "agents.manage_desk"


class Agent(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent", verbose_name=_("user")
    )
    display_name = models.CharField(_("display name"), max_length=100)
    signature = models.TextField(_("signature"), blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents", verbose_name=_("team")
    )
    is_available = models.BooleanField(_("available"), default=True)
    # When the assignment rules last gave this agent a case (conversations.routing): among agents
    # with as many open cases, the one given a case least recently gets the next.
    last_routed_at = models.DateTimeField(_("last given a case by the rules"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["display_name"]
        permissions = [("manage_desk", _("Can configure the desk: agents, teams, API tokens"))]

    def __str__(self) -> str:
        return self.display_name

    @property
    def role(self) -> str:
        return Role.ADMIN if self.user.has_perm(MANAGE_DESK_PERMISSION) else Role.AGENT
