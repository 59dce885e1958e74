"""Customers and their identities on each channel (one person, many addresses)."""

import zoneinfo
from datetime import datetime, time

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premura.core.models import Channel


class Language(models.TextChoices):
    ITALIAN = "it", _("Italian")
    ENGLISH = "en", _("English")


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    VIP = "vip", _("VIP")


def fold_name(name: str) -> str:
    """The searchable form of a name: lower case, single spaces."""
    return " ".join(name.lower().split())


class Customer(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    # Lower-cased name kept beside the original so a prefix search is an index range scan.
    search_name = models.CharField(
        max_length=200, editable=False, db_index=True, verbose_name=_("name for search")
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ITALIAN
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Rome")
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(_("marketing consent given at"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("customer since"), default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold_name(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def primary_email(self) -> str:
        return self._primary_identity(IdentityKind.EMAIL)

    @property
    def primary_phone(self) -> str:
        return self._primary_identity(IdentityKind.PHONE)

    def _primary_identity(self, kind: str) -> str:
        identities = [i for i in self.identities.all() if i.kind == kind]
        identities.sort(key=lambda i: (not i.is_primary, i.pk))
        return identities[0].value if identities else ""

    def is_in_quiet_hours(self, at: datetime) -> bool:
        """Whether `at` falls in the customer's quiet hours, in their own time zone."""
        if self.quiet_hours_start is None or self.quiet_hours_end is None:
            return False
        local: time = at.astimezone(zoneinfo.ZoneInfo(self.time_zone)).time()
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start <= end:
            return start <= local < end
        return local >= start or local < end  # the quiet hours span midnight


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    X = "x", _("X")


class CustomerIdentity(models.Model):
    """One address a customer is known by. (kind, value) is unique: it names one person."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    # Normalised: e-mails lower-cased, phones in E.164, handles without "@".
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    # Mail to this address comes back (a bounce of ours), since this time, and the receiving
    # server's reason; cleared when the customer writes from it again (customers.services).
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    failing_reason = models.CharField(_("why it fails"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None
