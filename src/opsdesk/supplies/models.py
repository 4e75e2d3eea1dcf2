"""The spare-parts store and consumables of a contract (备件与耗材).

Stock is a row per (part, location) whose quantity the database keeps at zero or above (a CHECK constraint);
the services change it only with conditional UPDATEs (`… SET quantity = quantity - n WHERE quantity >= n`), so
two people issuing the last unit at once cannot both succeed, on SQLite and PostgreSQL alike. Every change of
stock is a movement row (who, when, why, which ticket): the monthly stock report is computed from them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import ConsumableMovementKind, LocationKind, MovementKind

CODE_MAX = 60
NAME_MAX = 200


class StockLocation(TimeStampedModel):
    """A store room or a site of one contract where spare parts are kept; `code` is unique per contract."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="stock_locations",
                                 verbose_name=_("contract"))
    code = models.CharField(_("code"), max_length=CODE_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices, default=LocationKind.STORE_ROOM)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="supplies_location_code_unique"),
            models.CheckConstraint(condition=Q(kind__in=LocationKind.values), name="supplies_location_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class SparePart(TimeStampedModel, VersionedModel):
    """A kind of spare part (备件) of one contract: `code` is unique per contract. When the stock of all its
    locations falls below `min_stock` it is suggested for replenishment up to `agreed_stock` (the level the
    contract agrees to keep, refilled monthly)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="spare_parts",
                                 verbose_name=_("contract"))
    code = models.CharField(_("code"), max_length=CODE_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    model = models.CharField(_("model"), max_length=NAME_MAX, blank=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    # comma-separated, as typed in the spreadsheets people keep; `label_list` splits them
    labels = models.CharField(_("labels"), max_length=700, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="个")
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)
    min_stock = models.PositiveIntegerField(_("minimum stock"), default=0)
    agreed_stock = models.PositiveIntegerField(_("agreed stock level"), default=0)
    supplier = models.CharField(_("supplier"), max_length=NAME_MAX, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        indexes = [models.Index(fields=["contract", "-id"], name="supplies_part_contract_idx")]
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="supplies_part_code_unique"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="supplies_part_price_not_negative"),
            models.CheckConstraint(condition=Q(agreed_stock__gte=models.F("min_stock")),
                                   name="supplies_part_agreed_covers_minimum"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label_list(self) -> list[str]:
        return [label for label in self.labels.split(",") if label]


class Stock(models.Model):
    """How many of a part lie at a location. Never negative: the database refuses it."""

    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("spare part"))
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="stocks",
                                 verbose_name=_("location"))
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        indexes = [models.Index(fields=["location", "part"], name="supplies_stock_location_idx")]
        constraints = [
            models.UniqueConstraint(fields=["part", "location"], name="supplies_stock_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="supplies_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}={self.quantity}"


class StockMovement(models.Model):
    """One change of a part's stock: received at `to_location`, issued or written off from `from_location`,
    transferred between them, or adjusted at `to_location` after a stock count (`quantity` is then the signed
    difference). A reason is required; `incident` is the ticket the part was used for (same contract)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="movements",
                             verbose_name=_("spare part"))
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    from_location = models.ForeignKey(StockLocation, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("from location"))
    to_location = models.ForeignKey(StockLocation, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("to location"))
    reason = models.CharField(_("reason"), max_length=500)
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("ticket"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["contract", "-id"], name="supplies_move_contract_idx"),
            models.Index(fields=["contract", "at"], name="supplies_move_time_idx"),
            models.Index(fields=["part", "-id"], name="supplies_move_part_idx"),
            models.Index(fields=["contract", "kind", "-id"], name="supplies_move_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="supplies_move_kind_valid"),
            models.CheckConstraint(condition=Q(quantity__gt=0) | (Q(kind=MovementKind.ADJUSTMENT) & ~Q(quantity=0)),
                                   name="supplies_move_quantity_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="supplies_move_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.part_id}"


class Consumable(TimeStampedModel, VersionedModel):
    """A consumable (耗材: mouse, keyboard, toner, ribbon, drum …) of one contract, kept in one stock whose
    quantity never goes below zero (CHECK constraint, conditional UPDATEs)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="consumables",
                                 verbose_name=_("contract"))
    code = models.CharField(_("code"), max_length=CODE_MAX)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    model = models.CharField(_("model"), max_length=NAME_MAX, blank=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="个")
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)
    supplier = models.CharField(_("supplier"), max_length=NAME_MAX, blank=True)
    quantity = models.IntegerField(_("in stock"), default=0)
    min_stock = models.PositiveIntegerField(_("minimum stock"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("consumable")
        verbose_name_plural = _("consumables")
        indexes = [models.Index(fields=["contract", "-id"], name="supplies_cons_contract_idx")]
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="supplies_cons_code_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="supplies_cons_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="supplies_cons_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Loan(models.Model):
    """Consumables lent (借用) to a person of a department, due back on `due_on`; overdue while not returned
    after that day (Beijing time)."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    consumable = models.ForeignKey(Consumable, on_delete=models.PROTECT, related_name="loans",
                                   verbose_name=_("consumable"))
    quantity = models.PositiveIntegerField(_("quantity"))
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("borrower (user)"))
    borrower_name = models.CharField(_("borrower"), max_length=100)
    lent_at = models.DateTimeField(_("lent at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("lent by"))
    returned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("returned to"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            models.Index(fields=["contract", "-id"], name="supplies_loan_contract_idx"),
            models.Index(fields=["contract", "returned_at", "due_on"], name="supplies_loan_open_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_loan_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.consumable_id} × {self.quantity} → {self.borrower_name}"

    @property
    def is_overdue(self) -> bool:
        return self.returned_at is None and self.due_on < timezone.localdate()


class ConsumableMovement(models.Model):
    """One change of a consumable's stock: received, issued (领用) to a department and person, lent, returned,
    or adjusted after a count (`quantity` signed then). `amount` is quantity × the unit price at the time: the
    usage ranking adds it up."""

    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("contract"))
    consumable = models.ForeignKey(Consumable, on_delete=models.PROTECT, related_name="movements",
                                   verbose_name=_("consumable"))
    kind = models.CharField(_("kind"), max_length=20, choices=ConsumableMovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("recipient (user)"))
    recipient_name = models.CharField(_("recipient"), max_length=100, blank=True)
    loan = models.ForeignKey(Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="movements",
                             verbose_name=_("loan"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("consumable movement")
        verbose_name_plural = _("consumable movements")
        indexes = [
            models.Index(fields=["consumable", "-id"], name="supplies_cmove_cons_idx"),
            models.Index(fields=["contract", "kind", "at"], name="supplies_cmove_usage_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConsumableMovementKind.values),
                                   name="supplies_cmove_kind_valid"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) | (Q(kind=ConsumableMovementKind.ADJUSTMENT) & ~Q(quantity=0)),
                name="supplies_cmove_quantity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.consumable_id}"
