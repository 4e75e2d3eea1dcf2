"""Service-level policies and the clocks they run on tickets.

A policy (per contract and tier) holds the targets: per level 1–4 and optionally per service-catalogue item,
for response, on-site arrival and resolution, each on a named business calendar. A clock (one per metric per
ticket, any ticket type) is kept as an append-only list of events; its due time, elapsed business time and
paused time are derived from the events by a pure function (clock.py) and stored for lists and the sweep.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

from .choices import (
    GRADE_COLOURS,
    AlertKind,
    ClockStatus,
    EventKind,
    Grade,
    Metric,
    OnSiteFrom,
    SlaState,
    Tier,
    TimeBasis,
)


def default_pause_reasons() -> list[str]:
    return ["customer", "third_party"]


class SlaPolicy(TimeStampedModel):
    """The service levels a contract promises at one tier. One policy per contract is in effect (`is_active`).

    Edits bump `revision` (process caches of compiled policies compare it) and apply to tickets created
    afterwards; an editor may re-apply them to running tickets, which keeps the time already spent.
    """

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="sla_policies",
                                 verbose_name=_("contract"))
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in effect"), default=True)
    pause_reasons = models.JSONField(_("hold reasons that pause the clocks"), default=default_pause_reasons)
    on_site_from = models.CharField(_("on-site clock counts"), max_length=20, choices=OnSiteFrom.choices,
                                    default=OnSiteFrom.REPORTED)
    escalate_3_to_2_minutes = models.PositiveIntegerField(_("level 3 becomes level 2 after (minutes)"), default=240)
    escalate_2_to_1_minutes = models.PositiveIntegerField(_("level 2 becomes level 1 after (minutes)"), default=240)
    escalation_basis = models.CharField(_("escalation counts"), max_length=10, choices=TimeBasis.choices,
                                        default=TimeBasis.WALL)
    recurrence_count = models.PositiveSmallIntegerField(_("recurring fault: occurrences"), default=3)
    recurrence_days = models.PositiveSmallIntegerField(_("recurring fault: within days"), default=30)
    response_very_satisfied_minutes = models.PositiveIntegerField(_("response: very satisfied up to (min)"),
                                                                  default=5)
    response_satisfied_minutes = models.PositiveIntegerField(_("response: satisfied up to (min)"), default=10)
    response_pass_minutes = models.PositiveIntegerField(_("response: pass up to (min)"), default=15)
    resolution_very_satisfied_minutes = models.PositiveIntegerField(_("resolution: very satisfied up to (min)"),
                                                                    default=30)
    resolution_satisfied_minutes = models.PositiveIntegerField(_("resolution: satisfied up to (min)"), default=60)
    resolution_pass_minutes = models.PositiveIntegerField(_("resolution: pass up to (min)"), default=120)
    revision = models.PositiveIntegerField(_("revision"), default=1)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["contract_id", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "tier"], name="sla_policy_contract_tier"),
            models.UniqueConstraint(fields=["contract"], condition=Q(is_active=True), name="sla_policy_one_active"),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="sla_policy_tier_valid"),
            models.CheckConstraint(
                condition=Q(response_very_satisfied_minutes__lte=models.F("response_satisfied_minutes"))
                & Q(response_satisfied_minutes__lte=models.F("response_pass_minutes"))
                & Q(resolution_very_satisfied_minutes__lte=models.F("resolution_satisfied_minutes"))
                & Q(resolution_satisfied_minutes__lte=models.F("resolution_pass_minutes")),
                name="sla_policy_grades_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sla:policy_detail", args=[self.pk])


class SlaTarget(models.Model):
    """One target of a policy: `minutes` of business time on `calendar` for a metric at a level.

    A target with a catalogue item (`category`) wins over the level's general one for tickets of that item.
    A metric without a target at a level has no clock there.
    """

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets",
                               verbose_name=_("policy"))
    level = models.PositiveSmallIntegerField(_("level"))
    category = models.ForeignKey("incidents.IncidentCategory", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("service-catalogue item"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    calendar = models.ForeignKey("calendars.Calendar", on_delete=models.PROTECT, related_name="sla_targets",
                                 verbose_name=_("calendar"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["policy_id", "category_id", "level", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level", "metric"], condition=Q(category__isnull=True),
                                    name="sla_target_level_metric"),
            models.UniqueConstraint(fields=["policy", "level", "metric", "category"],
                                    condition=Q(category__isnull=False), name="sla_target_item_level_metric"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="sla_target_level_range"),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="sla_target_minutes_positive"),
            models.CheckConstraint(condition=Q(metric__in=Metric.values), name="sla_target_metric_valid"),
        ]

    def __str__(self) -> str:
        return f"L{self.level} {self.metric} {self.minutes} min"


class SlaTracked(models.Model):
    """Abstract base for ticket models with SLA clocks: what lists need, kept in step by sla.services.

    `sla_due_at` is the earliest due time of the running clocks (null when none runs), and the warning
    instants of that clock let a list colour its badge without reading the clocks.
    """

    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_critical_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, blank=True, default="",
                                 db_default="")
    sla_breached = models.BooleanField(_("SLA breached"), default=False, db_default=False)
    sla_remaining_seconds = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class SlaClock(models.Model):
    """One clock of one ticket (response, on-site arrival or resolution). The truth is in its events.

    The other fields are derived from the events (clock.derive) and stored: `due_at` and the 75 % / 90 %
    instants while running, `next_event_at` (the next warning or breach the sweep has to act on, null when
    none: indexed, so the sweep never scans open tickets), `breached` / `breached_at`, elapsed business
    seconds and paused wall seconds; `escalate_at` (resolution clocks) the automatic level raise, also folded
    into `next_event_at`. `notified_stage` belongs to the sweep: 1 = 75 % warned, 2 = 90 % warned,
    3 = breach handled; each stage is claimed with a conditional UPDATE so it takes effect once.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks",
                               verbose_name=_("policy"))
    level = models.PositiveSmallIntegerField(_("level"))
    item_id = models.PositiveBigIntegerField(null=True, blank=True)  # the ticket's catalogue item
    calendar = models.ForeignKey("calendars.Calendar", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("calendar"))
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    pause_reasons = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=20, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    running_since = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.IntegerField(_("elapsed business seconds"), default=0)
    paused_seconds = models.IntegerField(_("paused seconds"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("75 % at"), null=True, blank=True)
    critical_at = models.DateTimeField(_("90 % at"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, blank=True)
    notified_stage = models.PositiveSmallIntegerField(default=0)
    next_event_at = models.DateTimeField(null=True, blank=True)
    # Resolution clocks at levels 3 and 2: when the ticket, open at its level, is raised one level (sla/sweep.py).
    # Not indexed itself: next_event_at is the earlier of it and the next stage, so one index finds both.
    escalate_at = models.DateTimeField(_("escalates at"), null=True, blank=True)
    noted_years = models.JSONField(default=list)  # years without a holiday arrangement already reported
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "metric"], name="sla_clock_one_per_metric"),
            models.CheckConstraint(condition=Q(status__in=ClockStatus.values), name="sla_clock_status_valid"),
        ]
        indexes = [
            models.Index(fields=["next_event_at"], condition=Q(next_event_at__isnull=False),
                         name="sla_clock_next_event_idx"),
            models.Index(fields=["contract", "stopped_at"], name="sla_clock_attainment_idx"),
            models.Index(fields=["calendar", "status"], name="sla_clock_calendar_idx"),
            models.Index(fields=["policy", "status"], name="sla_clock_policy_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.content_type_id}:{self.object_id}"

    @property
    def grade_colour(self) -> str:
        return GRADE_COLOURS.get(self.grade, "secondary")


class SlaClockEvent(models.Model):
    """Something that happened to a clock, at the instant `at`. Append-only: state is derived from these."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    target_seconds = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey("calendars.Calendar", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["clock", "at", "id"], name="sla_event_clock_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M:%S}"


class SlaAlert(models.Model):
    """Something an administrator must act on, e.g. a clock reached a year whose holidays are not loaded.

    One open alert per kind, calendar and year; later occurrences count on it. It closes when an administrator
    marks it resolved, or by itself once the year's arrangement is loaded.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    calendar = models.ForeignKey("calendars.Calendar", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("calendar"))
    year = models.PositiveSmallIntegerField(_("year"))
    message = models.CharField(_("message"), max_length=500)
    first_ticket = models.CharField(_("first ticket"), max_length=64, blank=True)
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("resolved by"))

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "calendar", "year"], condition=Q(resolved_at__isnull=True),
                                    name="sla_alert_one_open"),
        ]
        indexes = [models.Index(fields=["resolved_at", "-id"], name="sla_alert_open_idx")]

    def __str__(self) -> str:
        return self.message

