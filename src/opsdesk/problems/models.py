"""Problems (问题): the underlying cause of one or more incidents, its workaround and its permanent fix."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel
from opsdesk.incidents.choices import LEVEL_COLOURS, Level

from .choices import OPEN_STATUSES, STATUS_COLOURS, ProblemStatus

TITLE_MAX = 200
SYSTEM_MAX = 200


class Problem(TimeStampedModel, VersionedModel):
    """The cause behind incidents, for one contract, run by the procedure of workflow.py.

    new → investigating (root-cause analysis) → known error (root cause and workaround recorded, the
    `known_error` flag set) → solved (a permanent solution is required; the linked incidents are resolved
    with it) → closed by the project manager; cancelled (with a reason) from any working state; a solved
    problem can be reopened. `owner` is the problem manager who took it (the creator), `assignee` who works
    it now. `organisation` repeats the contract's client for indexed visibility filters, though only the
    contract's staff ever see problems. `version` is the optimistic lock of every write. `article` is the
    knowledge article published from it, if any.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="problems",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="problems",
                                     verbose_name=_("client organisation"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey("incidents.IncidentCategory", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="problems", verbose_name=_("category"))
    affected_system = models.CharField(_("affected system"), max_length=SYSTEM_MAX, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.L3)
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    solution = models.TextField(_("permanent solution"), blank=True)
    known_error = models.BooleanField(_("known error"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.NEW)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="owned_problems", verbose_name=_("problem manager"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_problems", verbose_name=_("assignee"))
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    article = models.ForeignKey("knowledge.KnowledgeArticle", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("knowledge article"))
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["-id"], name="prb_id_desc_idx"),
            models.Index(fields=["contract", "status", "-id"], name="prb_contract_status_idx"),
            models.Index(fields=["status", "-id"], name="prb_status_idx"),
            models.Index(fields=["contract", "created_at"], name="prb_contract_created_idx"),
            models.Index(fields=["contract", "solved_at"], name="prb_contract_solved_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="problem_level_range"),
            models.CheckConstraint(condition=models.Q(status__in=ProblemStatus.values), name="problem_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("problems:problem_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return str(STATUS_COLOURS.get(self.status, "secondary"))  # type: ignore[call-overload]

    @property
    def level_colour(self) -> str:
        return LEVEL_COLOURS.get(self.level, "secondary")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ProblemIncident(models.Model):
    """An incident linked to a problem (it closes when the problem is solved).

    `active` is true while the problem is open (not closed, not cancelled); an incident has at most one
    active link (a partial unique index), so two people linking it at once cannot both succeed.
    """

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links",
                                verbose_name=_("problem"))
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="problem_links",
                                 verbose_name=_("incident"))
    active = models.BooleanField(_("active"), default=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("linked by"))
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_unique"),
            models.UniqueConstraint(fields=["incident"], condition=models.Q(active=True),
                                    name="problem_incident_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} ↔ {self.incident_id}"
