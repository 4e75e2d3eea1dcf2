"""Excel import of spare parts and consumables (one workbook: a spare-parts sheet and/or a consumables sheet),
and the export of filtered lists. An import checks every row first and reports each bad cell (sheet, row,
column); it writes only when nothing is wrong and it is not a dry run, and then all rows or none.

An imported row creates a part or consumable (a code already on the contract, or twice in the file, is an
error) and, with a quantity, receives that opening stock (at the named location for a part)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import Contract, User
from opsdesk.core.errors import ValidationError
from opsdesk.core.spreadsheets import (
    Column,
    DryRunRollback,
    ImportReport,
    RowError,
    find_sheet,
    open_workbook,
    read_sheet,
)

from . import consumable_services, services
from .models import Consumable, SparePart, StockLocation, StockMovement

PART_SHEET = gettext_lazy("Spare parts")
CONSUMABLE_SHEET = gettext_lazy("Consumables")
MOVEMENT_SHEET = gettext_lazy("Stock movements")

PART_COLUMNS = (
    Column("contract", gettext_lazy("Contract"), width=14),
    Column("code", gettext_lazy("Code"), required=True, width=16),
    Column("name", gettext_lazy("Name"), required=True, width=24),
    Column("model", gettext_lazy("Model"), width=20),
    Column("brand", gettext_lazy("Brand"), width=12),
    Column("labels", gettext_lazy("Labels"), width=18),
    Column("unit", gettext_lazy("Unit"), width=8),
    Column("unit_price", gettext_lazy("Unit price"), width=12),
    Column("min_stock", gettext_lazy("Minimum stock"), width=10),
    Column("agreed_stock", gettext_lazy("Agreed stock level"), width=10),
    Column("supplier", gettext_lazy("Supplier"), width=24),
    Column("location", gettext_lazy("Location"), width=14),
    Column("quantity", gettext_lazy("Quantity"), width=10),
)
CONSUMABLE_COLUMNS = (
    Column("contract", gettext_lazy("Contract"), width=14),
    Column("code", gettext_lazy("Code"), required=True, width=16),
    Column("name", gettext_lazy("Name"), required=True, width=20),
    Column("model", gettext_lazy("Model"), width=20),
    Column("brand", gettext_lazy("Brand"), width=12),
    Column("unit", gettext_lazy("Unit"), width=8),
    Column("unit_price", gettext_lazy("Unit price"), width=12),
    Column("supplier", gettext_lazy("Supplier"), width=24),
    Column("min_stock", gettext_lazy("Minimum stock"), width=10),
    Column("quantity", gettext_lazy("Quantity"), width=10),
)
MOVEMENT_COLUMNS = (
    Column("at", gettext_lazy("Time"), width=18),
    Column("contract", gettext_lazy("Contract"), width=14),
    Column("code", gettext_lazy("Code"), width=16),
    Column("name", gettext_lazy("Name"), width=24),
    Column("kind", gettext_lazy("Kind"), width=10),
    Column("quantity", gettext_lazy("Quantity"), width=8),
    Column("from", gettext_lazy("From location"), width=14),
    Column("to", gettext_lazy("To location"), width=14),
    Column("reason", gettext_lazy("Reason"), width=30),
    Column("ticket", gettext_lazy("Ticket"), width=20),
    Column("by", gettext_lazy("By"), width=12),
)
OPENING_REASON = gettext_lazy("Opening stock (import)")
# The names users give these sheets in their own workbooks, whatever the interface language.
SHEET_ALIASES = {"parts": ("备件", "备件清单", "备品备件"), "consumables": ("耗材", "耗材清单")}


def _header(columns: Sequence[Column], key: str) -> str:
    return next((str(c.header) for c in columns if c.key == key), key)


def _errors_to_report(report: ImportReport, sheet: str, row: int, columns: Sequence[Column],
                      errors: dict[str, str]) -> None:
    for name, message in errors.items():
        report.add(RowError(sheet, row, _header(columns, name), message))


def _check_contract(errors: dict[str, str], contract: Contract, value: str) -> None:
    if value and value != contract.code:
        errors["contract"] = _("This workbook is imported into %(code)s.") % {"code": contract.code}


def _opening(errors: dict[str, str], raw: str) -> int:
    return services.clean_quantity(errors, "quantity", raw, allow_zero=True) if raw else 0


def supplies_import(*, by: User, contract: Contract, upload: Any, dry_run: bool) -> ImportReport:
    """Import the workbook into the contract's store (see the module docstring); the report of what was (or,
    in a dry run, would be) created and of every bad row."""
    services.require_store(by, contract.pk)
    workbook = open_workbook(upload)
    part_sheet = find_sheet(workbook, "spare_parts", PART_SHEET, *SHEET_ALIASES["parts"])
    consumable_sheet = find_sheet(workbook, "consumables", CONSUMABLE_SHEET, *SHEET_ALIASES["consumables"])
    if part_sheet is None and consumable_sheet is None:
        raise ValidationError(fields={"file": _("The workbook has no sheet named “%(parts)s” or “%(consumables)s”.")
                                      % {"parts": PART_SHEET, "consumables": CONSUMABLE_SHEET}})
    report = ImportReport(dry_run=dry_run)
    part_rows = _check_parts(report, contract, part_sheet) if part_sheet is not None else []
    consumable_rows = (_check_consumables(report, contract, consumable_sheet)
                       if consumable_sheet is not None else [])
    if not report.ok or dry_run:
        return report
    try:
        with transaction.atomic():
            for title, number, fields, location, quantity in part_rows:
                _write_part(report, by, contract, title, number, fields, location, quantity)
            for title, number, fields, _location, quantity in consumable_rows:
                _write_consumable(report, by, contract, title, number, fields, quantity)
            if not report.ok:
                raise DryRunRollback
    except DryRunRollback:
        report.created = {}
    return report


Checked = tuple[str, int, dict[str, Any], StockLocation | None, int]


def _check_parts(report: ImportReport, contract: Contract, sheet: Any) -> list[Checked]:
    rows = read_sheet(sheet, PART_COLUMNS, report)
    locations = {loc.code: loc for loc in StockLocation.objects.filter(contract=contract, is_active=True)}
    locations.update({loc.name: loc for loc in locations.values()})
    taken = set(SparePart.objects.filter(contract=contract).values_list("code", flat=True))
    seen: dict[str, int] = {}
    out: list[Checked] = []
    for number, row in rows:
        errors: dict[str, str] = {}
        _check_contract(errors, contract, row.get("contract", ""))
        code = services.clean_code(errors, "code", row.get("code"))
        fields = services.clean_part_fields(errors, row)
        if code in taken:
            errors["code"] = _("The code “%(code)s” is taken on this contract.") % {"code": code}
        elif code in seen:
            errors["code"] = _("The code “%(code)s” is also on row %(row)d.") % {"code": code, "row": seen[code]}
        seen.setdefault(code, number)
        quantity = _opening(errors, row.get("quantity", ""))
        location = None
        if name := row.get("location", "").strip():
            location = locations.get(name)
            if location is None:
                errors["location"] = _("There is no location “%(name)s” on this contract.") % {"name": name[:60]}
        elif quantity:
            errors["location"] = _("Name the location of the opening stock.")
        _errors_to_report(report, sheet.title, number, PART_COLUMNS, errors)
        if not errors:
            report.created[sheet.title] = report.created.get(sheet.title, 0) + 1
            out.append((sheet.title, number, {"code": code, **fields}, location, quantity))
    return out


def _check_consumables(report: ImportReport, contract: Contract, sheet: Any) -> list[Checked]:
    rows = read_sheet(sheet, CONSUMABLE_COLUMNS, report)
    taken = set(Consumable.objects.filter(contract=contract).values_list("code", flat=True))
    seen: dict[str, int] = {}
    out: list[Checked] = []
    for number, row in rows:
        errors: dict[str, str] = {}
        _check_contract(errors, contract, row.get("contract", ""))
        code = services.clean_code(errors, "code", row.get("code"))
        fields = consumable_services.clean_consumable_fields(errors, row)
        if code in taken:
            errors["code"] = _("The code “%(code)s” is taken on this contract.") % {"code": code}
        elif code in seen:
            errors["code"] = _("The code “%(code)s” is also on row %(row)d.") % {"code": code, "row": seen[code]}
        seen.setdefault(code, number)
        quantity = _opening(errors, row.get("quantity", ""))
        _errors_to_report(report, sheet.title, number, CONSUMABLE_COLUMNS, errors)
        if not errors:
            report.created[sheet.title] = report.created.get(sheet.title, 0) + 1
            out.append((sheet.title, number, {"code": code, **fields}, None, quantity))
    return out


def _write_part(report: ImportReport, by: User, contract: Contract, title: str, number: int,
                fields: dict[str, Any], location: StockLocation | None, quantity: int) -> None:
    try:
        part = services.part_create(by=by, contract=contract, **fields)
        if quantity and location is not None:
            services.part_receive(by=by, part=part, location=location, quantity=quantity,
                                  reason=str(OPENING_REASON))
    except ValidationError as exc:  # changed by someone else since the check
        _errors_to_report(report, title, number, PART_COLUMNS, exc.fields or {"": exc.message})


def _write_consumable(report: ImportReport, by: User, contract: Contract, title: str, number: int,
                      fields: dict[str, Any], quantity: int) -> None:
    try:
        consumable = consumable_services.consumable_create(by=by, contract=contract, **fields)
        if quantity:
            consumable_services.consumable_receive(by=by, consumable=consumable, quantity=quantity,
                                                   reason=str(OPENING_REASON))
    except ValidationError as exc:
        _errors_to_report(report, title, number, CONSUMABLE_COLUMNS, exc.fields or {"": exc.message})


# --- export ------------------------------------------------------------------------------------------------------

def part_rows(parts: Iterable[SparePart]) -> Iterable[list[Any]]:
    """Rows of the spare-parts sheet; a part with stock at several locations takes a row per location, so the
    export imports again."""
    for part in parts:
        stocks = [s for s in getattr(part, "stock_rows", []) if s.quantity] or [None]
        for stock in stocks:
            yield [part.contract.code, part.code, part.name, part.model, part.brand, ", ".join(part.label_list),
                   part.unit, part.unit_price, part.min_stock, part.agreed_stock, part.supplier,
                   stock.location.code if stock else "", stock.quantity if stock else 0]


def consumable_rows(items: Iterable[Consumable]) -> Iterable[list[Any]]:
    for c in items:
        yield [c.contract.code, c.code, c.name, c.model, c.brand, c.unit, c.unit_price, c.supplier, c.min_stock,
               c.quantity]


def movement_rows(movements: Iterable[StockMovement]) -> Iterable[list[Any]]:
    for m in movements:
        yield [timezone.localtime(m.at), m.contract.code, m.part.code, m.part.name, m.get_kind_display(),
               m.quantity, m.from_location.name if m.from_location else "",
               m.to_location.name if m.to_location else "", m.reason, m.incident.number if m.incident else "",
               m.by.display_name]


def report_columns() -> tuple[Column, ...]:
    """The columns of the monthly stock report workbook."""
    return (Column("code", gettext_lazy("Code"), width=16), Column("name", gettext_lazy("Name"), width=24),
            Column("unit", gettext_lazy("Unit"), width=8), Column("opening", gettext_lazy("Opening stock"), width=10),
            Column("received", gettext_lazy("Stock in"), width=10),
            Column("issued", gettext_lazy("Stock out"), width=10),
            Column("written_off", gettext_lazy("Written off"), width=10),
            Column("adjusted", gettext_lazy("Adjusted by counts"), width=10),
            Column("closing", gettext_lazy("Closing stock"), width=10),
            Column("unit_price", gettext_lazy("Unit price"), width=12),
            Column("closing_value", gettext_lazy("Closing value"), width=14))


def report_rows(report: Any) -> Iterable[list[Any]]:
    for r in report.rows:
        yield [r.part.code, r.part.name, r.part.unit, r.opening, r.received, r.issued, r.written_off, r.adjusted,
               r.closing, r.part.unit_price, r.closing_value]
    totals = report.totals
    yield [str(gettext_lazy("Total")), "", "", totals["opening"], totals["received"], totals["issued"],
           totals["written_off"], totals["adjusted"], totals["closing"], "", totals["closing_value"]]
