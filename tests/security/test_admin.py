"""The Django admin configures the desk; it cannot raise anyone's rights nor rewrite what customers
and agents wrote."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from premura.agents.models import ADMIN_GROUP, Role
from premura.conversations.models import Attachment, Message
from premura.core.audit import events_for
from tests.factories.conversations import make_case

User = get_user_model()


@pytest.fixture
def giulia(client, admin):
    """The desk's administrator (not a superuser), logged in to the admin."""
    client.force_login(admin.user)
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.it", "premura-test-pw")


def user_form(user, **changes) -> dict:
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    form.update(changes)
    return form


def test_an_administrator_cannot_make_herself_superuser(giulia, admin):
    user = admin.user
    page = giulia.get(f"/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("is_superuser", "user_permissions", "groups", "is_staff"):
        assert f'name="{field}"' not in html
    everything = Permission.objects.values_list("pk", flat=True)
    form = user_form(
        user,
        first_name="Giulia",
        is_superuser="on",
        is_staff="on",
        user_permissions=[str(pk) for pk in everything],
        groups=[],
    )
    response = giulia.post(f"/admin/auth/user/{user.pk}/change/", form)
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.is_superuser) == ("Giulia", False)
    assert user.user_permissions.count() == 0
    assert list(user.groups.values_list("name", flat=True)) == [ADMIN_GROUP]


def test_an_administrator_cannot_give_an_agent_a_group(giulia, agent):
    response = giulia.post(
        f"/admin/auth/user/{agent.user.pk}/change/",
        user_form(agent.user, groups=[str(Group.objects.get(name=ADMIN_GROUP).pk)]),
    )
    assert response.status_code == 302
    assert agent.user.groups.count() == 0
    assert not agent.user.is_staff


def test_superusers_are_out_of_an_administrator_s_reach(giulia, root):
    assert giulia.get(f"/admin/auth/user/{root.pk}/change/").status_code == 302  # "does not exist"
    assert giulia.get(f"/admin/auth/user/{root.pk}/password/").status_code == 404
    response = giulia.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "presa-del-controllo-1", "password2": "presa-del-controllo-1"},
    )
    assert response.status_code == 404
    assert giulia.post(f"/admin/auth/user/{root.pk}/delete/", {"post": "yes"}).status_code == 302
    root.refresh_from_db()
    assert root.check_password("premura-test-pw")
    assert "root" not in giulia.get("/admin/auth/user/").content.decode()


def test_a_superuser_still_manages_rights(client, root, agent):
    client.force_login(root)
    html = client.get(f"/admin/auth/user/{agent.user.pk}/change/").content.decode()
    assert 'name="is_superuser"' in html and 'name="groups"' in html


def test_groups_are_read_only_for_administrators(giulia):
    group = Group.objects.get(name=ADMIN_GROUP)
    before = set(group.permissions.values_list("pk", flat=True))
    response = giulia.post(
        f"/admin/auth/group/{group.pk}/change/",
        {
            "name": ADMIN_GROUP,
            "permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert giulia.post("/admin/auth/group/add/", {"name": "Padroni"}).status_code == 403
    assert not Group.objects.filter(name="Padroni").exists()


def test_roles_are_given_through_set_role_with_an_audit_event(giulia, admin, agent):
    response = giulia.post(
        "/admin/agents/agent/", {"action": "make_administrators", "_selected_action": [str(agent.pk)]}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.role == Role.ADMIN
    assert agent.user.is_staff
    [event] = events_for(agent)
    assert (event.action, event.actor_label, event.data) == (
        "agent.role_changed",
        "Giulia Bianchi",
        {"role": ["agent", "admin"]},
    )
    giulia.post("/admin/agents/agent/", {"action": "make_agents", "_selected_action": [str(agent.pk)]})
    agent.user.refresh_from_db()
    assert not agent.user.is_staff
    assert [e.data["role"] for e in events_for(agent).order_by("pk")] == [
        ["agent", "admin"],
        ["admin", "agent"],
    ]


def test_message_bodies_cannot_be_changed_in_the_admin(giulia, customer):
    case = make_case(customer, subject="Pacco", body="Il pacco non è arrivato.")
    message = case.messages.get()
    page = giulia.get(f"/admin/conversations/case/{case.pk}/change/").content.decode()
    assert "Il pacco non è arrivato." in page  # shown, read-only
    assert 'name="messages-0-body"' not in page
    form = {
        "subject": case.subject,
        "customer": str(customer.pk),
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "language": case.language,
        "messages-TOTAL_FORMS": "2",
        "messages-INITIAL_FORMS": "1",
        "messages-0-id": str(message.pk),
        "messages-0-case": str(case.pk),
        "messages-0-body": "Tutto perfetto, grazie!",
        "messages-1-body": "Un messaggio mai scritto dal cliente",
    }
    giulia.post(f"/admin/conversations/case/{case.pk}/change/", form)
    message.refresh_from_db()
    assert message.body == "Il pacco non è arrivato."
    assert Message.objects.count() == 1


def test_attachments_are_read_only_in_the_admin(giulia, customer, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    message = make_case(customer).messages.get()
    attachment = Attachment(message=message, filename="foto.png", content_type="image/png", size=3)
    attachment.file.save("foto.png", ContentFile(b"png"), save=False)
    attachment.save()
    change = giulia.post(
        f"/admin/conversations/attachment/{attachment.pk}/change/", {"filename": "altro.png"}
    )
    assert change.status_code == 403
    assert (
        giulia.post(f"/admin/conversations/attachment/{attachment.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    attachment.refresh_from_db()
    assert attachment.filename == "foto.png"
