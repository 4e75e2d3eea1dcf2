"""Configuration audits (配置审计) and the configuration status report (配置状态报告).

An audit compares the items recorded for one contract with an inventory taken on site: a workbook with a key
column and any of type, name, status, location and attribute columns (the layout of the export, so last
month's export filled in on site is an inventory). Recorded items in use that the inventory lacks are
missing, inventory keys not recorded are unexpected, and keys in both whose given values differ are listed
with each difference. Retired items are not expected on site."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.services import clean_text
from opsdesk.core.spreadsheets import Column, ImportReport, find_sheet, open_workbook, read_sheet_with_extras

from .choices import Importance, ItemStatus
from .imports import ITEMS_SHEET, choice_lookup
from .models import AuditFinding, CIType, ConfigurationAudit, ConfigurationItem, Relationship
from .services import attribute_value, may_edit_items

INVENTORY_COLUMNS = (
    Column("contract", gettext_lazy("Contract")),
    Column("key", gettext_lazy("Key"), required=True),
    Column("type", gettext_lazy("Type")),
    Column("name", gettext_lazy("Name")),
    Column("status", gettext_lazy("Status")),
    Column("importance", gettext_lazy("Importance")),
    Column("owner", gettext_lazy("Owner")),
    Column("location", gettext_lazy("Location")),
)
COMPARED = ("type", "name", "status", "location")


def _same(recorded: Any, found: Any) -> bool:
    return str(recorded if recorded is not None else "").strip().casefold() == str(found).strip().casefold()


def _attribute_value(spec: dict[str, Any], text: str) -> Any:
    try:
        return attribute_value(spec, text)
    except ValueError:
        return text


def configuration_audit_run(*, by: User, contract: Contract, upload: Any, note: str = "") -> ConfigurationAudit:
    """Compare the contract's recorded items with the inventory workbook and keep what differs (one audit
    with its findings, in one transaction). Only the contract's CMDB editors run audits."""
    access = access_for(by)
    if contract.pk not in access.staff_contract_ids:
        raise NotFound(_("Unknown contract."))
    if not may_edit_items(by, contract.pk):
        raise ValidationError(fields={"contract": _("Only the contract's engineers, project manager and system "
                                                    "administrator audit its configuration.")})
    errors: dict[str, str] = {}
    note = clean_text(errors, "note", note, max_length=500)
    if errors:
        raise ValidationError(fields=errors)
    workbook = open_workbook(upload)
    try:
        sheet = find_sheet(workbook, ITEMS_SHEET, "items", gettext_lazy("Inventory")) or workbook.worksheets[0]
        report = ImportReport(dry_run=True)
        rows = read_sheet_with_extras(sheet, INVENTORY_COLUMNS, report)
    finally:
        workbook.close()
    if not report.ok:
        raise ValidationError(fields={"file": _("The inventory has no “%(column)s” column.")
                                      % {"column": report.errors[0].column}})
    recorded = {i.key: i for i in ConfigurationItem.objects.filter(contract=contract).select_related("ci_type")}
    statuses = choice_lookup(ItemStatus.choices)
    types = {t.code.casefold(): t for t in CIType.objects.all()} | {t.name.casefold(): t for t in CIType.objects.all()}
    findings: list[AuditFinding] = []
    seen: set[str] = set()
    matched = 0
    for number, row, extra in rows:
        key = row["key"][:100]
        if not key or key in seen or (row.get("contract") and row["contract"] != contract.code):
            continue
        seen.add(key)
        item = recorded.get(key)
        if item is None:
            findings.append(AuditFinding(kind=AuditFinding.Kind.UNEXPECTED, key=key, name=row.get("name", "")[:200],
                                         row=number, differences={}))
            continue
        differences: dict[str, list[Any]] = {}
        labels = {col.key: str(col.header) for col in INVENTORY_COLUMNS}
        if row.get("type"):
            found_type = types.get(row["type"].casefold())
            if found_type is None or found_type.pk != item.ci_type_id:
                differences[labels["type"]] = [item.ci_type.name, row["type"]]
        if row.get("name") and not _same(item.name, row["name"]):
            differences[labels["name"]] = [item.name, row["name"]]
        if row.get("status") and statuses.get(row["status"].casefold()) != item.status:
            differences[labels["status"]] = [item.get_status_display(), row["status"]]
        if row.get("location") and not _same(item.location, row["location"]):
            differences[labels["location"]] = [item.location, row["location"]]
        specs = {}
        for spec in item.ci_type.attributes:
            specs[str(spec["name"]).casefold()] = spec
            specs.setdefault(str(spec.get("label") or spec["name"]).strip().casefold(), spec)
        for header, text in extra.items():
            spec = specs.get(header.strip().casefold())
            if spec is None:
                continue
            found = _attribute_value(spec, text)
            stored = item.attributes.get(spec["name"])
            if not _same(stored, found):
                differences[header] = [stored, text]
        if differences:
            findings.append(AuditFinding(kind=AuditFinding.Kind.DIFFERING, key=key, name=item.name, item=item,
                                         row=number, differences=differences))
        else:
            matched += 1
    for key, item in sorted(recorded.items()):
        if key not in seen and item.status != ItemStatus.RETIRED:
            findings.append(AuditFinding(kind=AuditFinding.Kind.MISSING, key=key, name=item.name, item=item))
    kinds = Counter(f.kind for f in findings)
    with transaction.atomic():
        audit = ConfigurationAudit.objects.create(
            contract=contract, run_by=by, file_name=str(getattr(upload, "name", "") or "")[:200], note=note,
            recorded=sum(1 for i in recorded.values() if i.status != ItemStatus.RETIRED), inventoried=len(seen),
            matched=matched, missing=kinds[AuditFinding.Kind.MISSING],
            unexpected=kinds[AuditFinding.Kind.UNEXPECTED], differing=kinds[AuditFinding.Kind.DIFFERING])
        for finding in findings:
            finding.audit = audit
        AuditFinding.objects.bulk_create(findings, batch_size=1000)
        audit_record(actor=by, action="cmdb.audit_run", instance=audit,
                     after={"contract": contract.code, "file": audit.file_name, "matched": matched,
                            "missing": audit.missing, "unexpected": audit.unexpected, "differing": audit.differing})
    return audit


