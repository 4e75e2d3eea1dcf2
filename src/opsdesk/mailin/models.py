"""E-mail intake: the IMAP mailboxes polled per contract and the log of every message received.

Every message that reaches OpsDesk is kept (raw bytes included) with what became of it, so a quarantined
message is never lost and can be processed again once its cause is fixed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

from .choices import OUTCOME_COLOURS, Outcome, Security, UnknownSenderPolicy


class Mailbox(TimeStampedModel):
    """An IMAP mailbox whose new mail becomes incidents of one contract.

    The poller remembers the highest UID it has handled (per UIDVALIDITY of the folder), so each message is
    fetched once; Message-IDs catch whatever gets through twice anyway. Mail from addresses nobody on the
    contract has follows `unknown_sender_policy`.
    """

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="mailboxes",
                                 verbose_name=_("contract"))
    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("e-mail address"), unique=True)
    imap_host = models.CharField(_("IMAP server"), max_length=255)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password = models.CharField(_("password"), max_length=255, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    enabled = models.BooleanField(_("enabled"), default=True)
    unknown_sender_policy = models.CharField(_("unknown senders"), max_length=20,
                                             choices=UnknownSenderPolicy.choices,
                                             default=UnknownSenderPolicy.CREATE_REQUESTER)
    uid_validity = models.PositiveBigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(_("last UID seen"), default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["contract", "name"]
        indexes = [models.Index(fields=["enabled"], name="mailbox_enabled_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(imap_port__gte=1) & models.Q(imap_port__lte=65535),
                                   name="mailbox_port_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def get_absolute_url(self) -> str:
        return reverse("mailin:mailbox_edit", args=[self.pk])


class InboundMessage(models.Model):
    """One e-mail received for a contract and what became of it (its outcome).

    `dedupe_key` is the SHA-256 of the Message-ID (of the raw bytes when there is none): a message that
    arrives twice for a contract is recognised and not processed again. `raw` keeps the message exactly as
    received so that a quarantined one can be retried or downloaded.
    """

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="messages", verbose_name=_("mailbox"))
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="inbound_messages",
                                 verbose_name=_("contract"))
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=64)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    size = models.PositiveIntegerField(_("size"), default=0)
    imap_uid = models.PositiveBigIntegerField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="inbound_messages", verbose_name=_("incident"))
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("handled by"))
    raw = models.BinaryField(_("raw message"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        constraints = [models.UniqueConstraint(fields=["contract", "dedupe_key"], name="inbound_message_unique")]
        indexes = [
            models.Index(fields=["contract", "outcome", "-id"], name="inbound_contract_outcome_idx"),
            models.Index(fields=["contract", "message_id"], name="inbound_contract_msgid_idx"),
            models.Index(fields=["-id"], name="inbound_id_desc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} · {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("mailin:message_detail", args=[self.pk])

    @property
    def outcome_colour(self) -> str:
        return OUTCOME_COLOURS.get(Outcome(self.outcome), "secondary") if self.outcome in Outcome.values \
            else "secondary"
