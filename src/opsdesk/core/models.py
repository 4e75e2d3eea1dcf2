"""Core models with no domain nouns: audit trail, timeline activities, attachments, numbering, idempotency."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Abstract base: creation and last-change instants, stored in UTC."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Abstract base for records run by the workflow engine.

    `version` grows by one with every accepted write; the engine updates a row only where the version is
    still the one the actor saw (a conditional UPDATE), so a stale concurrent action fails with a conflict.
    """

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AuditEntry(models.Model):
    """One row per write made through a service: who did what to which object, before and after.

    Append-only: rows are never updated or deleted by the application (save refuses an existing row).
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["actor", "id"], name="audit_actor_idx"),
            models.Index(fields=["created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")


class ActivityKind(models.TextChoices):
    CREATED = "created", _("Created")
    ACTION = "action", _("Action")
    COMMENT = "comment", _("Comment")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("Attachment")
    SYSTEM = "system", _("System")


class Activity(models.Model):
    """A timeline entry on any record: state changes, comments, internal notes, attachments.

    `internal` entries are hidden from requesters and client contacts.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    action = models.CharField(_("action"), max_length=40, blank=True)
    from_status = models.CharField(_("from"), max_length=40, blank=True)
    to_status = models.CharField(_("to"), max_length=40, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "id"], name="activity_record_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.action}".strip()


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the user's file name on disk: it only lives in the database.
    return f"{instance.content_type_id}/{instance.object_id}/{instance.storage_key}"


class Attachment(models.Model):
    """A file attached to a record; stored outside the web root, served only to those who see the record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    activity = models.OneToOneField(Activity, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="attachment")
    storage_key = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type_header = models.CharField(max_length=120, default="application/octet-stream")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record_idx")]

    def __str__(self) -> str:
        return self.name


class NumberSequence(models.Model):
    """Counters behind human-readable numbers such as INC-20261122-0001: one row per prefix and day."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class IdempotencyKey(models.Model):
    """Remembers the response to a create made with an `Idempotency-Key` header, per user, for replay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key", "scope"], name="idempotency_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_time_idx")]

    def __str__(self) -> str:
        return self.key
