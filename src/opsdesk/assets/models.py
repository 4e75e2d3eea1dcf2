"""The asset register (资产台账) of each contract, its procedures — acquisition (申购), take-out (外带), repair
(维修, with the quotes of authorised shops) and scrap (报废) — each a record of its own run by its declaration
in workflow.py, and the monthly asset check (月度资产检查) with one line per asset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.cmdb.choices import Importance
from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import (
    ASSET_COLOURS,
    PROCEDURE_COLOURS,
    AcquisitionStatus,
    AssetCategory,
    AssetStatus,
    CheckResult,
    CheckStatus,
    RepairStatus,
    ScrapStatus,
    TakeOutStatus,
)

TAG_MAX = 64
NAME_MAX = 200
TEXT_MAX = 2000
PRICE_DIGITS = 12
# A replacement part of this price or more needs two quotes of authorised shops and the client's approval.
PART_APPROVAL_THRESHOLD = Decimal("500.00")
SEND_OUT_DAYS = 7  # a send-out repair (送修) is due back within a week
PART_WARRANTY_DAYS = 365  # the replaced part's warranty card (保修卡)


def _money(label: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=PRICE_DIGITS, decimal_places=2, null=True, blank=True)


def _user(related: str, label: Any) -> models.ForeignKey:
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name=related, verbose_name=label)


class Asset(TimeStampedModel, VersionedModel):
    """One asset of a contract's register. `asset_tag` identifies it within the contract (the label on it);
    imports match on it. `organisation` repeats the contract's client (its departments own assets)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="assets",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("client organisation"))
    asset_tag = models.CharField(_("asset tag"), max_length=TAG_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    category = models.CharField(_("asset category"), max_length=20, choices=AssetCategory.choices,
                                default=AssetCategory.PHYSICAL)
    model = models.CharField(_("model / specification"), max_length=NAME_MAX, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="assets", verbose_name=_("owner department"))
    custodian = _user("custody_assets", _("custodian"))
    importance = models.PositiveSmallIntegerField(_("importance"), choices=Importance.choices,
                                                  default=Importance.MEDIUM)
    location = models.CharField(_("location"), max_length=NAME_MAX, blank=True)
    vendor = models.CharField(_("supplier"), max_length=NAME_MAX, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    price = _money(_("price (yuan)"))
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AssetStatus.choices, default=AssetStatus.IN_USE)
    configuration_item = models.ForeignKey("cmdb.ConfigurationItem", null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="assets",
                                           verbose_name=_("configuration item"))

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["contract", "-id"], name="asset_contract_idx"),
            models.Index(fields=["contract", "status", "-id"], name="asset_contract_status_idx"),
            models.Index(fields=["contract", "category", "-id"], name="asset_contract_cat_idx"),
            models.Index(fields=["department", "-id"], name="asset_department_idx"),
            models.Index(fields=["status", "-id"], name="asset_status_idx"),
            models.Index(fields=["category", "-id"], name="asset_category_idx"),
            models.Index(fields=["asset_tag"], name="asset_tag_idx"),
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "asset_tag"], name="asset_tag_unique_per_contract"),
            models.CheckConstraint(condition=models.Q(status__in=AssetStatus.values), name="asset_status_valid"),
            models.CheckConstraint(condition=models.Q(category__in=AssetCategory.values),
                                   name="asset_category_valid"),
            models.CheckConstraint(condition=models.Q(importance__gte=1, importance__lte=4),
                                   name="asset_importance_range"),
            models.CheckConstraint(condition=models.Q(price__isnull=True) | models.Q(price__gte=0),
                                   name="asset_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_tag} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("assets:asset_detail", args=[self.pk])

    @property
    def status_colour(self) -> str:
        return str(ASSET_COLOURS.get(self.status, "secondary"))  # type: ignore[call-overload]

    @property
    def in_warranty(self) -> bool:
        return self.warranty_end is not None and self.warranty_end >= timezone.localdate()


class Procedure(TimeStampedModel, VersionedModel):
    """What every asset procedure holds: a number, the contract, who asked, its state, a rejection reason."""

    URL_NAME = ""

    number = models.CharField(_("number"), max_length=32, unique=True)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    reject_reason = models.TextField(_("rejection reason"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse(f"assets:{self.URL_NAME}_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return str(PROCEDURE_COLOURS.get(str(getattr(self, "status", "")), "secondary"))

    @property
    def kind_label(self) -> str:
        return str(self._meta.verbose_name)


def _indexes(prefix: str) -> list[models.Index]:
    return [models.Index(fields=["contract", "-id"], name=f"{prefix}_contract_idx"),
            models.Index(fields=["contract", "status", "-id"], name=f"{prefix}_contract_status_idx"),
            models.Index(fields=["requested_by", "-id"], name=f"{prefix}_requester_idx"),
            models.Index(fields=["status", "-id"], name=f"{prefix}_status_idx")]


class AcquisitionRequest(Procedure):
    """申购: request → approval (client division leader) → purchase → issue (the asset is created then)."""

    URL_NAME = "acquisition"

    status = models.CharField(_("status"), max_length=20, choices=AcquisitionStatus.choices,
                              default=AcquisitionStatus.REQUESTED)
    item_name = models.CharField(_("item"), max_length=NAME_MAX)
    category = models.CharField(_("asset category"), max_length=20, choices=AssetCategory.choices,
                                default=AssetCategory.PHYSICAL)
    specification = models.CharField(_("model / specification"), max_length=NAME_MAX, blank=True)
    reason = models.TextField(_("reason"))
    estimated_price = _money(_("estimated price (yuan)"))
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("for department"))
    vendor = models.CharField(_("supplier"), max_length=NAME_MAX, blank=True)
    price = _money(_("price (yuan)"))
    order_date = models.DateField(_("order date"), null=True, blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="acquisitions",
                              verbose_name=_("asset issued"))

    class Meta:
        verbose_name = _("acquisition request")
        verbose_name_plural = _("acquisition requests")
        indexes = _indexes("asacq")
        constraints = [models.CheckConstraint(condition=models.Q(status__in=AcquisitionStatus.values),
                                              name="asacq_status_valid")]


class TakeOut(Procedure):
    """外带: applicant → device administrator → security administrator → leadership → handed over → returned."""

    URL_NAME = "takeout"

    status = models.CharField(_("status"), max_length=20, choices=TakeOutStatus.choices,
                              default=TakeOutStatus.REQUESTED)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="take_outs", verbose_name=_("asset"))
    reason = models.TextField(_("reason"))
    destination = models.CharField(_("destination"), max_length=NAME_MAX)
    expected_return = models.DateField(_("expected back on"))
    asset_status_before = models.CharField(_("asset status before"), max_length=20, blank=True)
    taken_out_at = models.DateTimeField(_("taken out at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("take-out")
        verbose_name_plural = _("take-outs")
        indexes = [*_indexes("astko"), models.Index(fields=["status", "expected_return"], name="astko_due_idx"),
                   models.Index(fields=["asset", "-id"], name="astko_asset_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=TakeOutStatus.values),
                                              name="astko_status_valid")]

    @property
    def is_overdue(self) -> bool:
        return self.status == TakeOutStatus.TAKEN_OUT and self.expected_return < timezone.localdate()


class Repair(Procedure):
    """维修: in warranty to the vendor; out of warranty the part is priced (500 yuan or more: two quotes of
    authorised shops and the client's approval); on site or sent out (送修, due back in 7 days); completion
    records the replaced part and its one-year warranty card, and that no second-hand part was used."""

    URL_NAME = "repair"

    status = models.CharField(_("status"), max_length=20, choices=RepairStatus.choices,
                              default=RepairStatus.REPORTED)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("asset"))
    fault = models.TextField(_("fault"))
    in_warranty = models.BooleanField(_("in warranty"), default=False)
    vendor_reference = models.CharField(_("vendor service reference"), max_length=NAME_MAX, blank=True)
    part = models.CharField(_("part"), max_length=NAME_MAX, blank=True)
    part_price = _money(_("part price (yuan)"))
    asset_status_before = models.CharField(_("asset status before"), max_length=20, blank=True)
    shop = models.CharField(_("repair shop"), max_length=NAME_MAX, blank=True)
    sent_out_on = models.DateField(_("sent out on"), null=True, blank=True)
    due_back = models.DateField(_("due back on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    replaced_part = models.CharField(_("replaced part"), max_length=NAME_MAX, blank=True)
    part_warranty_end = models.DateField(_("part warranty card ends"), null=True, blank=True)
    no_second_hand = models.BooleanField(_("no second-hand parts"), default=False)
    work_done = models.TextField(_("work done"), blank=True)

    class Meta:
        verbose_name = _("repair")
        verbose_name_plural = _("repairs")
        indexes = [*_indexes("asrep"), models.Index(fields=["status", "due_back"], name="asrep_due_idx"),
                   models.Index(fields=["asset", "-id"], name="asrep_asset_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=RepairStatus.values), name="asrep_status_valid"),
            models.CheckConstraint(condition=models.Q(part_price__isnull=True) | models.Q(part_price__gte=0),
                                   name="asrep_price_not_negative"),
        ]

    @property
    def is_overdue(self) -> bool:
        return (self.status == RepairStatus.SENT_OUT and self.due_back is not None
                and self.due_back < timezone.localdate())

    @property
    def needs_approval(self) -> bool:
        # a step's input may still be the text it was given (the engine writes it, the instance keeps it)
        return self.part_price is not None and Decimal(str(self.part_price)) >= PART_APPROVAL_THRESHOLD


class RepairQuote(TimeStampedModel):
    """A quote for a repair's part from a repair shop (比价: two authorised shops at least)."""

    repair = models.ForeignKey(Repair, on_delete=models.CASCADE, related_name="quotes", verbose_name=_("repair"))
    shop = models.CharField(_("shop"), max_length=NAME_MAX)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=PRICE_DIGITS, decimal_places=2)
    authorised = models.BooleanField(_("authorised shop"), default=False)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="asquote_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.shop} {self.amount}"


class ScrapRequest(Procedure):
    """报废: the reason it cannot be repaired → project manager → client division leader → scrapped."""

    URL_NAME = "scrap"

    status = models.CharField(_("status"), max_length=20, choices=ScrapStatus.choices, default=ScrapStatus.REQUESTED)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="scraps", verbose_name=_("asset"))
    reason = models.TextField(_("why it cannot be repaired"))
    scrapped_at = models.DateTimeField(_("scrapped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scrap request")
        verbose_name_plural = _("scrap requests")
        indexes = [*_indexes("asscr"), models.Index(fields=["asset", "-id"], name="asscr_asset_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=ScrapStatus.values),
                                              name="asscr_status_valid")]


class AssetCheck(TimeStampedModel):
    """The monthly asset check of a contract (one per month): a line per asset on the register."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(_("status"), max_length=20, choices=CheckStatus.choices, default=CheckStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("asset check")
        verbose_name_plural = _("asset checks")
        indexes = [models.Index(fields=["contract", "-month", "-id"], name="aschk_contract_idx"),
                   models.Index(fields=["-month", "-id"], name="aschk_month_idx")]
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="aschk_unique_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="aschk_month_first_day"),
            models.CheckConstraint(condition=models.Q(status__in=CheckStatus.values), name="aschk_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("assets:check_detail", args=[self.pk])

    @property
    def month_label(self) -> str:
        month: dt.date = self.month
        return month.strftime("%Y-%m")

    @property
    def status_colour(self) -> str:
        return "secondary" if self.status == CheckStatus.COMPLETED else "blue"


class AssetCheckLine(models.Model):
    """One asset on a monthly check, with what the checker found."""

    check_list = models.ForeignKey(AssetCheck, on_delete=models.CASCADE, related_name="lines",
                                   verbose_name=_("asset check"))
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+", verbose_name=_("asset"))
    result = models.CharField(_("check result"), max_length=20, choices=CheckResult.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = _user("+", _("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("asset check line")
        verbose_name_plural = _("asset check lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["check_list", "asset"], name="aschkline_unique"),
            models.CheckConstraint(condition=models.Q(result__in=["", *CheckResult.values]),
                                   name="aschkline_result_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.check_list_id} {self.asset_id} {self.result}"
