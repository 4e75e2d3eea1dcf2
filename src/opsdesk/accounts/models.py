"""Organisations, departments, contracts, people and the roles they hold per contract."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

from .choices import OrganisationKind, Role


class Organisation(TimeStampedModel):
    """A client organisation (a tax bureau, an enterprise), the contractor itself, or a vendor."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices,
                            default=OrganisationKind.CLIENT)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    """A department of an organisation; departments nest."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="departments",
                                     verbose_name=_("organisation"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent department"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "parent", "name"], name="department_unique")]

    def __str__(self) -> str:
        return self.name


class Contract(TimeStampedModel):
    """A service contract (服务合同) with one client organisation: its scope and service rules."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts",
                                     verbose_name=_("client organisation"))
    service_scope = models.TextField(_("service scope"), blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    close_on_confirmation = models.BooleanField(
        _("close when the requester confirms"), default=True,
        help_text=_("When the requester confirms the solution the incident is closed at once; otherwise the "
                    "owner closes it."))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True) | models.Q(starts_on__isnull=True)
                                   | models.Q(ends_on__gte=models.F("starts_on")), name="contract_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person: client staff (requesters, contacts) or contractor staff. Roles come from RoleGrant."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="people", verbose_name=_("organisation"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="people", verbose_name=_("department"))
    # The language of the messages sent to this person (e-mail); pages follow the browser's choice.
    language = models.CharField(_("language"), max_length=10, default="zh-hans",
                                choices=[("zh-hans", "简体中文"), ("en", "English")])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["full_name"], name="user_full_name_idx")]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleGrant(TimeStampedModel):
    """A role held by a person on one contract (e.g. engineer on contract TAX-2026)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="grants",
                                 verbose_name=_("contract"))

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [models.UniqueConstraint(fields=["user", "role", "contract"], name="role_grant_unique")]
        indexes = [models.Index(fields=["contract", "role"], name="grant_contract_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.contract.code}"


class ApiToken(TimeStampedModel):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("person"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
