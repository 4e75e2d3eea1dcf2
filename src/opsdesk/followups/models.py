"""Follow-ups (问题回访与确认): after a ticket was resolved elsewhere (an incident by its problem's permanent
solution, a service request by its handler), the on-site engineer verifies the solution, calls the user back,
the user confirms there are no side effects (or sends it back), the project manager updates the tracking table
(转出问题跟踪表) and the engineer records the solution and closes. One model for every ticket type: the ticket
is a (content type, id) pair, with its number and title repeated for lists that never join back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import ENDED_STATUSES, STATUS_COLOURS, FollowUpStatus


class FollowUp(TimeStampedModel, VersionedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="follow_ups",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("client organisation"))
    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("ticket type"))
    ticket_id = models.PositiveBigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("ticket"), max_length=32)
    ticket_title = models.CharField(_("title"), max_length=200)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("requester"))
    status = models.CharField(_("status"), max_length=20, choices=FollowUpStatus.choices,
                              default=FollowUpStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("opened by"))
    verification = models.TextField(_("verification"), blank=True)
    callback_note = models.TextField(_("call-back note"), blank=True)
    user_statement = models.TextField(_("user's statement"), blank=True)
    sent_back_reason = models.TextField(_("reason sent back"), blank=True)
    tracking_note = models.TextField(_("tracking note"), blank=True)
    solution_record = models.TextField(_("solution recorded"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["contract", "status", "-id"], name="fup_contract_status_idx"),
            models.Index(fields=["status", "-id"], name="fup_status_idx"),
            models.Index(fields=["ticket_type", "ticket_id"], name="fup_ticket_idx"),
            models.Index(fields=["requester", "-id"], name="fup_requester_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "ticket_id"],
                                    condition=~models.Q(status__in=ENDED_STATUSES),
                                    name="followup_one_open_per_ticket"),
            models.CheckConstraint(condition=models.Q(status__in=FollowUpStatus.values),
                                   name="followup_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.ticket_number}"

    def get_absolute_url(self) -> str:
        return reverse("followups:followup_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")
