from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfirmationKind(models.TextChoices):
    BUG = "bug", _("Program bug")
    REQUIREMENT = "requirement", _("Requirement change")


class ConfirmationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for confirmation")
    REVIEWING = "reviewing", _("Being reviewed")
    CHECKED = "checked", _("Reproduced / confirmed with the user")
    RETURNED = "returned", _("Returned to the handler")
    CONFIRMED = "confirmed", _("Confirmed")
    QUEUED = "queued", _("Waiting for the monthly report")
    IN_REPORT = "in_report", _("In a transfer-out report")
    TRANSFERRED = "transferred", _("Transferred to the application division")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


class AnswerResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted, will be fixed")
    PLANNED = "planned", _("Planned for a later version")
    FIXED = "fixed", _("Already fixed")
    REJECTED = "rejected", _("Not accepted")


class ReportKind(models.TextChoices):
    URGENT = "urgent", _("Urgent (same day)")
    MONTHLY = "monthly", _("Monthly")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for the application owner")
    RETURNED = "returned", _("Sent back by the application owner")
    TRANSFERRED = "transferred", _("Transferred to the application division")
    ANSWERED = "answered", _("Answered")


S = ConfirmationStatus
R = ReportStatus
OPEN_STATUSES = (S.SUBMITTED, S.REVIEWING, S.CHECKED, S.RETURNED, S.CONFIRMED, S.QUEUED)
CANCELLABLE = OPEN_STATUSES
STATUS_COLOURS: dict[str, str] = {
    S.SUBMITTED: "blue", S.REVIEWING: "cyan", S.CHECKED: "indigo", S.RETURNED: "orange",
    S.CONFIRMED: "teal", S.QUEUED: "yellow", S.IN_REPORT: "purple", S.TRANSFERRED: "azure",
    S.ANSWERED: "green", S.WITHDRAWN: "secondary", S.CANCELLED: "secondary"}
REPORT_COLOURS: dict[str, str] = {R.DRAFT: "secondary", R.SUBMITTED: "blue", R.RETURNED: "orange",
                                  R.TRANSFERRED: "azure", R.ANSWERED: "green"}
