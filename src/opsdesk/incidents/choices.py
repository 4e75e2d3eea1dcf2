"""Incident enumerations, each status with its badge colour (Bootstrap/Tabler colour names)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    ESCALATED = "escalated", _("Escalated to second line")
    ON_HOLD = "on_hold", _("On hold")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting user confirmation")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected (out of scope)")


STATUS_COLOURS = {
    IncidentStatus.NEW: "blue",
    IncidentStatus.ACCEPTED: "cyan",
    IncidentStatus.IN_PROGRESS: "indigo",
    IncidentStatus.ESCALATED: "orange",
    IncidentStatus.ON_HOLD: "yellow",
    IncidentStatus.AWAITING_CONFIRMATION: "purple",
    IncidentStatus.RESOLVED: "green",
    IncidentStatus.CLOSED: "secondary",
    IncidentStatus.REJECTED: "dark",
}

# Open = still needs work from the contractor's side; used by queues and counts.
OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.ACCEPTED, IncidentStatus.IN_PROGRESS, IncidentStatus.ESCALATED,
                 IncidentStatus.ON_HOLD, IncidentStatus.AWAITING_CONFIRMATION)
ENDED_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED, IncidentStatus.REJECTED)


class Level(models.IntegerChoices):
    """Severity (故障分级) of DOMAIN.md section 1."""

    L1 = 1, _("Level 1 – system down")
    L2 = 2, _("Level 2 – severely degraded")
    L3 = 3, _("Level 3 – partly impaired")
    L4 = 4, _("Level 4 – consultation")


LEVEL_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "azure"}


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class HoldReason(models.TextChoices):
    CUSTOMER = "customer", _("Waiting for the customer")
    THIRD_PARTY = "third_party", _("Waiting for a third party")


class WorkOrderStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("Dispatched")
    ARRIVED = "arrived", _("On site")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


WORK_ORDER_COLOURS = {
    WorkOrderStatus.DISPATCHED: "blue",
    WorkOrderStatus.ARRIVED: "orange",
    WorkOrderStatus.COMPLETED: "green",
    WorkOrderStatus.CANCELLED: "secondary",
}


class CallOutcome(models.TextChoices):
    """What came of a hotline call (CallRecord)."""

    NEW_INCIDENT = "new_incident", _("New incident logged")
    FOLLOW_UP = "follow_up", _("Follow-up on an existing ticket")
    ANSWERED = "answered", _("Enquiry answered without a ticket")


CALL_OUTCOME_COLOURS = {CallOutcome.NEW_INCIDENT: "blue", CallOutcome.FOLLOW_UP: "purple",
                        CallOutcome.ANSWERED: "green"}
