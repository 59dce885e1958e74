"""Every field of Premura's models has a translatable label: the admin and the forms show them."""

from django.apps import apps
from django.utils.functional import Promise


def test_every_model_and_field_has_a_translatable_verbose_name():
    untranslated = []
    for model in apps.get_models():
        if not model.__module__.startswith("premura."):
            continue
        if not isinstance(model._meta.original_attrs.get("verbose_name"), Promise):
            untranslated.append(model._meta.label)
        fields = [f for f in model._meta.get_fields() if getattr(f, "concrete", False) and not f.auto_created]
        untranslated += [
            f"{model._meta.label}.{f.name}" for f in fields if not isinstance(f.verbose_name, Promise)
        ]
    assert untranslated == []


def test_the_admin_says_premura_and_links_back_to_the_console(client, admin):
    client.force_login(admin.user)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Impostazioni di Premura" in page
    assert "Amministrazione Django" not in page
    assert 'href="/console/"' in page
