"""Notifications: one row per recipient, source event and channel."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    KIND_COLOURS,
    OUTCOME_COLOURS,
    STATUS_COLOURS,
    AttemptOutcome,
    DeliveryStatus,
    MessageLanguage,
    NotificationChannel,
    NotificationKind,
    RobotProvider,
)


class Notification(models.Model):
    """Something a person is told about a ticket, on one channel.

    Business rule: an event is delivered at most once per recipient and channel. `event_key` names the source
    event durably ("activity:<timeline entry id>"), and (recipient, event_key, channel) is unique, so a job
    retried, or a catch-up run re-deriving the same timeline entry, inserts nothing twice. The ticket's number
    and title are copied so the list needs no join to the ticket tables.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("recipient"))
    channel = models.CharField(_("channel"), max_length=20, choices=NotificationChannel.choices,
                               default=NotificationChannel.IN_APP)
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    ticket_number = models.CharField(_("number"), max_length=40)
    ticket_title = models.CharField(_("title"), max_length=200)
    text = models.CharField(_("text"), max_length=300, blank=True)
    url = models.CharField(_("link"), max_length=300)
    event_key = models.CharField(_("event"), max_length=80)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key", "channel"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_list_idx"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True, channel="in_app"),
                         name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def colour(self) -> str:
        return KIND_COLOURS.get(self.kind, "secondary")


class NotificationPreference(models.Model):
    """A person's choice for one kind on one personal channel. Only choices that differ from the default are
    meaningful: in-app is always on, e-mail is on unless turned off (and needs an address)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=NotificationChannel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}/{self.channel}={self.enabled}"


class Robot(models.Model):
    """A DingTalk / WeCom / Feishu group robot of one contract: the group is told once per event of the kinds
    it receives (not once per person). Configured by the contract's project managers or system
    administrators. The secret signs each call (DingTalk, Feishu); WeCom's key is part of the webhook URL."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("contract"))
    provider = models.CharField(_("provider"), max_length=20, choices=RobotProvider.choices)
    name = models.CharField(_("name"), max_length=100)
    webhook_url = models.CharField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    kinds = models.JSONField(_("kinds"), default=list)
    language = models.CharField(_("language"), max_length=10, choices=MessageLanguage.choices,
                                default=MessageLanguage.ZH_HANS)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["contract_id", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "name"], name="robot_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def channel(self) -> str:
        return str(self.provider)  # the provider values double as the channel values

    @property
    def kind_labels(self) -> list[str]:
        return [str(NotificationKind(k).label) for k in self.kinds or [] if k in NotificationKind.values]


class Delivery(models.Model):
    """One event to deliver on one outgoing channel to one target (a person's address, or a group robot).

    Business rules: (event_key, channel, target) is unique, so an event reaches each recipient on each channel
    once however often the deriving job runs. A sender claims a row with a conditional UPDATE
    (pending → sending, with a lease token and a lease end), so two workers never send it at once; a row left
    in `sending` past its lease (the worker died mid-delivery) is reclaimed by the periodic job. Failures are
    retried with exponential backoff up to MAX_ATTEMPTS; every attempt is a DeliveryAttempt.
    """

    event_key = models.CharField(_("event"), max_length=80)
    channel = models.CharField(_("channel"), max_length=20, choices=NotificationChannel.choices)
    target = models.CharField(_("target"), max_length=40)  # "user:<id>" or "robot:<id>"
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("recipient"))
    robot = models.ForeignKey(Robot, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries",
                              verbose_name=_("group robot"))
    contract = models.ForeignKey("accounts.Contract", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("contract"))
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket_number = models.CharField(_("number"), max_length=40)
    ticket_title = models.CharField(_("title"), max_length=200)
    text = models.CharField(_("text"), max_length=300, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    event_at = models.DateTimeField(_("event time"))
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "channel", "target"], name="delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["robot", "status", "next_attempt_at"], name="delivery_robot_due_idx"),
            models.Index(fields=["contract", "-id"], name="delivery_contract_idx"),
            models.Index(fields=["ticket_number"], name="delivery_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.kind} → {self.channel}:{self.target}"

    @property
    def colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def kind_colour(self) -> str:
        return KIND_COLOURS.get(self.kind, "secondary")


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: written as `started` when the delivery is claimed and completed with
    its outcome afterwards, so a worker killed mid-delivery leaves a visible trace (marked `interrupted` when
    the lease is reclaimed). The attempt that made a robot's HTTP call names the robot: counting those of the
    last minute enforces the robot's rate limit across all workers."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name=_("delivery"))
    robot = models.ForeignKey(Robot, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("time"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=AttemptOutcome.choices,
                               default=AttemptOutcome.STARTED)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["id"]
        indexes = [models.Index(fields=["robot", "started_at"], name="attempt_robot_rate_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome}"

    @property
    def colour(self) -> str:
        return OUTCOME_COLOURS.get(self.outcome, "secondary")
