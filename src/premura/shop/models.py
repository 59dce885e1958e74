"""The shop's identity: one row of settings, read through `premura.shop.queries.shop_settings()`.

What customers see of the shop (its name and logo in the portal, the legal footer, the support
address) and the defaults of its desk (time zone, languages offered). Later every message sent to
a customer takes its sender name, signature and footer from here.
"""

import zoneinfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from premura.core import clock

CACHE_KEY = "premura:shop-settings"
SINGLETON_ID = 1
LOGO_MAX_BYTES = 512 * 1024
# Raster images only: an SVG can carry scripts, and the logo is served from our own origin.
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_LOGO_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def default_time_zone() -> str:
    return settings.TIME_ZONE


def default_languages() -> str:
    """Every language Premura speaks, the installation's own (LANGUAGE_CODE) first."""
    codes = [code for code, _ in settings.LANGUAGES]
    codes.sort(key=lambda code: code != settings.LANGUAGE_CODE)
    return ",".join(codes)


def validate_single_line(value: str) -> None:
    """The shop's name goes into mail headers ("Bottega Premura <assistenza@…>"): one line of text."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(_("Use one line of text, without control characters."))


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(name)s"), params={"name": value}) from None


def validate_languages(value: str) -> None:
    codes = [code for code in value.split(",") if code]
    known = dict(settings.LANGUAGES)
    if not codes:
        raise ValidationError(_("Offer at least one language."))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(_("Unknown language: %(codes)s"), params={"codes": ", ".join(unknown)})


def validate_logo(file) -> None:
    if getattr(file, "_committed", False):
        return  # the logo already stored was checked when it was uploaded
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 512 KB."))
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    is_webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if not (head.startswith(_LOGO_MAGIC) or is_webp):
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."))


class ShopSettings(models.Model):
    # One row: its id is always 1 (the constraint makes a second row impossible).
    id = models.PositiveSmallIntegerField(_("ID"), primary_key=True, default=SINGLETON_ID, editable=False)
    name = models.CharField(
        _("shop name"), max_length=100, default="Premura", validators=[validate_single_line]
    )
    logo = models.FileField(
        _("logo"),
        upload_to="shop/",
        blank=True,
        validators=[FileExtensionValidator(list(LOGO_TYPES)), validate_logo],
        help_text=_("PNG, JPEG or WebP, up to 512 KB; shown about 40 pixels high."),
    )
    support_email = models.EmailField(
        _("support e-mail address"), blank=True, help_text=_("Shown to customers and used to answer them.")
    )
    website = models.URLField(_("website"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    languages = models.CharField(
        _("languages offered"),
        max_length=64,
        default=default_languages,
        validators=[validate_languages],
        help_text=_("The languages customers can read the portal in."),
    )
    legal_footer = models.TextField(
        _("legal footer"),
        blank=True,
        help_text=_("Company name, address, VAT number: shown under every page."),
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=SINGLETON_ID), name="shop_settings_singleton")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.id = SINGLETON_ID
        self.updated_at = clock.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)
        # Now for this process, and again after the commit: a read between the two must not keep the
        # old row in the cache (queries.shop_settings caches only outside a transaction).
        cache.delete(CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def logo_version(self) -> int:
        """Changes whenever the settings are saved, so the logo's URL changes with the logo."""
        return int(self.updated_at.timestamp()) if self.updated_at else 0