# --- reads ---------------------------------------------------------------------------------------------------------

def audit_list(*, visible_to: User, contract: str = "", limit: int = 50) -> list[ConfigurationAudit]:
    """Audits of the viewer's contracts, newest first."""
    qs = ConfigurationAudit.objects.filter(contract_id__in=sorted(access_for(visible_to).staff_contract_ids))
    if contract:
        qs = qs.filter(contract__code=contract[:40])
    return list(qs.select_related("contract", "run_by").order_by("-id")[:limit])


def audit_get(*, pk: Any, visible_to: User) -> ConfigurationAudit:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    found = (ConfigurationAudit.objects.select_related("contract", "run_by")
             .filter(pk=key, contract_id__in=sorted(access_for(visible_to).staff_contract_ids)).first()
             if 0 < key < 2**63 else None)
    if found is None:
        raise NotFound(_("There is no configuration audit %(id)s.") % {"id": str(pk)[:20]}, code="audit_not_found")
    return found


def audit_findings(*, audit: ConfigurationAudit, kind: str = "") -> QuerySet[AuditFinding]:
    qs = audit.findings.all()
    if kind in AuditFinding.Kind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "key")


# --- the status report -----------------------------------------------------------------------------------------

@dataclass
class StatusReport:
    contract: Contract
    generated_at: dt.datetime
    total: int
    by_type: list[dict[str, Any]]  # {"type": name, "code", <status>: n …, "total"}
    by_importance: list[tuple[int, str, int]]  # (value, label, items)
    statuses: list[tuple[str, str]]
    relationships: int
    without_owner: int
    changed_30_days: int
    last_audit: ConfigurationAudit | None


def status_report(*, contract_code: str, visible_to: User) -> StatusReport:
    """The configuration status report of one contract: items by type and status, by importance, how many
    lack an owner, changed in the last 30 days, relationships, and the last audit (a handful of aggregates)."""
    contract = Contract.objects.filter(code=str(contract_code or "")[:40],
                                       pk__in=sorted(access_for(visible_to).staff_contract_ids)).first()
    if contract is None:
        raise NotFound(_("Unknown contract."))
    items = ConfigurationItem.objects.filter(contract=contract)
    grid: dict[int, dict[str, Any]] = {}
    for row in items.values("ci_type_id", "ci_type__name", "ci_type__code", "status").annotate(n=Count("id")):
        line = grid.setdefault(row["ci_type_id"], {"type": row["ci_type__name"], "code": row["ci_type__code"],
                                                   "total": 0, **{s: 0 for s in ItemStatus.values}})
        line[row["status"]] = row["n"]
        line["total"] += row["n"]
    importance = dict(items.values_list("importance").annotate(n=Count("id")))
    since = timezone.now() - dt.timedelta(days=30)
    counts = items.aggregate(total=Count("id"), without_owner=Count("id", filter=Q(owner__isnull=True)),
                             changed=Count("id", filter=Q(updated_at__gte=since)))
    return StatusReport(
        contract=contract, generated_at=timezone.now(), total=counts["total"],
        by_type=sorted(grid.values(), key=lambda line: line["code"]),
        by_importance=[(value, str(label), importance.get(value, 0)) for value, label in Importance.choices],
        statuses=[(value, str(label)) for value, label in ItemStatus.choices],
        relationships=Relationship.objects.filter(source__contract=contract).count(),
        without_owner=counts["without_owner"], changed_30_days=counts["changed"],
        last_audit=ConfigurationAudit.objects.filter(contract=contract).order_by("-id").first())
