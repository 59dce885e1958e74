"""Business calendars, SLA policies and each case's clock (docs/architecture.md, "SLA").

A calendar says when the desk is open; a policy, chosen by the first rule that matches a case,
says how many open minutes the desk has to answer and to resolve; `CaseClock` remembers when the
case's clock ran, so a paused case resumes with the time it had left. The deadlines themselves
live on the case (`conversations.Case.*_due_at`), where the inbox and the sweeper read them.
"""

import dataclasses
import datetime
import functools
import uuid
import zoneinfo

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premura.conversations.models import Priority
from premura.core.models import Channel
from premura.customers.models import Tier
from premura.shop.models import validate_time_zone
from premura.sla.calendar import MIDNIGHT, Hours, Schedule

# A year of a full-time desk (52 weeks of 40 hours) is the longest target a policy may set: the
# walk to a deadline stays short, and a typo of three extra zeros is refused.
MAX_TARGET_MINUTES = 52 * 40 * 60


# A closure lasts at most a year, so a calendar with opening hours always opens again.
MAX_CLOSURE_DAYS = 366


def default_time_zone() -> str:
    return settings.TIME_ZONE


@functools.cache
def italian_holidays(patron_saint_city: str = "") -> holidays.HolidayBase:
    """Italy's public holidays, with the patron saint's day of a province or city (its code in
    the `holidays` package: "MI" for Milan, Sant'Ambrogio). The package fills years as they are
    asked for; holidays are fixed by law, so one object per city serves the whole process."""
    return holidays.country_holidays("IT", subdiv=patron_saint_city or None)


def patron_saint_city_choices() -> list[tuple[str, str]]:
    """The provinces and cities whose patron saint's day the `holidays` package knows, by name:
    ("MI", "Milano (MI)"), ("Andria", "Andria")."""
    names = {code: name for name, code in holidays.Italy.subdivisions_aliases.items()}
    return sorted(
        (
            (code, f"{names[code]} ({code})" if code in names else code)
            for code in holidays.Italy.subdivisions
        ),
        key=lambda choice: choice[1],
    )


class BusinessCalendar(models.Model):
    """When the desk is open: weekly hours, the shop's time zone, public holidays, closures."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    public_holidays = models.BooleanField(
        _("closed on Italian public holidays"), default=True, help_text=_("From the holidays package.")
    )
    patron_saint_city = models.CharField(
        _("patron saint's day of"),
        max_length=32,
        blank=True,
        choices=patron_saint_city_choices,
        help_text=_("Also closed on the patron saint's day of this city (Milano: 7 December)."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.patron_saint_city and not self.public_holidays:
            raise ValidationError(
                {
                    "patron_saint_city": _(
                        "The patron saint's day comes with the public holidays: keep those on."
                    )
                }
            )

    def schedule(self) -> Schedule:
        """This calendar's rules as a Schedule for the arithmetic of premura.sla.calendar."""
        weekly: list[list[tuple[datetime.time, datetime.time]]] = [[] for _day in range(7)]
        for row in self.opening_hours.all():
            weekly[row.weekday].append((row.opens_at, row.closes_at))
        extra_days: dict[datetime.date, list[tuple[datetime.time, datetime.time]]] = {}
        for row in self.extra_openings.all():
            extra_days.setdefault(row.day, []).append((row.opens_at, row.closes_at))
        schedule = Schedule(
            time_zone=zoneinfo.ZoneInfo(self.time_zone),
            weekly=tuple(merge_hours(hours) for hours in weekly),
            closures=tuple((row.first_day, row.last_day) for row in self.closures.all()),
            extra_days={day: merge_hours(hours) for day, hours in extra_days.items()},
        )
        if self.public_holidays:
            return dataclasses.replace(
                schedule, is_holiday=italian_holidays(self.patron_saint_city).__contains__
            )
        return schedule


