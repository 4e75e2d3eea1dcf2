"""The CMDB: configuration-item types defined as data (their attributes too), items per contract, typed
relationships between items. An item's attribute values live in one JSON document checked against its type's
attribute definitions by the services; every change is on the item's timeline (core Activity) and audited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import Importance, ItemStatus, RelationKind

NAME_MAX = 200
KEY_MAX = 100


class CIType(TimeStampedModel):
    """A kind of configuration item (business system, server, …) and the attributes its items carry.

    `attributes` is a list of {"name", "label", "kind" (AttributeKind), "required", "choices"}; operators add
    types and attributes without code."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("configuration item type")
        verbose_name_plural = _("configuration item types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(TimeStampedModel, VersionedModel):
    """A configuration item of one contract. `key` identifies it within the contract (hostname, asset tag,
    system code): imports and audits match on it."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="configuration_items",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("client organisation"))
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="items", verbose_name=_("type"))
    key = models.CharField(_("key"), max_length=KEY_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    status = models.CharField(_("status"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.ACTIVE)
    importance = models.PositiveSmallIntegerField(_("importance"), choices=Importance.choices,
                                                  default=Importance.MEDIUM)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("owner"))
    location = models.CharField(_("location"), max_length=NAME_MAX, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["contract", "-id"], name="ci_contract_idx"),
            models.Index(fields=["contract", "ci_type", "-id"], name="ci_contract_type_idx"),
            models.Index(fields=["contract", "status", "-id"], name="ci_contract_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="ci_key_unique_per_contract"),
            models.CheckConstraint(condition=models.Q(status__in=ItemStatus.values), name="ci_status_valid"),
            models.CheckConstraint(condition=models.Q(importance__gte=1, importance__lte=4),
                                   name="ci_importance_range"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Relationship(TimeStampedModel):
    """"source —kind→ target", e.g. "OA system runs on vm-oa-01". Both items are of one contract."""

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing",
                               verbose_name=_("from"))
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming",
                               verbose_name=_("to"))
    kind = models.CharField(_("kind"), max_length=20, choices=RelationKind.choices)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        indexes = [models.Index(fields=["target", "kind"], name="cirel_target_idx")]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="cirel_unique"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="cirel_not_self"),
            models.CheckConstraint(condition=models.Q(kind__in=RelationKind.values), name="cirel_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class AffectedItem(models.Model):
    """A configuration item that a ticket (an incident; later problems and changes) affects. The item's page
    lists its open and past tickets; the ticket's page lists its items. Both are of one contract."""

    item = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="ticket_links",
                             verbose_name=_("configuration item"))
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("linked by"))
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("affected configuration item")
        verbose_name_plural = _("affected configuration items")
        indexes = [models.Index(fields=["item", "content_type", "-object_id"], name="ci_ticket_item_idx")]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id", "item"],
                                               name="ci_ticket_unique")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.item_id}"


class ConfigurationAudit(TimeStampedModel):
    """One audit run (配置审计): the items recorded for a contract compared with an inventory taken on site
    (an Excel workbook). Its findings list what is missing, unexpected or different; the counts are kept so
    the audit list and the status report need no recount."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="cmdb_audits",
                                 verbose_name=_("contract"))
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("run by"))
    file_name = models.CharField(_("inventory file"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded = models.PositiveIntegerField(_("items recorded"), default=0)
    inventoried = models.PositiveIntegerField(_("items in the inventory"), default=0)
    matched = models.PositiveIntegerField(_("items that match"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    unexpected = models.PositiveIntegerField(_("unexpected"), default=0)
    differing = models.PositiveIntegerField(_("differing"), default=0)

    class Meta:
        verbose_name = _("configuration audit")
        verbose_name_plural = _("configuration audits")
        indexes = [models.Index(fields=["contract", "-id"], name="ci_audit_contract_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.created_at:%Y-%m-%d}"


class AuditFinding(models.Model):
    """What one audit found about one key: recorded but not found (missing), found but not recorded
    (unexpected), or found with other values (differing, with each difference)."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("Missing: recorded, not found")
        UNEXPECTED = "unexpected", _("Unexpected: found, not recorded")
        DIFFERING = "differing", _("Differing")

    audit = models.ForeignKey(ConfigurationAudit, on_delete=models.CASCADE, related_name="findings",
                              verbose_name=_("audit"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=KEY_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX, blank=True)
    item = models.ForeignKey(ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("configuration item"))
    row = models.PositiveIntegerField(_("inventory row"), null=True, blank=True)
    differences = models.JSONField(_("differences"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        indexes = [models.Index(fields=["audit", "kind", "key"], name="ci_finding_audit_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
