"""Enumerations of the notifications app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CREATED = "created", _("New urgent incident")
    ASSIGNED = "assigned", _("Assigned to you")
    DISPATCHED = "dispatched", _("Dispatched on site")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Waiting for your confirmation")
    RESOLVED = "resolved", _("Resolved")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    ESCALATION = "escalation", _("Escalated automatically")


class NotificationChannel(models.TextChoices):
    """Where a notification is delivered. One row per recipient, event and channel: e-mail and the
    DingTalk / WeCom / Feishu robots join as further values on the same table."""

    IN_APP = "in_app", _("In the application")


KIND_COLOURS = {
    NotificationKind.CREATED: "red",
    NotificationKind.ASSIGNED: "blue",
    NotificationKind.DISPATCHED: "blue",
    NotificationKind.AWAITING_CONFIRMATION: "yellow",
    NotificationKind.RESOLVED: "green",
    NotificationKind.SLA_WARNING: "orange",
    NotificationKind.SLA_BREACH: "red",
    NotificationKind.ESCALATION: "red",
}
