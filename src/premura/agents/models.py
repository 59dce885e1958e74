"""Agents: the named people of customer care, in teams, and what the desk tells them
(notifications). Roles are Django permissions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    # Who answers for the team: told when one of its cases misses a deadline (premura.sla).
    lead = models.ForeignKey(
        "Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("team lead"),
        help_text=_("Told when a case of the team misses its deadline."),
    )

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


class RefundLimit(models.Model):
    """The largest refund an agent of `role` may give on their own, in one currency (decision
    0030); a larger one waits for an administrator's approval. Administrators edit these rows; a
    role without a row for a currency has no limit in it."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    amount = models.DecimalField(_("largest refund without approval"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("refund limit")
        verbose_name_plural = _("refund limits")
        ordering = ["role", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["role", "currency"], name="refundlimit_role_currency_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="refundlimit_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.amount} {self.currency}"


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("Deadline approaching")
    SLA_BREACH = "sla_breach", _("Deadline missed")
    SLA_REASSIGNED = "sla_reassigned", _("Case handed to you after a missed deadline")
    REFUND_APPROVAL = "refund_approval", _("A refund waits for your approval")


class Notification(models.Model):
    """Something the desk tells one agent, shown in the console until they read it. The text is
    written when shown, from `kind` and `data`, in the reader's language."""

    recipient = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    case = models.ForeignKey(
        "conversations.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("case"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # An agent's list, newest first; and the header's unread count, a bounded range.
            models.Index(fields=["recipient", "created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.kind} #{self.case_id}"
