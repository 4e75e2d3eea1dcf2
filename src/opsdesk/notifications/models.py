"""Notifications: one row per recipient, source event and channel."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import KIND_COLOURS, NotificationChannel, NotificationKind


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
