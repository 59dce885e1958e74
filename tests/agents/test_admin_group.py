"""The administrators' group holds every permission of Premura's models, also those of apps and
models added after the group was made."""

from django.contrib import admin as django_admin
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from premura.agents.models import ADMIN_GROUP


def premura_admin_pages() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in django_admin.site._registry
        if model.__module__.startswith("premura.")
    ]


def test_an_administrator_opens_every_premura_model_in_the_admin(client, admin):
    client.force_login(admin.user)
    pages = premura_admin_pages()
    assert "/admin/care/compensationrule/" in pages
    refused = [page for page in pages if client.get(page, follow=True).status_code != 200]
    assert refused == []


def test_a_group_made_before_new_models_gains_their_permissions_at_the_next_migrate(admin):
    group = Group.objects.get(name=ADMIN_GROUP)
    care = Permission.objects.filter(content_type__app_label="care")
    assert care.exists()
    group.permissions.remove(*care)
    by_hand = Permission.objects.get(content_type__app_label="admin", codename="view_logentry")
    group.permissions.add(by_hand)

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert set(care) <= set(group.permissions.all())
    assert by_hand in group.permissions.all()  # what an administrator added is kept
