"""Excel import and export of the asset register (core.spreadsheets). The export writes the filtered list; the
import checks every row first (per-row errors with row and column), then writes all rows or none: an asset is
matched by contract and asset tag (new ones are created, known ones updated), and a dry run writes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import access_for
from opsdesk.cmdb.choices import Importance
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import ValidationError
from opsdesk.core.spreadsheets import Column, ImportReport, RowError, open_workbook, read_sheet, workbook_bytes

from . import registry
from .choices import AssetCategory, AssetStatus
from .models import Asset

SHEET = gettext_lazy("Assets")
COLUMNS: tuple[Column, ...] = (
    Column("contract", gettext_lazy("Contract"), required=True, width=14),
    Column("asset_tag", gettext_lazy("Asset tag"), required=True),
    Column("name", gettext_lazy("Name"), required=True, width=24),
    Column("category", gettext_lazy("Asset category")),
    Column("model", gettext_lazy("Model / specification"), width=24),
    Column("serial_number", gettext_lazy("Serial number")),
    Column("department", gettext_lazy("Owner department")),
    Column("custodian", gettext_lazy("Custodian (username)")),
    Column("importance", gettext_lazy("Importance (1-4)"), width=10),
    Column("location", gettext_lazy("Location"), width=24),
    Column("vendor", gettext_lazy("Supplier")),
    Column("purchase_date", gettext_lazy("Purchase date"), width=12),
    Column("price", gettext_lazy("Price (yuan)"), width=12),
    Column("warranty_end", gettext_lazy("Warranty ends"), width=12),
    Column("status", gettext_lazy("Status"), width=12),
    Column("configuration_item", gettext_lazy("Configuration item key")),
)
HEADERS = {col.key: col for col in COLUMNS}
# Statuses an import may set (the others belong to the procedures).
IMPORT_STATUSES = (AssetStatus.IN_STOCK, AssetStatus.IN_USE)


def _choice_map(choices: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    """Values by their key and their labels in Chinese and English (case-insensitive)."""
    out: dict[str, Any] = {}
    for value, label in choices:
        out[str(value).casefold()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                out[str(label).strip().casefold()] = value
    return out


def export_rows(assets: Any) -> Iterator[list[Any]]:
    for a in assets.iterator(chunk_size=2000):
        yield [a.contract.code, a.asset_tag, a.name, a.get_category_display(), a.model, a.serial_number,
               a.department.name if a.department else "", a.custodian.username if a.custodian else "", a.importance,
               a.location, a.vendor, a.purchase_date, a.price, a.warranty_end, a.get_status_display(),
               a.configuration_item.key if a.configuration_item else ""]


def export_workbook(assets: Any) -> bytes:
    """The assets of a (filtered) queryset as an .xlsx the import reads back."""
    qs = assets.select_related("contract", "department", "custodian", "configuration_item").order_by("-id")
    return workbook_bytes([(SHEET, COLUMNS, export_rows(qs))])


def import_assets(*, by: User, upload: Any, dry_run: bool = True) -> ImportReport:
    """Check every row of the workbook's first sheet, then (unless `dry_run` or any error) write them all in
    one transaction with one audit record. Only contracts where `by` keeps the register are accepted."""
    report = ImportReport(dry_run=dry_run)
    workbook = open_workbook(upload)
    if not workbook.worksheets:
        raise ValidationError(fields={"file": _("The workbook has no sheet.")})
    sheet = workbook.worksheets[0]
    rows = read_sheet(sheet, COLUMNS, report)
    title = sheet.title
    access = access_for(by)
    contracts = {c.code: c for c in Contract.objects.filter(
        pk__in=[cid for cid in access.staff_contract_ids if access.roles_on(cid) & registry.EDITORS])}
    org_ids = {c.organisation_id for c in contracts.values()}
    departments = {(d.organisation_id, d.name): d for d in Department.objects.filter(organisation_id__in=org_ids)}
    usernames = {r.get("custodian", "") for _n, r in rows} - {""}
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    keys = {r.get("configuration_item", "") for _n, r in rows} - {""}
    items = {(i.contract_id, i.key): i for i in ConfigurationItem.objects.filter(
        contract_id__in=[c.pk for c in contracts.values()], key__in=keys)}
    tags = {r.get("asset_tag", "") for _n, r in rows}
    existing = {(a.contract_id, a.asset_tag): a for a in Asset.objects.filter(
        contract_id__in=[c.pk for c in contracts.values()], asset_tag__in=tags).select_related(
        "contract", "department", "custodian", "configuration_item")}
    categories, statuses = _choice_map(AssetCategory.choices), _choice_map(AssetStatus.choices)
    importances = _choice_map(Importance.choices)
    seen: dict[tuple[int, str], int] = {}
    plan: list[tuple[Contract, Asset | None, dict[str, Any]]] = []

    def error(row: int, key: str, message: str) -> None:
        report.add(RowError(title, row, str(HEADERS[key].header) if key in HEADERS else key, message))

    for number, row in rows:
        contract = contracts.get(row.get("contract", ""))
        if contract is None:
            error(number, "contract", _("Unknown contract, or you do not keep its asset register."))
            continue
        data: dict[str, Any] = {k: row[k] for k in ("asset_tag", "name", "model", "serial_number", "location",
                                                    "vendor", "purchase_date", "price", "warranty_end") if k in row}
        bad: dict[str, str] = {}
        for key, mapping in (("category", categories), ("status", statuses), ("importance", importances)):
            text = row.get(key, "")
            if text:
                value = mapping.get(text.casefold())
                if value is None:
                    bad[key] = _("Unknown value “%(value)s”.") % {"value": text[:40]}
                else:
                    data[key] = value
        if data.get("status") not in (None, *IMPORT_STATUSES):
            bad["status"] = _("An import sets in stock or in use; the other statuses come from the procedures.")
        if dept := row.get("department", ""):
            data["department"] = departments.get((contract.organisation_id, dept))
            if data["department"] is None:
                bad["department"] = _("“%(name)s” is not a department of the client.") % {"name": dept[:60]}
        elif "department" in row:
            data["department"] = None
        if username := row.get("custodian", ""):
            data["custodian"] = users.get(username)
            if data["custodian"] is None:
                bad["custodian"] = _("Nobody is called “%(name)s”.") % {"name": username[:60]}
        elif "custodian" in row:
            data["custodian"] = None
        if key := row.get("configuration_item", ""):
            data["configuration_item"] = items.get((contract.pk, key))
            if data["configuration_item"] is None:
                bad["configuration_item"] = _("No configuration item “%(key)s” on this contract.") % {"key": key[:60]}
        elif "configuration_item" in row:
            data["configuration_item"] = None
        cleaned = registry.clean_asset_fields(bad, {k: v for k, v in data.items() if k not in bad}, contract)
        tag = cleaned.get("asset_tag", "")
        if tag and (contract.pk, tag) in seen:
            bad["asset_tag"] = _("The asset tag “%(tag)s” is also on row %(row)d.") % {
                "tag": tag, "row": seen[(contract.pk, tag)]}
        elif tag:
            seen[(contract.pk, tag)] = number
        if bad:
            for key, message in bad.items():
                error(number, key, message)
            continue
        found = existing.get((contract.pk, tag))
        if found is not None and "status" in cleaned and cleaned["status"] != found.status \
                and found.status not in IMPORT_STATUSES:
            error(number, "status", _("The asset is “%(status)s”: its procedure changes the status.") % {
                "status": found.get_status_display()})
            continue
        if found is None:
            cleaned.setdefault("status", AssetStatus.IN_USE)
        plan.append((contract, found, cleaned))
    created = sum(1 for _c, found, _f in plan if found is None)
    report.created[title] = created
    report.updated[title] = sum(1 for _c, found, f in plan
                                if found is not None and any(getattr(found, k) != v for k, v in f.items()))
    if not report.written:
        return report
    with transaction.atomic():
        for contract, found, fields in plan:
            if found is None:
                registry.create_asset(by=by, contract=contract, fields=fields, source="import")
            else:
                fields.pop("asset_tag", None)
                registry.apply_changes(by=by, asset=found, changes=fields, procedure="import")
        audit_record(actor=by, action="assets.import", object_type="assets.asset", object_id="*",
                     after={"rows": report.rows, "created": report.created, "updated": report.updated})
    return report
