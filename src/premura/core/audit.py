"""Recording who did what (docs/architecture.md, "Audit log")."""

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from premura.core import bulk, clock
from premura.core.models import AuditEvent

SYSTEM_ACTOR = "system"


def actor_label_for(user: Any) -> str:
    """The name to record for a user: the agent's display name, else the username."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM_ACTOR
    agent = getattr(user, "agent", None)
    if agent is not None and agent.display_name:
        return agent.display_name
    return user.get_full_name() or user.get_username()


_FIELDS = ("actor", "actor_label", "action", "subject_type", "subject_id", "data", "created_at")


def record_event(
    subject: models.Model, action: str, actor: Any = None, actor_label: str = "", **data: Any
) -> AuditEvent:
    """Append one event to the audit log. Never updates or deletes: the log only grows.

    Written with plain SQL (core.bulk): every case action writes one or more events, and the
    ORM's save costs several times the statement it sends."""
    event = AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label or actor_label_for(actor),
        action=action,
        subject_type_id=ContentType.objects.get_for_model(subject).pk,
        subject_id=subject.pk,
        data=data,
        created_at=clock.now(),
    )
    (event.pk,) = bulk.insert(
        AuditEvent, _FIELDS, [bulk.preparer_for(AuditEvent, _FIELDS).values(event)], returning=True
    )
    event._state.adding = False
    event._state.db = connection.alias
    return event


def record_events(
    entries: Sequence[tuple[models.Model, dict[str, Any]]], action: str, actor: Any = None
) -> None:
    """`record_event` for many subjects at once (one statement executed per row, core.bulk): the
    same action and actor, each subject with its own data."""
    if not entries:
        return
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label_for(actor)
    created_at = AuditEvent._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
    prepare_data = AuditEvent._meta.get_field("data").get_db_prep_save
    types: dict[type, int] = {}
    rows = []
    for subject, data in entries:
        if type(subject) not in types:
            types[type(subject)] = ContentType.objects.get_for_model(subject).pk
        rows.append(
            (
                user.pk if user else None,
                label,
                action,
                types[type(subject)],
                subject.pk,
                prepare_data(data, connection),
                created_at,
            )
        )
    bulk.insert(AuditEvent, _FIELDS, rows, returning=False)


def events_for(subject: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).select_related("actor")
