"""The channels customers reach the shop on. For now the e-mail channel: the shop's mailboxes.

A Mailbox is one support address (assistenza@shop.example) with how its mail comes in (IMAP
polling or LMTP delivery) and goes out (SMTP, or the installation's EMAIL_* settings when the
mailbox names no server). Business policy lives here, in the database, where administrators edit
it (style.md §8).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from premura.channels import credentials
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
    # Passwords are stored encrypted (channels.credentials); read and set them through the
    # `imap_password` and `smtp_password` properties below, which decrypt and encrypt.
    imap_password_encrypted = models.TextField(_("IMAP password (encrypted)"), blank=True, editable=False)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    # Empty: the installation's EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
    # EMAIL_USE_TLS (read from the environment variables of those names).
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_use_tls = models.BooleanField(_("SMTP with STARTTLS"), default=True)
    smtp_username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password_encrypted = models.TextField(_("SMTP password (encrypted)"), blank=True, editable=False)
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

    @property
    def imap_password(self) -> str:
        """The IMAP password in clear ("" when none); raises UnreadableCredential when the
        installation's keys cannot open it."""
        return credentials.decrypt(self.imap_password_encrypted, what=f"The IMAP password of {self.address}")

    @imap_password.setter
    def imap_password(self, password: str) -> None:
        self.imap_password_encrypted = credentials.encrypt(password)

    @property
    def smtp_password(self) -> str:
        """The SMTP password in clear ("" when none); raises UnreadableCredential likewise."""
        return credentials.decrypt(self.smtp_password_encrypted, what=f"The SMTP password of {self.address}")

    @smtp_password.setter
    def smtp_password(self, password: str) -> None:
        self.smtp_password_encrypted = credentials.encrypt(password)

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


class MailboxesVersion(models.Model):
    """One row whose `token` changes, to a new random value, in the transaction of every save or
    delete of a Mailbox (channels.mailboxes connects the signals). Processes keep a copy of the
    mailboxes and reuse it while the token they read is the one it was loaded under: a change made
    by any process is seen by all at their next read, and a rolled-back change leaves a token that
    never comes back (a counter could)."""

    token = models.BigIntegerField(_("version token"), default=0)

    class Meta:
        verbose_name = _("mailboxes version")
        verbose_name_plural = _("mailboxes versions")

    def __str__(self) -> str:
        return str(self.token)