def merge_hours(hours: list[tuple[datetime.time, datetime.time]]) -> Hours:
    """Hours sorted, with overlapping or touching intervals joined (9–13 and 12–14 is 9–14)."""

    def end_of(closes: datetime.time) -> tuple[int, datetime.time]:
        return (1, closes) if closes == MIDNIGHT else (0, closes)  # 00:00 closes after any time

    merged: list[tuple[datetime.time, datetime.time]] = []
    for opens, closes in sorted(hours):
        if merged and (0, opens) <= end_of(merged[-1][1]):
            if end_of(closes) > end_of(merged[-1][1]):
                merged[-1] = (merged[-1][0], closes)
        else:
            merged.append((opens, closes))
    return tuple(merged)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpenInterval(models.Model):
    """An opening interval of a calendar's day: opening before closing, and closing at 00:00
    means midnight at the end of the day. Its fields come first in the model but last in a
    form: each subclass's admin lists its day before them."""

    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"), help_text=_("00:00 means midnight."))

    class Meta:
        abstract = True

    @property
    def hours_words(self) -> str:
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        if self.opens_at is None or self.closes_at is None:
            return
        if self.closes_at != MIDNIGHT and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("Closing time must be after opening time (00:00 means midnight).")}
            )


class OpeningHours(OpenInterval):
    """One opening interval of a weekday; a split day (9–13 and 14–18) has two rows."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.hours_words}"


class Closure(models.Model):
    """Days the desk is closed although the week says open: 27–31 December, a move, a strike."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures", verbose_name=_("calendar")
    )
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"), help_text=_("Included."))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="sla_closure_days_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day}"

    def clean(self) -> None:
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day comes after the first.")})
        if self.first_day and self.last_day and (self.last_day - self.first_day).days >= MAX_CLOSURE_DAYS:
            raise ValidationError({"last_day": _("A closure lasts at most a year.")})


