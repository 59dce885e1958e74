"""Teams, agents and their roles. A role is membership of the admin group, which holds the permissions."""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from premura.agents.exceptions import AgentError
from premura.agents.models import ADMIN_GROUP, Agent, Notification, Role, Team
from premura.agents.signals import availability_changed
from premura.core import clock, text
from premura.core.audit import record_event


def admin_group() -> Group:
    """The administrators' group, with every model permission of Premura's apps (the
    desk-management one included) and of Django's auth, so the Django admin works for them. A
    group made before an app or a model was added gains its permissions here and after every
    `migrate` (agents.apps); permissions an administrator added by hand are kept."""
    group, _created = Group.objects.get_or_create(name=ADMIN_GROUP)
    labels = ["auth"] + [app.label for app in apps.get_app_configs() if app.name.startswith("premura.")]
    missing = Permission.objects.filter(content_type__app_label__in=labels).exclude(
        pk__in=group.permissions.values("pk")
    )
    if missing.exists():
        group.permissions.add(*missing)
    return group


def refresh_admin_group(**kwargs: Any) -> None:
    """post_migrate: bring an existing administrators' group up to date with new permissions."""
    if Group.objects.filter(name=ADMIN_GROUP).exists():
        admin_group()


@transaction.atomic
def create_team(*, name: str, slug: str = "", actor: Any = None) -> Team:
    """Create a team; its slug is made from the name unless given. Not idempotent: a name or slug
    already taken raises IntegrityError and writes nothing. Raises ValueError for an empty name.
    """
    name = " ".join(name.split())
    if not name:
        raise ValueError("a team needs a name")
    team = Team.objects.create(name=name, slug=slug or slugify(name))
    record_event(team, "team.created", actor=actor, name=team.name, slug=team.slug)
    return team


def set_team_lead(team: Team, lead: Agent | None, *, actor: Any = None) -> bool:
    """Make `lead` (an agent of the team, or None) the team's lead, the one told when a case of
    the team misses its deadline; returns whether that changed anything. Idempotent. Raises
    AgentError for an agent of another team (nothing is written)."""
    if lead is not None and lead.team_id != team.pk:
        raise AgentError(
            _("%(agent)s is not in the team %(team)s.") % {"agent": lead.display_name, "team": team.name}
        )
    lead_id = lead.pk if lead is not None else None
    if team.lead_id == lead_id:
        return False
    Team.objects.filter(pk=team.pk).update(lead=lead)
    team.lead = lead
    record_event(
        team, "team.lead_changed", actor=actor, lead_id=lead_id, lead_name=lead.display_name if lead else ""
    )
    return True


@transaction.atomic
def create_agent(
    *,
    username: str,
    password: str,
    display_name: str,
    email: str = "",
    team: Team | None = None,
    role: str = Role.AGENT,
    signature: str = "",
) -> Agent:
    """Create a login and its agent profile. Raises IntegrityError if the username is taken.

    The username, display name and e-mail go into mail headers: a line break or a control
    character in them, or an e-mail that is not one, raises AgentError and nothing is written.
    The e-mail is stored normalised (premura.core.text.normalise_email).
    """
    username = text.single_line(username, field=_("username"), error=AgentError)
    display_name = text.single_line(display_name, field=_("display name"), error=AgentError).strip()
    if not display_name:
        raise AgentError(_("The display name is empty."))
    email = text.normalise_email(email, error=AgentError) if email.strip() else ""
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    first, _space, last = display_name.partition(" ")
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    agent = Agent.objects.create(user=user, display_name=display_name, team=team, signature=signature)
    set_role(agent, role)
    return agent


@transaction.atomic
def set_role(agent: Agent, role: str, *, actor: Any = None) -> None:
    """Administrators can reach the Django admin and the admin-only API; agents cannot.

    The one place that grants or removes the administrator role. Idempotent; a change of role
    records an `agent.role_changed` event with its actor.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    before = agent.role
    user = agent.user
    if role == Role.ADMIN:
        user.groups.add(admin_group())
    else:
        user.groups.remove(*Group.objects.filter(name=ADMIN_GROUP))
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    # has_perm caches the user's permissions on the instance.
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    if role != before:
        record_event(agent, "agent.role_changed", actor=actor, role=[before, role])


@transaction.atomic
def set_availability(agent: Agent, is_available: bool, *, actor: Any = None) -> bool:
    """Mark the agent available or away; returns whether that changed anything. Idempotent.

    A change records `agent.availability_changed` and sends `signals.availability_changed` in
    this transaction: going away hands the agent's urgent cases on
    (conversations.services.hand_back_urgent_cases), and both commit together. The desk's agent
    rows are locked first, in id order, the order in which the assignment rules lock a team's
    agents, so a concurrent routing and a hand-back never wait on each other in a cycle. The
    change itself is a conditional UPDATE: of two clicks at once, one changes the row and the
    other nothing.
    """
    list(Agent.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    row = Agent.objects.filter(pk=agent.pk, is_available=not is_available)
    changed = row.update(is_available=is_available)
    agent.is_available = is_available
    if not changed:
        return False
    record_event(agent, "agent.availability_changed", actor=actor, is_available=is_available)
    availability_changed.send(sender=Agent, agent=agent, is_available=is_available, actor=actor)
    return True


def administrators() -> list[Agent]:
    """The agents with the administrator role, whose logins are active."""
    return list(
        Agent.objects.filter(user__groups__name=ADMIN_GROUP, user__is_active=True).order_by("pk").distinct()
    )


def notify(recipients: Iterable[Agent], *, kind: str, case_id: int | None, data: dict) -> list[Notification]:
    """Tell each agent once (the same agent named twice gets one notification), in the caller's
    transaction. `data` holds what the text is written from when shown (JSON values only)."""
    now = clock.now()
    unique = {agent.pk: agent for agent in recipients}
    return Notification.objects.bulk_create(
        Notification(recipient=agent, kind=kind, case_id=case_id, data=data, created_at=now)
        for agent in unique.values()
    )


def mark_notifications_read(agent: Agent, *, notification_id: int | None = None) -> int:
    """Mark the agent's unread notifications read: one (by id, only if it is theirs) or all.
    Returns how many changed; idempotent."""
    unread = Notification.objects.filter(recipient=agent, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=clock.now())