# --- The outbox (docs/architecture.md, "Anything out: the outbox"; decision 0008) -------------


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    # A notice the shop sends before the customer asks (care: a parcel late, stuck or lost).
    NOTICE = "notice", _("Proactive notice")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Taken back before its first attempt: newer news replaced a notice held for quiet hours.
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Which status a row may move to from each status. SENDING → SENDING is the sweeper reclaiming a
# row whose worker died mid-attempt (the resend keeps the Message-ID, decision 0008). Sent and
# failed are final: a sent row is never sent again. Only a queued row never tried may be withdrawn.
OUTBOUND_TRANSITIONS: dict[str, frozenset[str]] = {
    OutboundStatus.QUEUED: frozenset({OutboundStatus.SENDING, OutboundStatus.WITHDRAWN}),
    OutboundStatus.RETRY_WAIT: frozenset({OutboundStatus.SENDING}),
    OutboundStatus.SENDING: frozenset(
        {OutboundStatus.SENDING, OutboundStatus.SENT, OutboundStatus.RETRY_WAIT, OutboundStatus.FAILED}
    ),
    OutboundStatus.SENT: frozenset(),
    OutboundStatus.FAILED: frozenset(),
    OutboundStatus.WITHDRAWN: frozenset(),
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
            # Our recent mail to one address: the mail-loop check (the acknowledgements of the
            # last minutes) and a vacation reply without headers (our latest mail of any kind to
            # its sender, channels.vacation).
            models.Index(fields=["to_address", "created_at"], name="outbound_to_recent_idx"),
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


# --- Inbound e-mail: raw first (channels/inbound.py, channels/imap.py, channels/lmtp.py) ---------


class InboundSource(models.TextChoices):
    LMTP = "lmtp", _("LMTP delivery")
    IMAP = "imap", _("IMAP polling")


class InboundState(models.TextChoices):
    RECEIVED = "received", _("received")
    # Claimed by a worker (channels.ingest.process_inbound); a row left here by a worker that died
    # is claimed again by the sweeper once `claimed_at` is older than ingest.CLAIM_TIMEOUT.
    PROCESSING = "processing", _("processing")
    PROCESSED = "processed", _("processed")
    UNREADABLE = "unreadable", _("could not be read")


class InboundEmail(models.Model):
    """One message as it reached a mailbox: the exact bytes, before anything reads them.

    The raw bytes live in the database (a BinaryField), not in file storage, on purpose: the row is
    committed in ONE transaction with what makes it durable for the sender. The LMTP listener
    answers 250 only after that commit, and the IMAP poller commits the row together with its
    UIDVALIDITY/last-UID checkpoint. A file written beside a transaction could be orphaned (file
    written, commit lost) or missing (commit done, file lost with a disk), and a backup of the
    database alone would not hold the mail. Messages are bounded by EMAIL_MAX_MESSAGE_BYTES.

    `message_id` is the Message-ID header as found in the raw header block (without <>), empty
    when there is none; (mailbox, message_id) is unique when it is not empty, so the same message
    delivered twice is stored once (channels.inbound.accept_inbound). Processing (parse, thread,
    acknowledge) reads the row later and moves `state` from received to processed or unreadable;
    an unreadable row is kept, never deleted.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="inbound_emails", verbose_name=_("mailbox")
    )
    raw = models.BinaryField(_("raw message"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    envelope_sender = models.CharField(_("envelope sender"), max_length=998, blank=True)
    envelope_recipients = models.JSONField(_("envelope recipients"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=InboundSource.choices)
    imap_uid = models.PositiveBigIntegerField(_("IMAP UID"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=clock.now)
    state = models.CharField(
        _("state"), max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Claims so far: a message whose processing keeps failing stops being retried (ingest.MAX_ATTEMPTS).
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Where processing filed it: the case, and the case message (None for automatic mail and
    # bounces, which are recorded on the case as an audit event, never as a customer message).
    case = models.ForeignKey(
        "conversations.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        verbose_name=_("case"),
    )
    # Not "message": its column would clash with `message_id`, the Message-ID header.
    case_message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        verbose_name=_("message"),
    )
    # channels.email.classify: genuine, automatic or bounce, and why.
    classification = models.CharField(_("classification"), max_length=12, blank=True)
    classification_reason = models.TextField(_("classification reason"), blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=~models.Q(message_id=""),
                name="inbound_email_once_per_message_id",
            )
        ]
        indexes = [
            # The processing sweeper reads what is still waiting (or was left mid-processing),
            # oldest first.
            models.Index(
                fields=["received_at"],
                condition=models.Q(state__in=["received", "processing"]),
                name="inbound_email_waiting",
            ),
            # Threading looks up In-Reply-To/References among every stored Message-ID.
            models.Index(fields=["message_id"], name="inbound_email_message_id"),
            # The console's "could not read" list and its badge: unreadable rows only, newest first.
            models.Index(
                fields=["-received_at", "-id"],
                condition=models.Q(state="unreadable"),
                name="inbound_email_unreadable",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id or f"{self.mailbox} #{self.pk}"


class ImapCheckpoint(models.Model):
    """How far the IMAP poller (or IDLE watcher) has read one mailbox folder: the folder's
    UIDVALIDITY and the highest UID stored. It moves only in the transaction that stores the
    message with that UID (channels.imap), so after a crash the next poll starts right after the
    last committed message.

    A row of its own, not fields on Mailbox: the admin saves whole Mailbox rows and would put an
    old checkpoint back. Keyed by folder too, so pointing a mailbox at another folder reads that
    folder from its start.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.CASCADE, related_name="imap_checkpoints", verbose_name=_("mailbox")
    )
    folder = models.CharField(_("IMAP folder"), max_length=255)
    uidvalidity = models.PositiveBigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(_("last UID stored"), default=0)
    polled_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # While `premura imap_idle` watches the folder it renews this lease; the periodic poll skips
    # the folder until it runs out (channels.imap.polled_mailboxes).
    watched_until = models.DateTimeField(_("watched by IDLE until"), null=True, blank=True)

    class Meta:
        verbose_name = _("IMAP checkpoint")
        verbose_name_plural = _("IMAP checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="imap_checkpoint_per_folder")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.folder} {self.uidvalidity}:{self.last_uid}"
