"""Service requests (服务请求): the staffed procedures of the tender — 调工 (staffing) and 派工 (dispatch).

One record type for the seven kinds (urgent problem handling, major configuration change, resource
optimisation, migration, data maintenance, on-site support, collaborative problem solving); the record's
`kind` selects its procedure (workflow.py). Every step writes what it records into a field here, so the
派工单 and the service report (问题处理服务报告) print from the record alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import ENDED_STATUSES, STATUS_COLOURS, Difficulty, RequestKind, RequestStatus

TITLE_MAX = 200
SYSTEM_MAX = 200


def _text(label: Any) -> models.TextField:
    return models.TextField(label, blank=True)


class ServiceRequest(TimeStampedModel, VersionedModel):
    """A staffed service request on one contract, run by the declaration of its `kind`.

    `organisation` repeats the contract's client (indexed visibility filters); `requester` is the client
    person it is for; `handler` the staff member dispatched to it. `version` is the optimistic lock.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="service_requests",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     related_name="service_requests", verbose_name=_("client organisation"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = _text(_("description"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="service_requests", verbose_name=_("requester"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    affected_system = models.CharField(_("affected system"), max_length=SYSTEM_MAX, blank=True)
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="service_requests", verbose_name=_("linked incident"))
    problem = models.ForeignKey("problems.Problem", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="service_requests", verbose_name=_("linked problem"))
    desired_date = models.DateField(_("desired date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.REQUESTED)

    # assessment (应用运维岗)
    effort_hours = models.DecimalField(_("effort estimate (hours)"), max_digits=6, decimal_places=1, null=True,
                                       blank=True)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices, blank=True)
    needs_extra_resources = models.BooleanField(_("needs extra resources"), default=False)
    # staffing (调工)
    staffing_resources = _text(_("resources requested"))
    staffing_reason = _text(_("why they are needed"))
    staffing_approved = models.BooleanField(_("staffing approved"), default=False)
    staffing_waived = models.BooleanField(_("proceeding without extra staff"), default=False)
    staffing_reject_reason = _text(_("staffing rejection reason"))
    # dispatch (派工)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="handled_service_requests", verbose_name=_("handler"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # urgent problem handling
    system_down = models.BooleanField(_("system down"), null=True, blank=True)
    affected_business = _text(_("affected business"))
    restore_notes = _text(_("what was done to restore service"))
    restored_at = models.DateTimeField(_("service restored at"), null=True, blank=True)
    root_cause = _text(_("root cause"))
    potential_risks = _text(_("potential risks"))
    solution = _text(_("solution"))
    om_advice = _text(_("O&M advice"))
    # collaborative problem solving
    collaborators = _text(_("other systems involved and their handlers"))
    # on-site support
    agreed_arrival_at = models.DateTimeField(_("agreed arrival"), null=True, blank=True)
    resources_needed = _text(_("resources needed"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    # plan, test, change window
    plan = _text(_("plan"))
    impact_analysis = _text(_("impact analysis"))
    rollback_plan = _text(_("rollback plan"))
    plan_approved = models.BooleanField(_("plan approved"), default=False)
    plan_reject_reason = _text(_("plan rejection reason"))
    test_environment = _text(_("test environment"))
    test_passed = models.BooleanField(_("test passed"), null=True, blank=True)
    test_notes = _text(_("test notes"))
    change_window_start = models.DateTimeField(_("change window start"), null=True, blank=True)
    change_window_end = models.DateTimeField(_("change window end"), null=True, blank=True)
    # implementation
    findings = _text(_("findings"))
    implementation_notes = _text(_("work done"))
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    # user signature (on-site support)
    signer_name = models.CharField(_("signed by"), max_length=100, blank=True)
    stamped = models.BooleanField(_("stamped"), default=False)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    refuse_reason = _text(_("reason for refusing to sign"))
    # the service report (问题处理服务报告 / 高级技术支持服务返回单)
    phenomenon = _text(_("phenomenon"))
    analysis = _text(_("analysis"))
    cause = _text(_("cause"))
    steps = _text(_("steps taken"))
    log = _text(_("log"))
    reported_at = models.DateTimeField(_("report written at"), null=True, blank=True)
    sent_back_reason = _text(_("reason the follow-up sent it back"))
    sent_back_count = models.PositiveSmallIntegerField(_("times sent back"), default=0)
    # closure and knowledge
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = _text(_("cancellation reason"))
    reject_reason = _text(_("rejection reason"))
    knowledge_done = models.BooleanField(_("knowledge maintained"), default=False)
    knowledge_article = models.ForeignKey("knowledge.KnowledgeArticle", null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+",
                                          verbose_name=_("knowledge article"))
    no_knowledge_reason = _text(_("why no new knowledge"))

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["-id"], name="srq_id_desc_idx"),
            models.Index(fields=["contract", "status", "-id"], name="srq_contract_status_idx"),
            models.Index(fields=["contract", "kind", "-id"], name="srq_contract_kind_idx"),
            models.Index(fields=["organisation", "-id"], name="srq_org_idx"),
            models.Index(fields=["requester", "-id"], name="srq_requester_idx"),
            models.Index(fields=["handler", "-id"], name="srq_handler_idx"),
            models.Index(fields=["status", "-id"], name="srq_status_idx"),
            models.Index(fields=["kind", "-id"], name="srq_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=RequestStatus.values), name="srq_status_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=RequestKind.values), name="srq_kind_valid"),
            models.CheckConstraint(condition=models.Q(effort_hours__isnull=True)
                                   | models.Q(effort_hours__gt=0, effort_hours__lte=1000),
                                   name="srq_effort_range"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("servicerequests:request_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return str(STATUS_COLOURS.get(self.status, "secondary"))  # type: ignore[call-overload]

    @property
    def is_open(self) -> bool:
        return self.status not in ENDED_STATUSES
