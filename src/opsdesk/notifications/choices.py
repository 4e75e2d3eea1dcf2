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
    """Where a notification is delivered. In-app rows live in Notification; every other channel is a
    Delivery (one per event, channel and target: a person for e-mail, a group robot for the others)."""

    IN_APP = "in_app", _("In the application")
    EMAIL = "email", _("E-mail")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")
    FEISHU = "feishu", _("Feishu robot")


# The channels a person chooses per kind (robots are chosen per group, by the contract's managers).
PERSONAL_CHANNELS = (NotificationChannel.IN_APP, NotificationChannel.EMAIL)
ROBOT_CHANNELS = (NotificationChannel.DINGTALK, NotificationChannel.WECOM, NotificationChannel.FEISHU)


class RobotProvider(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    FEISHU = "feishu", _("Feishu")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AttemptOutcome(models.TextChoices):
    STARTED = "started", _("In progress")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, will retry")
    RATE_LIMITED = "rate_limited", _("Rate limited, will retry")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")


class MessageLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


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

STATUS_COLOURS = {
    DeliveryStatus.PENDING: "secondary",
    DeliveryStatus.SENDING: "blue",
    DeliveryStatus.SENT: "green",
    DeliveryStatus.FAILED: "red",
}

OUTCOME_COLOURS = {
    AttemptOutcome.STARTED: "blue",
    AttemptOutcome.SENT: "green",
    AttemptOutcome.RETRY: "orange",
    AttemptOutcome.RATE_LIMITED: "yellow",
    AttemptOutcome.FAILED: "red",
    AttemptOutcome.INTERRUPTED: "red",
}
