"""REST API of the CMDB (mounted at /api/v1/cmdb): types, items (create, list, detail, update with `version`),
relationships, and impact analysis by level. Items are the contract staff's: for anyone else a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_get
from opsdesk.core.api import (
    ERROR_RESPONSES,
    IMPORT_RESPONSES,
    CursorPageOut,
    OutSchema,
    Text,
    activity_out,
    api_user,
    import_result,
    local_time,
)
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.spreadsheets import workbook_bytes, xlsx_response
from opsdesk.incidents.api import ActivityOut

from . import audits, imports, selectors, services
from .models import CIType, ConfigurationItem, Relationship

router = Router(tags=["cmdb"])


class AttributeDefinition(Schema):
    name: Text = Field(max_length=50)
    label: Text = Field("", max_length=100)
    kind: Text = Field("text", description="text | integer | decimal | date | bool | choice")
    required: bool = False
    choices: list[Text] = Field([], max_length=200)


class TypeOut(OutSchema):
    code: str
    name: str
    description: str
    attributes: list[dict[str, Any]]


class TypeIn(Schema):
    code: Text = Field(max_length=50)
    name: Text = Field(max_length=100)
    description: Text = ""
    attributes: list[AttributeDefinition] = Field([], max_length=100)


class ItemOut(OutSchema):
    id: int
    key: str
    name: str
    type: str = Field(description="Type code.")
    contract: str
    status: str
    importance: int = Field(description="1 critical … 4 low")
    owner: str | None
    location: str
    attributes: dict[str, Any]
    version: int
    updated_at: dt.datetime


class RelationOut(OutSchema):
    id: int
    kind: str
    source: int
    source_key: str
    target: int
    target_key: str


class ItemDetailOut(ItemOut):
    relationships: list[RelationOut]
    history: list[ActivityOut]


class ItemPageOut(CursorPageOut):
    items: list[ItemOut]


class ItemIn(Schema):
    contract: Text = Field(max_length=40)
    type: Text = Field(max_length=50)
    key: Text = Field(max_length=100)
    name: Text = Field(max_length=200)
    status: Text = "active"
    importance: int = Field(3, ge=1, le=4)
    owner: Text = Field("", max_length=150, description="Username.")
    location: Text = Field("", max_length=200)
    attributes: dict[str, Any] = {}


class ItemPatch(Schema):
    version: int | None = None
    name: Text | None = Field(None, max_length=200)
    status: Text | None = None
    importance: int | None = Field(None, ge=1, le=4)
    owner: Text | None = Field(None, max_length=150)
    location: Text | None = Field(None, max_length=200)
    attributes: dict[str, Any] | None = None


class ItemListParams(Schema):
    contract: Text = ""
    type: Text = ""
    status: Text = ""
    q: Text = Field("", max_length=200)
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class RelationIn(Schema):
    source: int = Field(ge=1, le=2**63 - 1)
    target: int = Field(ge=1, le=2**63 - 1)
    kind: Text = Field(description="runs_on | depends_on | connects_to | contains | backed_up_by")


class ImpactParams(Schema):
    depth: int = Field(3, ge=1, le=selectors.MAX_DEPTH)
    direction: Text = Field("downstream", description="downstream: affected when it goes down; upstream: what "
                                                      "it relies on")


class ImpactItemOut(OutSchema):
    id: int
    key: str
    name: str
    type: str = Field(description="Type code.")
    type_name: str
    contract: str
    status: str
    importance: int = Field(description="1 critical … 4 low")


class ImpactLevelOut(OutSchema):
    level: int
    items: list[ImpactItemOut]


class ImpactOut(OutSchema):
    item: ItemOut
    direction: str
    depth: int
    levels: list[ImpactLevelOut]
    business_systems: list[ImpactItemOut] = Field(description="The business systems among the items reached.")


def _type(t: CIType) -> dict[str, Any]:
    return {"code": t.code, "name": t.name, "description": t.description, "attributes": t.attributes}


def _item(i: ConfigurationItem) -> dict[str, Any]:
    return {"id": i.pk, "key": i.key, "name": i.name, "type": i.ci_type.code, "contract": i.contract.code,
            "status": i.status, "importance": i.importance, "owner": i.owner.username if i.owner else None,
            "location": i.location, "attributes": i.attributes, "version": i.version,
            "updated_at": local_time(i.updated_at)}


def _relation(r: Relationship) -> dict[str, Any]:
    return {"id": r.pk, "kind": r.kind, "source": r.source_id, "source_key": r.source.key, "target": r.target_id,
            "target_key": r.target.key}


def _detail(item: ConfigurationItem) -> dict[str, Any]:
    out = _item(item)
    out.update(relationships=[_relation(r) for r in selectors.item_relationships(item=item)],
               history=[activity_out(a) for a in selectors.item_history(item=item)])
    return out


def _owner(username: str, user: User) -> User | None:
    if not username.strip():
        return None
    found = User.objects.filter(username=username.strip()).first()
    if found is None:
        raise ValidationError(fields={"owner": _("There is no user “%(name)s”.") % {"name": username[:40]}})
    return found


@router.get("/types", response={200: list[TypeOut], **ERROR_RESPONSES}, summary="Configuration-item types")
def type_list_api(request: HttpRequest) -> list[dict[str, Any]]:
    api_user(request)
    return [_type(t) for t in selectors.type_list()]


@router.post("/types", response={201: TypeOut, **ERROR_RESPONSES}, summary="Define a type",
             description="System administrators and project managers; the attributes are data.")
def type_create_api(request: HttpRequest, payload: TypeIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    ci_type = services.ci_type_create(by=user, code=payload.code, name=payload.name,
                                      description=payload.description,
                                      attributes=[a.model_dump() for a in payload.attributes])
    return Status(201, _type(ci_type))


class TypePatch(Schema):
    name: Text | None = Field(None, max_length=100)
    description: Text | None = None
    attributes: list[AttributeDefinition] | None = Field(None, max_length=100)
    is_active: bool | None = None


@router.patch("/types/{code}", response={200: TypeOut, **ERROR_RESPONSES}, summary="Change a type",
              description="Attributes may be added (not required once the type has items), relabelled, given more "
                          "options; never removed or changed in kind.")
def type_update_api(request: HttpRequest, code: Text, payload: TypePatch) -> dict[str, Any]:
    user = api_user(request)
    ci_type = selectors.type_get(code=code)
    if ci_type is None:
        raise NotFound(_("Unknown type “%(value)s”.") % {"value": code[:50]})
    data = payload.model_dump(exclude_unset=True)
    if "attributes" in data and data["attributes"] is not None:
        data["attributes"] = [a.model_dump() for a in payload.attributes or []]
    return _type(services.ci_type_update(by=user, ci_type=ci_type, **data))


@router.get("/items", response={200: ItemPageOut, **ERROR_RESPONSES}, summary="List configuration items")
def item_list_api(request: HttpRequest, params: Query[ItemListParams]) -> dict[str, Any]:
    user = api_user(request)
    page = selectors.item_list(visible_to=user, params=params.model_dump(exclude={"limit", "cursor"}),
                               limit=params.limit, cursor=params.cursor)
    return {"items": [_item(i) for i in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.post("/items", response={201: ItemDetailOut, **ERROR_RESPONSES}, summary="Create a configuration item")
def item_create_api(request: HttpRequest, payload: ItemIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    try:
        contract = contract_get(code=payload.contract.strip(), visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None
    ci_type = selectors.type_get(code=payload.type)
    if ci_type is None:
        raise ValidationError(fields={"type": _("Unknown type “%(value)s”.") % {"value": payload.type[:50]}})
    item = services.item_create(by=user, contract=contract, ci_type=ci_type, key=payload.key, name=payload.name,
                                status=payload.status, importance=payload.importance,
                                owner=_owner(payload.owner, user), location=payload.location,
                                attributes=payload.attributes)
    return Status(201, _detail(selectors.item_get(pk=item.pk, visible_to=user)))


@router.get("/items/export", summary="Export items to Excel",
            description="The items of the list's filters, with their attributes, and their relationships: a workbook "
                        "that `POST /import` reads back.")
def item_export_api(request: HttpRequest, params: Query[ItemListParams]) -> HttpResponse:
    user = api_user(request)
    return export_response(user, params.model_dump(exclude={"limit", "cursor"}))


def export_response(user: User, params: dict[str, Any]) -> HttpResponse:
    items = selectors.item_filtered(visible_to=user, params=params).order_by("contract_id", "key")
    types = list(CIType.objects.filter(pk__in=items.values("ci_type_id")).order_by("code"))
    content = workbook_bytes(imports.export_sheets(items.iterator(chunk_size=2000),
                                                   imports.relations_of(items).iterator(chunk_size=2000), types))
    return xlsx_response(content, _("configuration-items.xlsx"))


@router.post("/import", response=IMPORT_RESPONSES,
             summary="Import items and relationships from Excel",
             description="A workbook like the export's. Every row is checked first; a dry run (the default) only "
                         "reports. A real run writes all or nothing: with any bad row it answers 422 with the "
                         "report under `report`.")
def import_api(request: HttpRequest, dry_run: bool = True, file: UploadedFile = File(...)  # noqa: B008
               ) -> Any:
    user = api_user(request)
    report = imports.cmdb_import(by=user, upload=file, dry_run=dry_run)
    return import_result(report)


@router.get("/items/{item_id}", response={200: ItemDetailOut, **ERROR_RESPONSES}, summary="A configuration item",
            description="With its relationships both ways and the history of its changes.")
def item_detail_api(request: HttpRequest, item_id: Text) -> dict[str, Any]:
    user = api_user(request)
    return _detail(selectors.item_get(pk=item_id, visible_to=user))


@router.patch("/items/{item_id}", response={200: ItemDetailOut, **ERROR_RESPONSES}, summary="Update an item",
              description="Only the fields given change; `attributes` replaces the stored values. Stale "
                          "`version`: 409.")
def item_update_api(request: HttpRequest, item_id: Text, payload: ItemPatch) -> dict[str, Any]:
    user = api_user(request)
    item = selectors.item_get(pk=item_id, visible_to=user)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    if "owner" in data:
        data["owner"] = _owner(data["owner"] or "", user)
    services.item_update(by=user, item=item, data=data, version=payload.version)
    return _detail(selectors.item_get(pk=item_id, visible_to=user))


@router.get("/items/{item_id}/impact", response={200: ImpactOut, **ERROR_RESPONSES}, summary="Impact analysis",
            description="Items reached from this one, by level, up to `depth` (1-10).")
def item_impact_api(request: HttpRequest, item_id: Text, params: Query[ImpactParams]) -> dict[str, Any]:
    user = api_user(request)
    item = selectors.item_get(pk=item_id, visible_to=user)
    levels = selectors.impact(item=item, depth=params.depth, direction=params.direction)
    return {"item": _item(item), "direction": params.direction, "depth": params.depth,
            "levels": [{"level": lvl.level, "items": [_impact_item(i) for i in lvl.items]} for lvl in levels],
            "business_systems": [_impact_item(i) for i in selectors.business_systems_affected(levels)]}


def _impact_item(i: selectors.ImpactItem) -> dict[str, Any]:
    return {"id": i.pk, "key": i.key, "name": i.name, "type": i.type_code, "type_name": i.type_name,
            "contract": i.contract, "status": i.status, "importance": i.importance}


@router.post("/relationships", response={201: RelationOut, **ERROR_RESPONSES}, summary="Relate two items")
def relationship_create_api(request: HttpRequest, payload: RelationIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    found: dict[str, ConfigurationItem] = {}
    for name in ("source", "target"):
        try:
            found[name] = selectors.item_get(pk=getattr(payload, name), visible_to=user)
        except NotFound as exc:
            raise ValidationError(fields={name: exc.message}) from None
    source, target = found["source"], found["target"]
    relation = services.relationship_create(by=user, source=source, target=target, kind=payload.kind)
    return Status(201, _relation(relation))


@router.delete("/relationships/{relation_id}", response={204: None, **ERROR_RESPONSES},
               summary="Remove a relationship")
def relationship_delete_api(request: HttpRequest, relation_id: int) -> Status[None]:
    user = api_user(request)
    relation = selectors.relationship_get(pk=relation_id, visible_to=user)
    services.relationship_delete(by=user, relation=relation)
    return Status(204, None)


# --- audits and the status report -------------------------------------------------------------------------------

class FindingOut(Schema):
    kind: str = Field(description="missing | unexpected | differing")
    key: str
    name: str
    item: int | None
    row: int | None = Field(description="The inventory's row.")
    differences: dict[str, list[Any]] = Field(description="Per column: [recorded, found].")


class AuditOut(Schema):
    id: int
    contract: str
    run_by: str
    created_at: dt.datetime
    file_name: str
    note: str
    recorded: int
    inventoried: int
    matched: int
    missing: int
    unexpected: int
    differing: int
    findings: list[FindingOut]


def _audit(audit: Any, findings: Any) -> dict[str, Any]:
    return {"id": audit.pk, "contract": audit.contract.code, "run_by": audit.run_by.username,
            "created_at": local_time(audit.created_at), "file_name": audit.file_name, "note": audit.note,
            **{k: getattr(audit, k) for k in ("recorded", "inventoried", "matched", "missing", "unexpected",
                                              "differing")},
            "findings": [{"kind": f.kind, "key": f.key, "name": f.name, "item": f.item_id, "row": f.row,
                          "differences": f.differences} for f in findings]}


@router.post("/audits", response={201: AuditOut, **ERROR_RESPONSES}, summary="Audit against an inventory",
             description="Compares a contract's recorded items with an inventory workbook (key column and any of "
                         "type, name, status, location and attribute columns): missing, unexpected, differing.")
def audit_create_api(request: HttpRequest, contract: str, note: str = "",
                     file: UploadedFile = File(...)) -> Status[dict[str, Any]]:  # noqa: B008
    user = api_user(request)
    try:
        found = contract_get(code=contract.strip()[:40], visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None
    run = audits.configuration_audit_run(by=user, contract=found, upload=file, note=note)
    return Status(201, _audit(run, audits.audit_findings(audit=run)))


@router.get("/audits/{audit_id}", response={200: AuditOut, **ERROR_RESPONSES}, summary="An audit and its findings")
def audit_detail_api(request: HttpRequest, audit_id: Text, kind: str = "") -> dict[str, Any]:
    user = api_user(request)
    run = audits.audit_get(pk=audit_id, visible_to=user)
    return _audit(run, audits.audit_findings(audit=run, kind=kind))


class StatusLineOut(Schema):
    type: str
    code: str
    total: int
    by_status: dict[str, int]


class StatusReportOut(Schema):
    contract: str
    generated_at: dt.datetime
    total: int
    relationships: int
    without_owner: int
    changed_30_days: int
    by_importance: dict[str, int] = Field(description="Items per importance, 1 critical … 4 low.")
    by_type: list[StatusLineOut]
    last_audit: int | None


@router.get("/reports/status", response={200: StatusReportOut, **ERROR_RESPONSES},
            summary="Configuration status report", description="Items of one contract by type and status, by "
                                                              "importance, without owner, recently changed.")
def status_report_api(request: HttpRequest, contract: str) -> dict[str, Any]:
    user = api_user(request)
    report = audits.status_report(contract_code=contract, visible_to=user)
    return {"contract": report.contract.code, "generated_at": local_time(report.generated_at), "total": report.total,
            "relationships": report.relationships, "without_owner": report.without_owner,
            "changed_30_days": report.changed_30_days,
            "by_importance": {str(v): n for v, _label, n in report.by_importance},
            "by_type": [{"type": line["type"], "code": line["code"], "total": line["total"],
                         "by_status": {v: line[v] for v, _label in report.statuses}} for line in report.by_type],
            "last_audit": report.last_audit.pk if report.last_audit else None}


# --- tickets that affect items ----------------------------------------------------------------------------------

class AffectedIn(Schema):
    ticket: Text = Field(max_length=40, description="Incident (INC-…) or problem (PRB-…) number.")
    item: int = Field(ge=1, le=2**63 - 1)


class TicketRefOut(Schema):
    number: str
    title: str
    status: str


class ItemTicketsOut(Schema):
    open: list[TicketRefOut]
    past: list[TicketRefOut]


def _ticket_and_item(user: User, number: str, item_id: int) -> tuple[Any, ConfigurationItem]:
    kind = "problems" if number.strip().upper().startswith("PRB-") else "incidents"
    try:
        ticket = selectors.ticket_get(kind=kind, number=number.strip(), visible_to=user)
    except NotFound as exc:
        raise ValidationError(fields={"ticket": exc.message}) from None
    try:
        item = selectors.item_get(pk=item_id, visible_to=user)
    except NotFound as exc:
        raise ValidationError(fields={"item": exc.message}) from None
    return ticket, item


@router.post("/affected-items", response={201: ItemOut, **ERROR_RESPONSES}, summary="Link an item to a ticket",
             description="The incident or problem affects the item (both of one contract); on the ticket's "
                         "timeline.")
def affected_item_link_api(request: HttpRequest, payload: AffectedIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    ticket, item = _ticket_and_item(user, payload.ticket, payload.item)
    services.affected_item_link(by=user, ticket=ticket, item=item)
    return Status(201, _item(item))


@router.delete("/affected-items", response={204: None, **ERROR_RESPONSES}, summary="Unlink an item from a ticket")
def affected_item_unlink_api(request: HttpRequest, ticket: str, item: int) -> Status[None]:
    user = api_user(request)
    found_ticket, found_item = _ticket_and_item(user, ticket[:40], item)
    services.affected_item_unlink(by=user, ticket=found_ticket, item=found_item)
    return Status(204, None)


@router.get("/items/{item_id}/tickets", response={200: ItemTicketsOut, **ERROR_RESPONSES},
            summary="Incidents that affect an item", description="Open and past, newest first (50 at most).")
def item_tickets_api(request: HttpRequest, item_id: Text) -> dict[str, Any]:
    user = api_user(request)
    open_, past = selectors.item_incidents(item=selectors.item_get(pk=item_id, visible_to=user), visible_to=user)
    return {"open": [{"number": i.number, "title": i.title, "status": i.status} for i in open_],
            "past": [{"number": i.number, "title": i.title, "status": i.status} for i in past]}