class ExtraOpening(OpenInterval):
    """Hours on a day the week, a holiday or a closure would keep closed (a Sunday before
    Christmas). A day's extra openings replace its usual hours."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="extra_openings", verbose_name=_("calendar")
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("extra opening")
        verbose_name_plural = _("extra openings")
        ordering = ["day", "opens_at"]

    def __str__(self) -> str:
        return f"{self.day} {self.hours_words}"


def _target_field(label: str, help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
        help_text=help_text,
    )


class Policy(models.Model):
    """Targets in business minutes, for the cases its rule matches. Policies are tried in
    `position` order; the first whose every condition matches wins. An empty condition matches
    anything; an empty target sets no deadline."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Policies are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("business calendar"),
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    teams = models.ManyToManyField(
        "agents.Team", blank=True, related_name="sla_policies", verbose_name=_("teams")
    )
    first_response_minutes = _target_field(
        _("first response (business minutes)"), _("From the customer's first message to an agent's reply.")
    )
    next_response_minutes = _target_field(
        _("next response (business minutes)"),
        _("From a customer's message after an agent's reply to the next reply."),
    )
    resolution_minutes = _target_field(
        _("resolution (business minutes)"), _("From the first message until the case is solved.")
    )
    # Escalation (premura.sla.escalation): the owner is warned when this share of a target's
    # business time is used; at breach the team lead is told, the priority rises one step and,
    # with `reassign_on_breach`, the case goes to another available agent of its team.
    warning_percent = models.PositiveSmallIntegerField(
        _("warn the owner at (% of the target)"),
        null=True,
        blank=True,
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Empty: no warning before the deadline."),
    )
    reassign_on_breach = models.BooleanField(
        _("reassign at breach"),
        default=False,
        help_text=_(
            "When a deadline is missed, give the case to the available agent of its team with the "
            "fewest open cases."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for field, allowed in (
            ("channels", Channel.values),
            ("priorities", Priority.values),
            ("tiers", Tier.values),
        ):
            values = getattr(self, field)
            if not isinstance(values, list) or any(value not in allowed for value in values):
                errors[field] = _("Choose among: %(values)s.") % {"values": ", ".join(allowed)}
        if errors:
            raise ValidationError(errors)

    def matches(
        self, *, channel: str, priority: str, tier: str, team_id: int | None, team_ids: set[int]
    ) -> bool:
        """Whether every condition of the rule holds. `team_ids` are this policy's teams (the
        caller reads them once for all policies)."""
        return (
            (not self.channels or channel in self.channels)
            and (not self.priorities or priority in self.priorities)
            and (not self.tiers or tier in self.tiers)
            and (not team_ids or team_id in team_ids)
        )


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class CaseClock(models.Model):
    """When a case's SLA clock ran. It runs while the case waits on the desk (new, open) and is
    paused otherwise; `runs` are the finished periods, `running_since` the current one, so the
    business time a target has used is measured again under whatever policy and calendar apply
    now (docs/architecture.md, "SLA")."""

    case = models.OneToOneField(
        "conversations.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_clock",
        verbose_name=_("case"),
    )
    policy = models.ForeignKey(
        Policy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    # [[start, end], ...] in ISO 8601, oldest first: the periods the clock ran before the last pause.
    runs = models.JSONField(_("periods run"), default=list, blank=True)
    # {target: DeadlineState} as last written, so a refresh records only what changed.
    states = models.JSONField(_("states"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"#{self.case_id}"

    def finished_runs(self) -> list[tuple[datetime.datetime, datetime.datetime]]:
        return [
            (datetime.datetime.fromisoformat(start), datetime.datetime.fromisoformat(end))
            for start, end in self.runs
        ]


class DeadlineState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    MET = "met", _("met")
    STOPPED = "stopped", _("stopped")
    NONE = "none", _("no target")


class DeadlineChange(models.Model):
    """One change of one deadline of a case, and why: the case page's "first response due by …
    (changed from … because …)"."""

    case = models.ForeignKey(
        "conversations.Case",
        on_delete=models.CASCADE,
        related_name="deadline_changes",
        verbose_name=_("case"),
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    state = models.CharField(_("state"), max_length=8, choices=DeadlineState.choices)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    previous_due_at = models.DateTimeField(_("due before"), null=True, blank=True)
    # What changed the case: the conversations action ("case.replied") or an SLA edit.
    cause = models.CharField(_("cause"), max_length=40)
    policy_name = models.CharField(_("SLA policy"), max_length=100, blank=True)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["case", "changed_at"], name="sla_deadline_change_case_idx")]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.target} {self.state} {self.due_at}"


class DeadlineRecompute(models.Model):
    """A request to compute the deadlines of every case not done again, after a calendar or
    policy changed: worked through by id, a batch at a time (services.recompute_deadlines), by a
    task rung on commit and, should it be lost, by the periodic one. A newer request finishes
    the older ones (it covers every case again)."""

    cause = models.CharField(_("cause"), max_length=40)
    # Names the configuration this request follows: services.active_policies reads the policies
    # again when the newest request's version is not the one it read them under.
    version = models.UUIDField(_("version"), default=uuid.uuid4, editable=False)
    requested_at = models.DateTimeField(_("requested at"))
    # The first case id not yet refreshed.
    next_case_id = models.PositiveBigIntegerField(_("next case"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline recompute")
        verbose_name_plural = _("deadline recomputes")
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(finished_at__isnull=True), name="sla_recompute_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cause} {self.requested_at:%Y-%m-%d %H:%M}"


class Outcome(models.TextChoices):
    PENDING = "pending", _("running")
    MET = "met", _("met")
    BREACHED = "breached", _("breached")
    STOPPED = "stopped", _("stopped")


class TargetOutcome(models.Model):
    """What became of one target of one case, for the escalation and the reports: one row per
    occurrence of a target (the first response; each next response; the resolution), made when
    it is warned, breached or met. The sweeper warns and breaches a target once per occurrence:
    the row still open (`settled_at` NULL) for a case and target says what it has done. The row is
    settled when the target is met, stopped (the case solved unanswered) or dropped; a breached
    target stays breached when met late (`met_at`). Who, which team and channel are those of the
    moment of the outcome (docs/architecture.md, "SLA escalation")."""

    case = models.ForeignKey(
        "conversations.Case",
        on_delete=models.CASCADE,
        related_name="sla_outcomes",
        verbose_name=_("case"),
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    policy = models.ForeignKey(
        Policy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    # The policy's name then: reports keep it when the policy is renamed or deleted.
    policy_name = models.CharField(_("SLA policy name"), max_length=100, blank=True)
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team"),
    )
    agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    # When the outcome became known (met or breached): the reports' period.
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA outcome")
        verbose_name_plural = _("SLA outcomes")
        ordering = ["-outcome_at", "-id"]
        constraints = [
            # One open occurrence per case and target: two workers cannot both start one.
            models.UniqueConstraint(
                fields=["case", "target"],
                condition=models.Q(settled_at__isnull=True),
                name="sla_outcome_one_open_per_target",
            )
        ]
        indexes = [
            models.Index(
                fields=["outcome_at"], condition=models.Q(outcome_at__isnull=False), name="sla_outcome_at_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.target} {self.outcome}"
