"""Excel import and export of configuration items and their relationships.

A workbook has a sheet of items (contract, type, key, name, status, importance, owner, location, then one
column per attribute, headed by the attribute's label or name) and optionally a sheet of relationships
(contract, from key, kind, to key). An import checks every row first and reports each bad one with its row and
column; it writes only when nothing is wrong and it is not a dry run, and then all of it in one transaction.
Rows whose key is already recorded update that item (its history shows what changed); relationships already
recorded are left as they are, so importing an export again changes nothing.

Reads and writes are in bulk (a few queries per thousand rows): 50,000 items and 100,000 relationships import
in one request (bench/cmdb_import.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import Contract, RoleGrant, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_entry, audit_record
from opsdesk.core.errors import ValidationError
from opsdesk.core.models import Activity, ActivityKind, AuditEntry
from opsdesk.core.spreadsheets import (
    Column,
    ImportReport,
    RowError,
    find_sheet,
    open_workbook,
    read_sheet,
    read_sheet_with_extras,
)

from .choices import Importance, ItemStatus, RelationKind
from .models import KEY_MAX, NAME_MAX, CIType, ConfigurationItem, Relationship
from .services import EDITORS, clean_attribute_values

ITEMS_SHEET = gettext_lazy("Configuration items")
RELATIONS_SHEET = gettext_lazy("Relationships")
ITEM_COLUMNS = (
    Column("contract", gettext_lazy("Contract"), required=True, width=12),
    Column("type", gettext_lazy("Type"), required=True, width=12),
    Column("key", gettext_lazy("Key"), required=True, width=22),
    Column("name", gettext_lazy("Name"), required=True, width=28),
    Column("status", gettext_lazy("Status"), width=10),
    Column("importance", gettext_lazy("Importance"), width=10),
    Column("owner", gettext_lazy("Owner"), width=12),
    Column("location", gettext_lazy("Location"), width=20),
)
RELATION_COLUMNS = (
    Column("contract", gettext_lazy("Contract"), required=True, width=12),
    Column("source", gettext_lazy("From (key)"), required=True, width=22),
    Column("kind", gettext_lazy("Relationship"), required=True, width=14),
    Column("target", gettext_lazy("To (key)"), required=True, width=22),
)
BATCH = 1000


def choice_lookup(choices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Value by value, English label and Chinese label (case-insensitive)."""
    from django.utils import translation

    out: dict[str, Any] = {}
    for value, label in choices:
        out[str(value).casefold()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                out[str(label).casefold()] = value
    return out


@dataclass
class _Row:
    number: int
    contract_id: int
    ci_type: CIType
    key: str
    fields: dict[str, Any]
    attributes: dict[str, Any]
    given_attributes: set[str] = field(default_factory=set)


@dataclass
class _Plan:
    creates: list[_Row] = field(default_factory=list)
    updates: list[tuple[_Row, dict[str, Any]]] = field(default_factory=list)  # (row, existing item values)
    relations: list[tuple[int, int, str, str, str]] = field(default_factory=list)  # (row, contract, kind, from, to)


class _Context:
    """What the checks need, read once: the contracts the importer edits, types, owners, recorded items."""

    def __init__(self, by: User) -> None:
        access = access_for(by)
        editable = [cid for cid in access.staff_contract_ids if access.roles_on(cid) & EDITORS]
        self.contracts = dict(Contract.objects.filter(pk__in=editable).values_list("code", "pk"))
        self.organisation_of = dict(Contract.objects.filter(pk__in=editable).values_list("pk", "organisation_id"))
        self.types: dict[str, CIType] = {}
        for ci_type in CIType.objects.filter(is_active=True):
            self.types[ci_type.code.casefold()] = ci_type
            self.types.setdefault(ci_type.name.casefold(), ci_type)
        self.statuses = choice_lookup(ItemStatus.choices)
        self.importances = choice_lookup(Importance.choices)
        self.kinds = choice_lookup(RelationKind.choices)
        self.existing: dict[tuple[int, str], dict[str, Any]] = {}
        self.owners: dict[str, User] = {}
        self.owner_contracts: set[tuple[int, int]] = set()

    def load_items(self, keys: dict[int, set[str]]) -> None:
        columns = ("pk", "contract_id", "key", "ci_type_id", "name", "status", "importance", "owner_id", "location",
                   "attributes", "version")
        for contract_id, wanted in keys.items():
            ordered = sorted(wanted)
            for start in range(0, len(ordered), BATCH):
                for values in ConfigurationItem.objects.filter(
                        contract_id=contract_id, key__in=ordered[start:start + BATCH]).values(*columns):
                    self.existing[(contract_id, values["key"])] = values

    def load_owners(self, usernames: set[str]) -> None:
        names = sorted(usernames)
        for start in range(0, len(names), BATCH):
            for user in User.objects.filter(username__in=names[start:start + BATCH], is_active=True):
                self.owners[user.username] = user
        ids = [u.pk for u in self.owners.values()]
        for start in range(0, len(ids), BATCH):
            self.owner_contracts |= set(RoleGrant.objects.filter(user_id__in=ids[start:start + BATCH])
                                        .values_list("user_id", "contract_id"))


def _attribute_headers(ci_type: CIType) -> dict[str, str]:
    """Header (label or name, case-insensitive) → attribute name, for one type."""
    out: dict[str, str] = {}
    for spec in ci_type.attributes:
        out[str(spec["name"]).casefold()] = spec["name"]
        out.setdefault(str(spec.get("label") or spec["name"]).strip().casefold(), spec["name"])
    return out


def _check_items(ctx: _Context, title: str, rows: list[tuple[int, dict[str, str], dict[str, str]]],
                 report: ImportReport, plan: _Plan) -> dict[tuple[int, str], int]:
    """Check every item row; returns (contract id, key) → row number of the rows that name a known contract."""
    seen: dict[tuple[int, str], int] = {}
    headers_of: dict[int, dict[str, str]] = {}
    labels = {col.key: str(col.header) for col in ITEM_COLUMNS}
    ctx.load_owners({row["owner"] for _n, row, _e in rows if row.get("owner")})
    keys: dict[int, set[str]] = {}
    for _n, row, _e in rows:
        contract_id = ctx.contracts.get(row["contract"])
        if contract_id is not None and row["key"]:
            keys.setdefault(contract_id, set()).add(row["key"][:KEY_MAX])
    ctx.load_items(keys)

    for number, row, extra in rows:
        errors: list[tuple[str, str]] = []
        contract_id = ctx.contracts.get(row["contract"])
        if contract_id is None:
            errors.append((labels["contract"], _("Unknown contract “%(value)s”, or you may not edit its items.")
                           % {"value": row["contract"][:40]} if row["contract"] else _("This field is required.")))
        ci_type = ctx.types.get(row["type"].casefold())
        if ci_type is None:
            errors.append((labels["type"], _("Unknown type “%(value)s”.") % {"value": row["type"][:50]}
                           if row["type"] else _("This field is required.")))
        key = row["key"]
        if not key:
            errors.append((labels["key"], _("This field is required.")))
        elif len(key) > KEY_MAX or "\x00" in key:
            errors.append((labels["key"], _("At most %(n)d characters.") % {"n": KEY_MAX}))
        elif contract_id is not None:
            if (contract_id, key) in seen:
                errors.append((labels["key"], _("The key “%(key)s” is on row %(row)d already.")
                               % {"key": key, "row": seen[(contract_id, key)]}))
            else:
                seen[(contract_id, key)] = number
        existing = ctx.existing.get((contract_id, key)) if contract_id is not None else None
        fields: dict[str, Any] = {}
        name = row["name"]
        if not name:
            errors.append((labels["name"], _("This field is required.")))
        elif len(name) > NAME_MAX or "\x00" in name:
            errors.append((labels["name"], _("At most %(n)d characters.") % {"n": NAME_MAX}))
        fields["name"] = name
        if row.get("status"):
            status = ctx.statuses.get(row["status"].casefold())
            if status is None:
                errors.append((labels["status"], _("Unknown status “%(value)s”.") % {"value": row["status"][:40]}))
            fields["status"] = status
        if row.get("importance"):
            importance = ctx.importances.get(row["importance"].casefold())
            if importance is None:
                errors.append((labels["importance"], _("Importance is 1 (critical) to 4 (low).")))
            fields["importance"] = importance
        if row.get("owner"):
            owner = ctx.owners.get(row["owner"])
            if owner is None or contract_id is None or (owner.pk, contract_id) not in ctx.owner_contracts:
                errors.append((labels["owner"], _("The owner must be someone of this contract.")))
            fields["owner_id"] = owner.pk if owner else None
        if "location" in row:
            if len(row["location"]) > NAME_MAX:
                errors.append((labels["location"], _("At most %(n)d characters.") % {"n": NAME_MAX}))
            fields["location"] = row["location"]
        attributes: dict[str, Any] = {}
        given: set[str] = set()
        if ci_type is not None:
            if existing is not None and existing["ci_type_id"] != ci_type.pk:
                errors.append((labels["type"], _("“%(key)s” is recorded as another type; the type of an item "
                                                 "cannot change.") % {"key": key}))
            headers = headers_of.get(ci_type.pk)
            if headers is None:
                headers = headers_of[ci_type.pk] = _attribute_headers(ci_type)
            values: dict[str, Any] = dict(existing["attributes"]) if existing else {}
            header_of: dict[str, str] = {}
            for header, text in extra.items():
                attr = headers.get(header.strip().casefold())
                if attr is None:
                    errors.append((header, _("“%(type)s” has no attribute “%(name)s”.")
                                   % {"type": ci_type.name, "name": header[:50]}))
                    continue
                values[attr] = text
                given.add(attr)
                header_of[attr] = header
            try:
                attributes = clean_attribute_values(ci_type, values)
            except ValidationError as exc:
                for name_, message in exc.fields.items():
                    attr = name_.removeprefix("attributes.")
                    errors.append((header_of.get(attr, _label(ci_type, attr)), message))
        for column, message in errors:
            report.add(RowError(title, number, column, message))
        if errors or contract_id is None or ci_type is None:
            continue
        parsed = _Row(number, contract_id, ci_type, key, fields, attributes, given)
        if existing is None:
            plan.creates.append(parsed)
        else:
            plan.updates.append((parsed, existing))
    return seen


def _label(ci_type: CIType, attr: str) -> str:
    for spec in ci_type.attributes:
        if spec["name"] == attr:
            return str(spec.get("label") or attr)
    return attr


def _check_relations(ctx: _Context, title: str, rows: list[tuple[int, dict[str, str]]],
                     in_sheet: dict[tuple[int, str], int], report: ImportReport, plan: _Plan) -> None:
    labels = {col.key: str(col.header) for col in RELATION_COLUMNS}
    # Items the relationships name that are neither in the workbook nor read yet.
    wanted: dict[int, set[str]] = {}
    for _n, row in rows:
        contract_id = ctx.contracts.get(row["contract"])
        if contract_id is None:
            continue
        for end in ("source", "target"):
            if row[end] and (contract_id, row[end]) not in in_sheet and (contract_id, row[end]) not in ctx.existing:
                wanted.setdefault(contract_id, set()).add(row[end][:KEY_MAX])
    ctx.load_items(wanted)
    seen: dict[tuple[str, str, str, int], int] = {}
    for number, row in rows:
        errors: list[tuple[str, str]] = []
        contract_id = ctx.contracts.get(row["contract"])
        if contract_id is None:
            errors.append((labels["contract"], _("Unknown contract “%(value)s”, or you may not edit its items.")
                           % {"value": row["contract"][:40]} if row["contract"] else _("This field is required.")))
        kind = ctx.kinds.get(row["kind"].casefold())
        if kind is None:
            errors.append((labels["kind"], _("Unknown kind “%(value)s”.") % {"value": row["kind"][:40]}
                           if row["kind"] else _("This field is required.")))
        for end in ("source", "target"):
            key = row[end]
            if not key:
                errors.append((labels[end], _("This field is required.")))
            elif contract_id is not None and (contract_id, key) not in in_sheet \
                    and (contract_id, key) not in ctx.existing:
                errors.append((labels[end], _("There is no item “%(key)s” on this contract, recorded or in this "
                                              "workbook.") % {"key": key[:KEY_MAX]}))
        if row["source"] and row["source"] == row["target"]:
            errors.append((labels["target"], _("An item cannot be related to itself.")))
        if not errors and contract_id is not None and kind is not None:
            signature = (row["source"], str(kind), row["target"], contract_id)
            if signature in seen:
                errors.append((labels["target"], _("This relationship is on row %(row)d already.")
                               % {"row": seen[signature]}))
            seen[signature] = number
        for column, message in errors:
            report.add(RowError(title, number, column, message))
        if not errors and contract_id is not None and kind is not None:
            plan.relations.append((number, contract_id, str(kind), row["source"], row["target"]))


def cmdb_import(*, by: User, upload: Any, dry_run: bool) -> ImportReport:
    """Check a workbook of items (and relationships) row by row and, unless it is a dry run or any row is
    bad, write all of it in one transaction. The report lists every bad row with its row and column."""
    workbook = open_workbook(upload)
    report = ImportReport(dry_run=dry_run)
    try:
        return _import(by, workbook, report)
    finally:
        workbook.close()


def _import(by: User, workbook: Any, report: ImportReport) -> ImportReport:
    items_sheet = find_sheet(workbook, ITEMS_SHEET, "items") or workbook.worksheets[0]
    relations_sheet = find_sheet(workbook, RELATIONS_SHEET, "relationships")
    if relations_sheet is items_sheet:
        relations_sheet = None
    ctx = _Context(by)
    plan = _Plan()
    in_sheet = _check_items(ctx, items_sheet.title, read_sheet_with_extras(items_sheet, ITEM_COLUMNS, report),
                            report, plan)
    if relations_sheet is not None:
        _check_relations(ctx, relations_sheet.title, read_sheet(relations_sheet, RELATION_COLUMNS, report),
                         in_sheet, report, plan)
    report.created = {items_sheet.title: len(plan.creates)}
    changes = [(row, existing, _changes(row, existing)) for row, existing in plan.updates]
    report.updated = {items_sheet.title: sum(1 for _r, _e, diff in changes if diff)}
    if relations_sheet is not None:
        report.created[relations_sheet.title] = len(plan.relations)
    if not report.ok or report.dry_run:
        if relations_sheet is not None and report.ok:
            report.created[relations_sheet.title] = _new_relation_count(ctx, plan)
        return report
    try:
        with transaction.atomic():
            made = _write(by, ctx, plan, changes, report, items_sheet.title,
                          relations_sheet.title if relations_sheet is not None else "")
            if relations_sheet is not None:
                report.created[relations_sheet.title] = made
    except _StaleRow as stale:
        report.add(RowError(items_sheet.title, stale.number, str(ITEM_COLUMNS[2].header),
                            _("This item was changed by someone else during the import. Nothing was written; "
                              "import the workbook again.")))
        report.created = {}
        report.updated = {}
    except IntegrityError:
        report.add(RowError(items_sheet.title, 1, "", _("Someone else added items with the same keys during the "
                                                        "import. Nothing was written; import the workbook again.")))
        report.created = {}
        report.updated = {}
    return report


class _StaleRow(Exception):
    def __init__(self, number: int) -> None:
        self.number = number


def _changes(row: _Row, existing: dict[str, Any]) -> dict[str, list[Any]]:
    diff: dict[str, list[Any]] = {}
    for name, value in row.fields.items():
        if existing[name] != value:
            diff[name] = [existing[name], value]
    if existing["attributes"] != row.attributes:
        diff["attributes"] = [existing["attributes"], row.attributes]
    return diff


def _ids_by_key(contract_keys: dict[int, set[str]]) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    for contract_id, keys in contract_keys.items():
        ordered = sorted(keys)
        for start in range(0, len(ordered), BATCH):
            out.update({(contract_id, key): pk for key, pk in ConfigurationItem.objects.filter(
                contract_id=contract_id, key__in=ordered[start:start + BATCH]).values_list("key", "pk")})
    return out


def _relation_ids(plan: _Plan, ids: dict[tuple[int, str], int]) -> list[tuple[str, int, int]]:
    """(kind, source id, target id) of the workbook's relationships; 0 for an item not written yet."""
    return [(kind, ids.get((contract_id, source), 0), ids.get((contract_id, target), 0))
            for _n, contract_id, kind, source, target in plan.relations]


def _recorded_relations(pairs: list[tuple[str, int, int]]) -> set[tuple[str, int, int]]:
    sources = sorted({s for _k, s, _t in pairs if s})
    found: set[tuple[str, int, int]] = set()
    for start in range(0, len(sources), BATCH):
        found |= {(k, s, t) for s, t, k in Relationship.objects.filter(
            source_id__in=sources[start:start + BATCH]).values_list("source_id", "target_id", "kind")}
    return found


def _new_relation_count(ctx: _Context, plan: _Plan) -> int:
    pairs = _relation_ids(plan, {k: v["pk"] for k, v in ctx.existing.items()})
    recorded = _recorded_relations([p for p in pairs if p[1] and p[2]])
    return sum(1 for p in pairs if p not in recorded)


def _write(by: User, ctx: _Context, plan: _Plan, changes: list[tuple[_Row, dict[str, Any], dict[str, list[Any]]]],
           report: ImportReport, items_title: str, relations_title: str) -> int:
    now = timezone.now()
    ct = ContentType.objects.get_for_model(ConfigurationItem)
    for start in range(0, len(plan.creates), BATCH):
        batch = plan.creates[start:start + BATCH]
        items = [ConfigurationItem(contract_id=row.contract_id, organisation_id=ctx.organisation_of[row.contract_id],
                                   ci_type=row.ci_type, key=row.key, attributes=row.attributes,
                                   **{k: v for k, v in row.fields.items() if v is not None})
                 for row in batch]
        ConfigurationItem.objects.bulk_create(items)
        if any(i.pk is None for i in items):  # a backend without RETURNING: read the ids back
            ids = _ids_by_key(_group(batch))
            for item in items:
                item.pk = ids[(item.contract_id, item.key)]
        Activity.objects.bulk_create([Activity(content_type=ct, object_id=i.pk, kind=ActivityKind.CREATED, actor=by,
                                               to_status=i.status, action="imported") for i in items])
        AuditEntry.objects.bulk_create([audit_entry(actor=by, action="cmdb.item_import", instance=i,
                                                    after={"key": i.key, "type": i.ci_type.code,
                                                           "name": i.name, "status": i.status,
                                                           "attributes": i.attributes}) for i in items])
    for row, existing, diff in changes:
        if not diff:
            continue
        update = {k: v[1] for k, v in diff.items()}
        moved = ConfigurationItem.objects.filter(pk=existing["pk"], version=existing["version"]).update(
            version=F("version") + 1, updated_at=now, **update)
        if moved != 1:
            raise _StaleRow(row.number)
        Activity.objects.create(content_type=ct, object_id=existing["pk"], kind=ActivityKind.SYSTEM, action="updated",
                                actor=by, data={"changes": diff, "import": True})
        audit_record(actor=by, action="cmdb.item_update", object_type="cmdb.configurationitem",
                     object_id=str(existing["pk"]), object_repr=f"{row.key} {row.fields.get('name', '')}"[:200],
                     before={k: v[0] for k, v in diff.items()}, after=update)
    made = 0
    if plan.relations:
        wanted: dict[int, set[str]] = {}
        for _n, contract_id, _k, source, target in plan.relations:
            wanted.setdefault(contract_id, set()).update((source, target))
        pairs = _relation_ids(plan, _ids_by_key(wanted))
        recorded = _recorded_relations(pairs)
        new = [Relationship(source_id=s, target_id=t, kind=kind) for kind, s, t in pairs
               if (kind, s, t) not in recorded]
        for start in range(0, len(new), BATCH * 5):
            Relationship.objects.bulk_create(new[start:start + BATCH * 5])
        made = len(new)
    audit_record(actor=by, action="cmdb.import", object_type="cmdb.import",
                 after={"items_created": len(plan.creates), "items_updated": report.updated.get(items_title, 0),
                        "relationships_created": made, "sheets": [items_title, relations_title]})
    return made


def _group(rows: list[_Row]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for row in rows:
        out.setdefault(row.contract_id, set()).add(row.key)
    return out


# --- export ----------------------------------------------------------------------------------------------------

def export_sheets(items: Iterable[ConfigurationItem], relations: Iterable[Relationship],
                  types: list[CIType]) -> list[tuple[Any, tuple[Column, ...], Iterator[list[Any]]]]:
    """The items sheet (with one column per attribute label of the given types) and the relationships sheet,
    in the layout `cmdb_import` reads back."""
    headers: list[str] = []
    for ci_type in types:
        for spec in ci_type.attributes:
            label = str(spec.get("label") or spec["name"])
            if label not in headers:
                headers.append(label)
    label_of = {(t.pk, spec["name"]): str(spec.get("label") or spec["name"]) for t in types for spec in t.attributes}
    columns = (*ITEM_COLUMNS, *(Column(f"attr:{h}", h) for h in headers))
    position = {h: i for i, h in enumerate(headers)}

    def item_rows() -> Iterator[list[Any]]:
        for item in items:
            extra: list[Any] = [None] * len(headers)
            for name, value in item.attributes.items():
                label = label_of.get((item.ci_type_id, name))
                if label is not None:
                    extra[position[label]] = value
            yield [item.contract.code, item.ci_type.code, item.key, item.name, item.status, item.importance,
                   item.owner.username if item.owner else "", item.location, *extra]

    def relation_rows() -> Iterator[list[Any]]:
        for rel in relations:
            yield [rel.source.contract.code, rel.source.key, rel.kind, rel.target.key]

    return [(ITEMS_SHEET, columns, item_rows()), (RELATIONS_SHEET, RELATION_COLUMNS, relation_rows())]


def relations_of(items: Any) -> Any:
    """Relationships whose source is among `items` (a queryset), for the export."""
    return (Relationship.objects.filter(source__in=items.values("pk"))
            .select_related("source", "source__contract", "target").order_by("source_id", "id"))

