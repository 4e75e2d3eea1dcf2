"""Bug and requirement confirmation (程序问题确认 / 需求问题确认) and the application-system transfer-out reports
(应用系统问题转出报告) that carry confirmed items to the client's application division.

A `Confirmation` is one item: submitted by the handler who found a program bug (or a requirement change),
reproduced (or confirmed with the user) by the problem reviewer, confirmed or returned, then transferred in a
report: an urgent one the same day in a report of its own, the others in the contract's monthly report. A
`TransferReport` is approved by the application owner and answered item by item by the application division.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import (
    REPORT_COLOURS,
    STATUS_COLOURS,
    AnswerResult,
    ConfirmationKind,
    ConfirmationStatus,
    ReportKind,
    ReportStatus,
)

TITLE_MAX = 200
NAME_MAX = 100


class TransferReport(TimeStampedModel, VersionedModel):
    """应用系统问题转出报告: urgent (one item, the day it was confirmed) or the monthly one of a contract
    (《XX月应用系统问题转出报告》: every non-urgent item confirmed that month, at most one per contract and month)."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="transfer_reports",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("client organisation"))
    period = models.DateField(_("month"), null=True, blank=True,
                              help_text=_("First day of the month of a monthly report."))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.TextField(_("reason sent back"), blank=True)

    class Meta:
        verbose_name = _("transfer-out report")
        verbose_name_plural = _("transfer-out reports")
        indexes = [
            models.Index(fields=["contract", "status", "-id"], name="trr_contract_status_idx"),
            models.Index(fields=["status", "-id"], name="trr_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period"], condition=models.Q(kind="monthly"),
                                    name="transfer_report_one_monthly_per_contract"),
            models.CheckConstraint(condition=models.Q(kind="urgent") | models.Q(period__isnull=False),
                                   name="transfer_report_monthly_has_period"),
            models.CheckConstraint(condition=models.Q(status__in=ReportStatus.values),
                                   name="transfer_report_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("confirmations:report_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return REPORT_COLOURS.get(self.status, "secondary")


class Confirmation(TimeStampedModel, VersionedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ConfirmationKind.choices)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="confirmations",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("client organisation"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    affected_system = models.CharField(_("affected system"), max_length=TITLE_MAX, blank=True)
    problem = models.ForeignKey("problems.Problem", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="confirmations", verbose_name=_("problem"))
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="confirmations", verbose_name=_("incident"))
    status = models.CharField(_("status"), max_length=20, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("submitted by"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("reviewer"))
    check_notes = models.TextField(_("reproduction / confirmation with the user"), blank=True)
    confirmed_with = models.CharField(_("confirmed with"), max_length=NAME_MAX, blank=True,
                                      help_text=_("The developer (bug) or the user (requirement) who confirmed it."))
    summary = models.TextField(_("summary for the report"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    suggestion = models.TextField(_("suggested handling"), blank=True)
    urgent = models.BooleanField(_("urgent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    report = models.ForeignKey(TransferReport, null=True, blank=True, on_delete=models.PROTECT, related_name="items",
                               verbose_name=_("transfer-out report"))
    answer = models.TextField(_("answer of the application division"), blank=True)
    answer_result = models.CharField(_("result"), max_length=12, choices=AnswerResult.choices, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    return_reason = models.TextField(_("reason returned"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    class Meta:
        verbose_name = _("bug or requirement confirmation")
        verbose_name_plural = _("bug and requirement confirmations")
        indexes = [
            models.Index(fields=["contract", "status", "-id"], name="cfm_contract_status_idx"),
            models.Index(fields=["status", "-id"], name="cfm_status_idx"),
            models.Index(fields=["kind", "-id"], name="cfm_kind_idx"),
            models.Index(fields=["contract", "status", "confirmed_at"], name="cfm_monthly_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ConfirmationStatus.values),
                                   name="confirmation_status_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=ConfirmationKind.values),
                                   name="confirmation_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("confirmations:confirmation_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")
