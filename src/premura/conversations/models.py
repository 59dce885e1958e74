"""Cases (one customer problem, one named owner) and their messages.

The inbox reads cases through a few composite indexes ending in `last_activity_at`, so that every
inbox page is an index range scan of 25 rows whatever the size of the desk
(docs/architecture.md, "Inbox at scale").
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premura.core.models import Channel


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    WAITING_ON_CARRIER = "waiting_on_carrier", _("Waiting on carrier")
    WAITING_ON_BANK = "waiting_on_bank", _("Waiting on bank")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Open cases are the ones waiting for us; the waiting ones wait for someone else.
OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.OPEN})
WAITING_STATUSES = frozenset(
    {CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.WAITING_ON_CARRIER, CaseStatus.WAITING_ON_BANK}
)


class CasePhase(models.TextChoices):
    """Where a case stands for the desk, derived from its status: the inbox views are index
    ranges on it (decision 0001)."""

    OPEN = "open", _("Waiting for us")
    WAITING = "waiting", _("Waiting on someone else")
    DONE = "done", _("Solved or closed")


# The allowed status changes, from -> to (django-oscar's order pipeline). Every change goes
# through `services.change_status`, which checks this table; nothing moves a case back to "new",
# and closed is final: a customer who writes again gets a follow-up case (decision 0005).
_ALL_BUT_NEW = frozenset(CaseStatus) - {CaseStatus.NEW}
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: _ALL_BUT_NEW,
    CaseStatus.OPEN: _ALL_BUT_NEW - {CaseStatus.OPEN},
    CaseStatus.WAITING_ON_CUSTOMER: _ALL_BUT_NEW - {CaseStatus.WAITING_ON_CUSTOMER},
    CaseStatus.WAITING_ON_CARRIER: _ALL_BUT_NEW - {CaseStatus.WAITING_ON_CARRIER},
    CaseStatus.WAITING_ON_BANK: _ALL_BUT_NEW - {CaseStatus.WAITING_ON_BANK},
    CaseStatus.SOLVED: _ALL_BUT_NEW - {CaseStatus.SOLVED},
    CaseStatus.CLOSED: frozenset(),
}


def phase_of(status: str) -> str:
    if status in OPEN_STATUSES:
        return CasePhase.OPEN
    if status in WAITING_STATUSES:
        return CasePhase.WAITING
    return CasePhase.DONE


class CaseReason(models.TextChoices):
    """Why the customer got in touch, chosen in the portal's contact form or by the agent who
    opens the case: a field, so that reports can count it. Empty when nobody chose one."""

    ORDER_STATUS = "order_status", _("Order status")
    DELIVERY = "delivery", _("Delivery problem")
    DAMAGED = "damaged", _("Damaged item")
    RETURN = "return", _("Return")
    REFUND = "refund", _("Refund")
    PAYMENT = "payment", _("Payment")
    PRODUCT = "product", _("Product question")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Case(models.Model):
    """A customer's problem. Its primary key is the case number shown to everyone ("#1234")."""

    subject = models.CharField(_("subject"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        "commerce.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("order"),
    )
    status = models.CharField(_("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.NEW)
    # Derived from status in save(), so that "open" and "waiting" are index ranges (decision 0001).
    phase = models.CharField(
        _("phase"), max_length=8, choices=CasePhase.choices, default=CasePhase.OPEN, editable=False
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    reason = models.CharField(
        _("contact reason"), max_length=16, choices=CaseReason.choices, blank=True, default="", db_default=""
    )
    # True when an agent wrote the subject (a case opened for a phone call, or its follow-ups): the
    # portal then shows the customer a neutral title, never the desk's own words.
    is_subject_internal = models.BooleanField(
        _("subject written by the desk"), default=False, db_default=False
    )
    language = models.CharField(_("language"), max_length=8, default="it")
    owner = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("team"),
    )
    # A customer who writes on a closed case opens a new one that points back to it.
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    # The SLA's running deadlines, written only by premura.sla (which listens to
    # signals.case_changed): each is NULL while its target is met, does not apply or the clock is
    # paused (the case waits on someone else, or is done). `sla_due_at` is the earliest of the
    # three, so a case has one only while a clock runs on it (docs/architecture.md, "SLA").
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True, editable=False
    )
    next_response_due_at = models.DateTimeField(_("next response due"), null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True, editable=False)
    # Also written by premura.sla: when the earliest deadline passes its warning share (the
    # inbox's badge turns amber), and the next instant the SLA sweeper must act on the case (a
    # warning or a breach not yet handled; NULL when none is pending). The sweeper reads
    # `sla_check_at <= now` and claims a case by a conditional UPDATE of it
    # (docs/architecture.md, "SLA escalation").
    sla_warn_at = models.DateTimeField(_("SLA warning"), null=True, blank=True, editable=False)
    sla_check_at = models.DateTimeField(_("SLA check"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["last_activity_at"], name="case_activity_idx"),
            models.Index(fields=["phase", "last_activity_at"], name="case_phase_idx"),
            models.Index(fields=["status", "last_activity_at"], name="case_status_idx"),
            models.Index(fields=["owner", "phase", "last_activity_at"], name="case_owner_phase_idx"),
            models.Index(fields=["owner", "status", "last_activity_at"], name="case_owner_status_idx"),
            # "Mine": my cases not yet done (open or waiting), one ordered range (decision 0001).
            models.Index(
                fields=["owner", "last_activity_at"],
                condition=~models.Q(phase="done"),
                name="case_owner_active_idx",
            ),
            models.Index(fields=["team", "phase", "last_activity_at"], name="case_team_phase_idx"),
            # The channel filter ("the WhatsApp queue"), within a view and on all cases.
            models.Index(fields=["channel", "phase", "last_activity_at"], name="case_channel_phase_idx"),
            models.Index(fields=["channel", "last_activity_at"], name="case_channel_idx"),
            models.Index(fields=["customer", "created_at"], name="case_customer_idx"),
            # "Due soonest" and the SLA sweeper's "due by T": ordered ranges over the cases whose
            # clock runs (sla_due_at is NULL otherwise, so these stay as small as the open work),
            # on the whole desk, one owner (or the unassigned: owner IS NULL) and one team.
            models.Index(
                fields=["sla_due_at"], condition=models.Q(sla_due_at__isnull=False), name="case_sla_due_idx"
            ),
            models.Index(
                fields=["owner", "sla_due_at"],
                condition=models.Q(sla_due_at__isnull=False),
                name="case_owner_sla_due_idx",
            ),
            models.Index(
                fields=["team", "sla_due_at"],
                condition=models.Q(sla_due_at__isnull=False),
                name="case_team_sla_due_idx",
            ),
            # The channel and priority filters in "due soonest" order ("urgent cases, soonest first").
            models.Index(
                fields=["channel", "sla_due_at"],
                condition=models.Q(sla_due_at__isnull=False),
                name="case_channel_sla_due_idx",
            ),
            models.Index(
                fields=["priority", "sla_due_at"],
                condition=models.Q(sla_due_at__isnull=False),
                name="case_priority_sla_due_idx",
            ),
            # The SLA sweeper's "what must I do now": an ordered range as small as the pending work.
            models.Index(
                fields=["sla_check_at"],
                condition=models.Q(sla_check_at__isnull=False),
                name="case_sla_check_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args, **kwargs):
        self.phase = phase_of(self.status)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phase"}
        super().save(*args, **kwargs)

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    def can_move_to(self, status: str) -> bool:
        """Whether STATUS_TRANSITIONS allows this case to go from its status to `status`."""
        return status in STATUS_TRANSITIONS.get(self.status, frozenset())

    def allowed_statuses(self) -> list[str]:
        """The statuses this case may move to, in the order of CaseStatus."""
        return [status for status in CaseStatus.values if self.can_move_to(status)]


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case"))
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # Internal notes are for agents only: never shown or sent to the customer.
    is_internal = models.BooleanField(_("internal note"), default=False)
    author_agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("agent"),
    )
    author_customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("customer"),
    )
    # An agent writing for the customer (what a caller said on the phone): the agent is the
    # author, this is the customer they wrote for. The portal never shows such a message.
    on_behalf_of = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    # The name the message was signed with when written.
    author_name = models.CharField(_("author"), max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # The channel's own id (e-mail Message-ID, WhatsApp wamid): a redelivery is stored once.
    external_id = models.CharField(max_length=255, blank=True, verbose_name=_("external id"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="message_channel_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.message.case_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    # A part of an e-mail: its Content-ID, by which the mail's HTML shows it inline ("cid:").
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
