"""Incidents (事件), their categories and the work orders (派工单) that send engineers on site."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel
from opsdesk.sla.models import SlaTracked

from .choices import (
    LEVEL_COLOURS,
    STATUS_COLOURS,
    CallOutcome,
    Channel,
    HoldReason,
    IncidentStatus,
    Level,
    WorkOrderStatus,
)

TITLE_MAX = 200


class IncidentCategory(TimeStampedModel):
    """A classification of incidents (hardware / printer, application / tax filing …); categories nest."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["parent__name", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="incident_category_unique")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class Incident(TimeStampedModel, VersionedModel, SlaTracked):
    """A fault or service interruption reported by a requester, handled under the general procedure.

    One-stop (一站式): `owner` is whoever accepted it and stays responsible until closure; `assignee` is
    the engineer working it now. `organisation` repeats the contract's client so that visibility filters
    use one indexed column. State changes only through the workflow engine (workflow.py). `reported_at` is
    when the call actually came in (never in the future): the SLA clocks start there, not at logging time.
    The `sla_*` fields (SlaTracked) summarise the SLA clocks for lists and the "due soonest" sort.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    symptom = models.TextField(_("symptom"), blank=True)
    operation_steps = models.TextField(_("operation steps"), blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.L4)
    category = models.ForeignKey(IncidentCategory, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="incidents", verbose_name=_("category"))
    affected_system = models.CharField(_("affected system"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=IncidentStatus.choices,
                              default=IncidentStatus.NEW)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="incidents",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="incidents",
                                     verbose_name=_("client organisation"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="requested_incidents", verbose_name=_("requester"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("logged by"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="owned_incidents", verbose_name=_("owner"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_incidents", verbose_name=_("assignee"))
    solution = models.TextField(_("solution"), blank=True)
    reject_reason = models.TextField(_("rejection reason"), blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=20, choices=HoldReason.choices, blank=True)
    hold_note = models.TextField(_("hold note"), blank=True)
    held_from = models.CharField(max_length=30, blank=True)  # the status to resume to
    escalation_reason = models.TextField(_("escalation reason"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    knowledge_candidate = models.BooleanField(_("knowledge candidate"), default=False)
    # A database default too, so bulk loads that predate the column (bench/generate.py) still insert.
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_default=Now())
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        # Every list filter and sort has an index whose last column is the sort key (`-id` ≈ newest first),
        # so a filtered page reads a bounded index range instead of sorting the table.
        indexes = [
            models.Index(fields=["-id"], name="inc_id_desc_idx"),
            models.Index(fields=["status", "-id"], name="inc_status_idx"),
            models.Index(fields=["contract", "status", "-id"], name="inc_contract_status_idx"),
            models.Index(fields=["contract", "-id"], name="inc_contract_idx"),
            models.Index(fields=["organisation", "-id"], name="inc_org_idx"),
            models.Index(fields=["requester", "-id"], name="inc_requester_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="inc_assignee_idx"),
            models.Index(fields=["owner", "status", "-id"], name="inc_owner_idx"),
            models.Index(fields=["level", "status", "-id"], name="inc_level_idx"),
            models.Index(fields=["level", "-id"], name="inc_level_sort_idx"),  # sort=level without a filter
            models.Index(fields=["created_at"], name="inc_created_idx"),
            # "Due soonest": only incidents with a running SLA clock have a due time, so the index stays small.
            models.Index(fields=["sla_due_at", "id"], name="inc_sla_due_idx",
                         condition=models.Q(sla_due_at__isnull=False)),
            # Recurring faults (sla.escalation.recurring_fault): one range read per creation with a system and item.
            models.Index(fields=["contract", "category", "affected_system", "reported_at"], name="inc_recurrence_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="incident_level_range"),
            models.CheckConstraint(condition=models.Q(status__in=IncidentStatus.values), name="incident_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def level_colour(self) -> str:
        return LEVEL_COLOURS.get(self.level, "secondary")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("incidents:incident_detail", args=[self.number])


class WorkOrder(TimeStampedModel):
    """A dispatch (派工单): sends an engineer on site for an incident; arrival is recorded on it."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="work_orders",
                                 verbose_name=_("incident"))
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="work_orders",
                                 verbose_name=_("engineer"))
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("dispatched by"))
    instructions = models.TextField(_("instructions"), blank=True)
    site = models.CharField(_("site"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=WorkOrderStatus.choices,
                              default=WorkOrderStatus.DISPATCHED)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["incident", "status"], name="wo_incident_idx"),
            models.Index(fields=["engineer", "status", "-id"], name="wo_engineer_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class SatisfactionRating(TimeStampedModel):
    """The requester's rating of the service (满意度评价) once an incident is over: 1 (very dissatisfied) to
    5 (very satisfied), with an optional comment.

    One per incident, given once (never edited): by its requester or the organisation's client contact, when
    the incident is closed or the requester has confirmed the solution (resolved). The survey statistics of
    the quality app read these rows later.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="rating",
                                    verbose_name=_("incident"))
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("rated by"))
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5),
                                              name="satisfaction_score_range")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.score}"


class CallRecord(TimeStampedModel):
    """One hotline call as the agent took it (呼叫记录): who called from which number, who answered, when,
    the agent's notes and what came of it.

    A call that opened an incident or followed one up links to it (`incident`); an enquiry answered on the
    phone has none. `contract` is the incident's, or the one the agent took the call for; it scopes who sees
    the record (the contract's staff). `caller` is empty when the number matched nobody.
    """

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="calls",
                                 verbose_name=_("contract"))
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="calls_made", verbose_name=_("caller"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls_taken",
                              verbose_name=_("agent"))
    started_at = models.DateTimeField(_("call started"))
    ended_at = models.DateTimeField(_("call ended"))
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="calls",
                                 verbose_name=_("incident"))

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        indexes = [
            models.Index(fields=["contract", "-id"], name="call_contract_idx"),
            models.Index(fields=["agent", "-id"], name="call_agent_idx"),
            models.Index(fields=["outcome", "-id"], name="call_outcome_idx"),
            models.Index(fields=["started_at"], name="call_started_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=CallOutcome.values), name="call_outcome_valid"),
            models.CheckConstraint(condition=models.Q(ended_at__gte=models.F("started_at")),
                                   name="call_ends_after_start"),
            # An enquiry answered on the phone has no ticket; the other outcomes always have one.
            models.CheckConstraint(
                condition=(models.Q(outcome="answered", incident__isnull=True)
                           | (~models.Q(outcome="answered") & models.Q(incident__isnull=False))),
                name="call_incident_matches_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.started_at:%Y-%m-%d %H:%M}"
