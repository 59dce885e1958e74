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


# --- The outbox (docs/architecture.md, "Anything out: the outbox"; decision 0008) -------------


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Which status a row may move to from each status. SENDING → SENDING is the sweeper reclaiming a
# row whose worker died mid-attempt (the resend keeps the Message-ID, decision 0008). Sent and
# failed are final: a sent row is never sent again.
OUTBOUND_TRANSITIONS: dict[str, frozenset[str]] = {
    OutboundStatus.QUEUED: frozenset({OutboundStatus.SENDING}),
    OutboundStatus.RETRY_WAIT: frozenset({OutboundStatus.SENDING}),
    OutboundStatus.SENDING: frozenset(
        {OutboundStatus.SENDING, OutboundStatus.SENT, OutboundStatus.RETRY_WAIT, OutboundStatus.FAILED}
    ),
    OutboundStatus.SENT: frozenset(),
    OutboundStatus.FAILED: frozenset(),
}
UNSENT_STATUSES = (OutboundStatus.QUEUED, OutboundStatus.RETRY_WAIT, OutboundStatus.SENDING)


class OutboundEmail(models.Model):
    """One e-mail to a customer, written before it is sent: the outbox row.

    Every field the mail is built from is frozen here at queue time (address, subject, body,
    Message-ID, threading headers), so a retry sends the very same mail.
    """

    case = models.ForeignKey(
        "conversations.Case", on_delete=models.CASCADE, related_name="outbound_emails", verbose_name=_("case")
    )
    # The case message this mail delivers (the timeline shows its delivery state beside it).
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_emails",
        verbose_name=_("message"),
    )
    # Empty: no mailbox is set up; the installation's EMAIL_* settings and DEFAULT_FROM_EMAIL apply.
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("mailbox")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    from_address = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    to_address = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # Our Message-ID header, fixed at queue time: every retry and resend carries the same one.
    message_id_header = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    # The same notice is never queued twice: "reply:message:42", "acknowledgement:case:7".
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Times the sweeper took the row back from a worker that never recorded its attempt: each may
    # have reached the customer already, under the same Message-ID (decision 0008).
    reclaimed_count = models.PositiveIntegerField(_("resends after a crash"), default=0)
    # When the row is next due: a retry's time, or (while sending) when its claim expires.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=clock.now)
    last_error = models.TextField(_("last error"), blank=True)
    smtp_response = models.TextField(_("server answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [
            # The sweeper's "what is due": ORDER BY next_attempt_at over unsent rows only.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["queued", "retry_wait", "sending"]),
                name="outbound_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_address} ({self.status})"

    def can_move_to(self, status: str) -> bool:
        return status in OUTBOUND_TRANSITIONS.get(self.status, frozenset())


class AttemptResult(models.TextChoices):
    SENT = "sent", _("Accepted by the server")
    TRANSIENT = "transient", _("Temporary failure")
    PERMANENT = "permanent", _("Permanent failure")
    # The worker never recorded an outcome (it died); the sweeper closed the attempt.
    ABANDONED = "abandoned", _("Abandoned")


class EmailDeliveryAttempt(models.Model):
    """One try at handing an outbox row to the SMTP server; unfinished while it runs."""

    outbound = models.ForeignKey(
        OutboundEmail, on_delete=models.CASCADE, related_name="delivery_attempts", verbose_name=_("e-mail")
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=AttemptResult.choices, blank=True)
    server_answer = models.TextField(_("server answer"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["outbound", "number"]
        constraints = [
            models.UniqueConstraint(fields=["outbound", "number"], name="delivery_attempt_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.outbound_id} #{self.number}: {self.result or 'running'}"
