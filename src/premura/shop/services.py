"""Changing the shop's settings: `configure_shop`, used by the admin and by the demo shop."""

from django.core.files.base import File
from django.db import transaction

from premura.core.audit import record_event
from premura.shop.models import SINGLETON_ID, ShopSettings


@transaction.atomic
def configure_shop(
    *,
    actor=None,
    name: str | None = None,
    logo: File | bool | None = None,
    support_email: str | None = None,
    website: str | None = None,
    time_zone: str | None = None,
    languages: list[str] | None = None,
    legal_footer: str | None = None,
) -> ShopSettings:
    """Set the given settings (None leaves one as it is; `logo=False` removes the logo), validate the
    whole row and save it with an audit event naming the fields that changed.

    Raises django.core.exceptions.ValidationError and saves nothing when a value is not valid.
    Idempotent: the same values again change nothing and record nothing.
    """
    shop, _ = ShopSettings.objects.select_for_update().get_or_create(id=SINGLETON_ID)
    values = {
        "name": name,
        "logo": logo,
        "support_email": support_email,
        "website": website,
        "time_zone": time_zone,
        "languages": ",".join(languages) if languages is not None else None,
        "legal_footer": legal_footer,
    }
    changed = []
    for field_name, value in values.items():
        if value is None:
            continue
        if field_name != "logo" and getattr(shop, field_name) == value:
            continue
        # The model field's own form path: stores an uploaded file, and clears it on False.
        ShopSettings._meta.get_field(field_name).save_form_data(shop, value)
        changed.append(field_name)
    if not changed:
        return shop
    shop.full_clean()
    shop.save()
    record_event(shop, "shop.configured", actor=actor, fields=changed)
    return shop
