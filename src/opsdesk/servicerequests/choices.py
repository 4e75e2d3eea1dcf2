"""Kinds and statuses of service requests (服务请求: the staffed procedures 调工 / 派工), with badge colours.

One superset of statuses serves the seven kinds: each kind's declaration (workflow.py) uses the ones its
procedure passes through.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    URGENT = "urgent", _("Urgent problem handling")
    MAJOR_CHANGE = "major_change", _("Major configuration change")
    OPTIMISATION = "optimisation", _("System resource optimisation")
    MIGRATION = "migration", _("System migration")
    DATA_MAINTENANCE = "data_maintenance", _("Data maintenance")
    ONSITE = "onsite", _("On-site support")
    COLLABORATIVE = "collaborative", _("Collaborative problem solving")


class Difficulty(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    STAFFING_NEEDED = "staffing_needed", _("Staffing needed")
    STAFFING_REVIEW = "staffing_review", _("Staffing under review")
    ASSESSED = "assessed", _("Assessed")
    DISPATCHED = "dispatched", _("Dispatched")
    RESTORING = "restoring", _("Restoring service")
    ANALYSING = "analysing", _("Analysing")
    COLLABORATING = "collaborating", _("Collaborating")
    SCHEDULED = "scheduled", _("Arrival scheduled")
    ON_SITE = "on_site", _("On site")
    PLAN_REVIEW = "plan_review", _("Plan under review")
    TESTING = "testing", _("Testing")
    AWAITING_WINDOW = "awaiting_window", _("Awaiting change window")
    IMPLEMENTING = "implementing", _("Implementing")
    IMPLEMENTED = "implemented", _("Implemented")
    SIGNING = "signing", _("Awaiting user signature")
    SIGNED = "signed", _("Signed by the user")
    FOLLOW_UP = "follow_up", _("Follow-up")
    AWAITING_CLOSURE = "awaiting_closure", _("Awaiting closure")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


S = RequestStatus

STATUS_COLOURS = {
    S.REQUESTED: "blue", S.STAFFING_NEEDED: "orange", S.STAFFING_REVIEW: "orange", S.ASSESSED: "cyan",
    S.DISPATCHED: "indigo", S.RESTORING: "red", S.ANALYSING: "indigo", S.COLLABORATING: "indigo",
    S.SCHEDULED: "cyan", S.ON_SITE: "indigo", S.PLAN_REVIEW: "orange", S.TESTING: "purple",
    S.AWAITING_WINDOW: "purple", S.IMPLEMENTING: "indigo", S.IMPLEMENTED: "teal", S.SIGNING: "orange",
    S.SIGNED: "teal", S.FOLLOW_UP: "yellow", S.AWAITING_CLOSURE: "lime", S.CLOSED: "secondary",
    S.CANCELLED: "dark", S.REJECTED: "dark",
}

ENDED_STATUSES = (S.CLOSED, S.CANCELLED, S.REJECTED)
# After the service report: the follow-up and the closure hold the request; it is no longer cancelled.
REPORTED_STATUSES = (S.FOLLOW_UP, S.AWAITING_CLOSURE)
OPEN_STATUSES = tuple(s for s in S if s not in ENDED_STATUSES)
