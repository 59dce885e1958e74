"""The channels customers reach the shop on. For now the e-mail channel: the shop's mailboxes.

A Mailbox is one support address (assistenza@shop.example) with how its mail comes in (IMAP
polling or LMTP delivery) and goes out (SMTP, or the installation's EMAIL_* settings when the
mailbox names no server). Business policy lives here, in the database, where administrators edit
it (style.md §8).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from premura.core import clock
from premura.core.text import validate_single_line


class InboundMode(models.TextChoices):
    LMTP = "lmtp", _("Delivered by the mail server (LMTP)")
    IMAP = "imap", _("Fetched from an IMAP mailbox")


class Mailbox(models.Model):
    address = models.EmailField(_("address"), unique=True)
    # "Bottega Premura": the From display name when no agent signs (acknowledgements).
    display_name = models.CharField(
        _("display name"), max_length=100, blank=True, validators=[validate_single_line]
    )
    # Other addresses and whole domains (@shop.example) that are the shop's own: mail from them
    # is never acknowledged, so two of our own mailboxes can never answer each other.
    own_addresses = models.TextField(
        _("the shop's other addresses"),
        blank=True,
        help_text=_("One per line: an address (ordini@shop.example) or a domain (@shop.example)."),
    )
    # support+<case token>@shop.example reaches this mailbox: replies can carry the case in the address.
    plus_addressing = models.BooleanField(_("plus addressing"), default=False)
    inbound_mode = models.CharField(
        _("incoming mail"), max_length=8, choices=InboundMode.choices, default=InboundMode.LMTP
    )
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_use_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    # Empty: the installation's EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
    # EMAIL_USE_TLS (read from the environment variables of those names).
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_use_tls = models.BooleanField(_("SMTP with STARTTLS"), default=True)
    smtp_username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    default_team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default team"),
    )
    default_language = models.CharField(_("default language"), max_length=8, default="it")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def is_own_address(self, address: str) -> bool:
        """Whether `address` (already normalised: lower-case, IDNA domain) is one of the shop's."""
        address = address.lower()
        if address == self.address.lower():
            return True
        domain = address.rpartition("@")[2]
        for line in self.own_addresses.split():
            own = line.strip().lower()
            if own == address or (own.startswith("@") and own[1:] == domain):
                return True
        return False
