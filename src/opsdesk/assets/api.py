"""REST API of the asset register (mounted at /api/v1/assets): assets (list, create, detail, update with
`version`, Excel export and import), the procedures — `acquisitions` (申购), `take-outs` (外带), `repairs` (维修),
`scraps` (报废): list, open, detail with `allowed_actions`, `POST …/{number}/actions/{action}` — and the monthly
checks. Handlers stay thin: reads through selectors.py (what one may not see is a 404), writes through
services.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import contract_get
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.api import (
    ERROR_RESPONSES,
    IMPORT_RESPONSES,
    CursorPageOut,
    OutSchema,
    Text,
    action_data,
    activity_out,
    api_user,
    import_result,
    local_time,
)
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.spreadsheets import xlsx_response
from opsdesk.core.workflow import describe_actions
from opsdesk.incidents.api import ActionIn, ActionOut, ActivityOut

from . import selectors, services, transfer
from .models import NAME_MAX, TAG_MAX, AcquisitionRequest, Asset, AssetCheck, Procedure, Repair, ScrapRequest, TakeOut
from .workflow import WORKFLOWS

router = Router(tags=["assets"])


# --- schemas ------------------------------------------------------------------------------------------------------

class AssetOut(OutSchema):
    id: int
    contract: str = Field(description="Contract code.")
    asset_tag: str
    name: str
    category: str = Field(description="information | software | physical")
    model: str
    serial_number: str
    department: int | None = Field(description="Owner department id (of the client organisation).")
    department_name: str | None
    custodian: str | None = Field(description="Username.")
    importance: int = Field(description="1 critical … 4 low")
    location: str
    vendor: str
    purchase_date: dt.date | None
    price: Decimal | None
    warranty_end: dt.date | None
    in_warranty: bool
    status: str = Field(description="in_stock | in_use | under_repair | taken_out | scrapped")
    configuration_item: int | None
    version: int
    updated_at: dt.datetime


class ProcedureRefOut(OutSchema):
    kind: str
    number: str
    status: str
    status_label: str


class AssetDetailOut(AssetOut):
    history: list[ActivityOut]
    procedures: list[ProcedureRefOut]


class AssetPageOut(CursorPageOut):
    items: list[AssetOut]


class AssetListParams(Schema):
    contract: Text = Field("", description="Contract code.")
    category: Text = ""
    status: Text = ""
    department: Text = Field("", description="Department id.")
    q: Text = Field("", max_length=200, description="Asset tag, serial number or words of the name.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class AssetIn(Schema):
    contract: Text = Field(max_length=40)
    asset_tag: Text = Field(max_length=TAG_MAX)
    name: Text = Field(max_length=NAME_MAX)
    category: Text = "physical"
    model: Text = Field("", max_length=NAME_MAX)
    serial_number: Text = Field("", max_length=100)
    department: int | None = Field(None, ge=1, le=2**63 - 1)
    custodian: Text = Field("", max_length=150, description="Username.")
    importance: int = Field(3, ge=1, le=4)
    location: Text = Field("", max_length=NAME_MAX)
    vendor: Text = Field("", max_length=NAME_MAX)
    purchase_date: dt.date | None = None
    price: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    warranty_end: dt.date | None = None
    status: Text = "in_use"
    configuration_item: int | None = Field(None, ge=1, le=2**63 - 1)


class AssetPatch(Schema):
    version: int | None = Field(None, ge=0, le=2**31 - 1)
    name: Text | None = Field(None, max_length=NAME_MAX)
    category: Text | None = None
    model: Text | None = Field(None, max_length=NAME_MAX)
    serial_number: Text | None = Field(None, max_length=100)
    department: int | None = Field(None, ge=0, le=2**63 - 1, description="0 clears it.")
    custodian: Text | None = Field(None, max_length=150, description="Username; empty clears it.")
    importance: int | None = Field(None, ge=1, le=4)
    location: Text | None = Field(None, max_length=NAME_MAX)
    vendor: Text | None = Field(None, max_length=NAME_MAX)
    purchase_date: dt.date | None = None
    price: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    warranty_end: dt.date | None = None
    status: Text | None = None
    configuration_item: int | None = Field(None, ge=0, le=2**63 - 1, description="0 clears it.")


class QuoteOut(OutSchema):
    shop: str
    amount: Decimal
    authorised: bool


class ProcedureOut(OutSchema):
    """A procedure record as a list row."""

    number: str
    kind: str = Field(description="acquisition | take_out | repair | scrap")
    status: str
    status_label: str
    contract: str
    requested_by: str
    asset: str | None = Field(description="Asset tag (for an acquisition: the asset issued).")
    asset_name: str | None
    overdue: bool = Field(description="A take-out past its return date, a send-out repair past its due date.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    allowed_actions: list[ActionOut]


class ProcedureDetailOut(ProcedureOut):
    record: dict[str, Any] = Field(description="What the request and its steps recorded, by field name.")
    quotes: list[QuoteOut]
    timeline: list[ActivityOut]


class ProcedurePageOut(CursorPageOut):
    items: list[ProcedureOut]


class ProcedureListParams(Schema):
    contract: Text = ""
    status: Text = ""
    overdue: Text = Field("", description="true: overdue take-outs / send-out repairs only.")
    q: Text = Field("", max_length=200, description="A number, an asset tag or words of the name.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class AcquisitionIn(Schema):
    contract: Text = Field(max_length=40)
    item_name: Text = Field(max_length=NAME_MAX)
    category: Text = "physical"
    specification: Text = Field("", max_length=NAME_MAX)
    reason: Text = Field(max_length=2000)
    estimated_price: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    department: int | None = Field(None, ge=1, le=2**63 - 1)


class AssetRefIn(Schema):
    contract: Text = Field(max_length=40)
    asset_tag: Text = Field(max_length=TAG_MAX)


class TakeOutIn(AssetRefIn):
    reason: Text = Field(max_length=2000)
    destination: Text = Field(max_length=NAME_MAX)
    expected_return: dt.date


class RepairIn(AssetRefIn):
    fault: Text = Field(max_length=2000)


class ScrapIn(AssetRefIn):
    reason: Text = Field(max_length=2000, description="Why it cannot be repaired.")


class CheckLineOut(OutSchema):
    id: int
    asset: int
    asset_tag: str
    asset_name: str
    location: str
    result: str = Field(description="'' (not yet) | ok | missing | damaged | location_differs")
    note: str


class CheckOut(OutSchema):
    id: int
    contract: str
    month: str = Field(examples=["2026-12"])
    status: str = Field(description="open | completed")
    lines: int
    completed_at: dt.datetime | None


class CheckDetailOut(CheckOut):
    items: list[CheckLineOut]


class CheckPageOut(CursorPageOut):
    items: list[CheckOut]


class CheckIn(Schema):
    contract: Text = Field(max_length=40)
    month: Text = Field(max_length=10, examples=["2026-12"])


class CheckResultIn(Schema):
    line: int = Field(ge=1, le=2**63 - 1)
    result: Text = Field("", max_length=20)
    note: Text = Field("", max_length=500)


class CheckResultsIn(Schema):
    results: list[CheckResultIn] = Field(max_length=5000)


# --- helpers ------------------------------------------------------------------------------------------------------

def asset_out(a: Asset) -> dict[str, Any]:
    return {"id": a.pk, "contract": a.contract.code, "asset_tag": a.asset_tag, "name": a.name,
            "category": a.category, "model": a.model, "serial_number": a.serial_number,
            "department": a.department_id, "department_name": a.department.name if a.department else None,
            "custodian": a.custodian.username if a.custodian else None, "importance": a.importance,
            "location": a.location, "vendor": a.vendor, "purchase_date": a.purchase_date, "price": a.price,
            "warranty_end": a.warranty_end, "in_warranty": a.in_warranty, "status": a.status,
            "configuration_item": a.configuration_item_id, "version": a.version,
            "updated_at": local_time(a.updated_at)}


KINDS: dict[type, str] = {AcquisitionRequest: "acquisition", TakeOut: "take_out", Repair: "repair",
                          ScrapRequest: "scrap"}
RECORD_FIELDS: dict[type, tuple[str, ...]] = {
    AcquisitionRequest: ("item_name", "category", "specification", "reason", "estimated_price", "department",
                         "vendor", "price", "order_date", "reject_reason"),
    TakeOut: ("reason", "destination", "expected_return", "taken_out_at", "returned_at", "reject_reason"),
    Repair: ("fault", "in_warranty", "vendor_reference", "part", "part_price", "shop", "sent_out_on", "due_back",
             "completed_on", "work_done", "replaced_part", "part_warranty_end", "no_second_hand", "reject_reason"),
    ScrapRequest: ("reason", "scrapped_at", "reject_reason"),
}


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return local_time(value).isoformat()
    if isinstance(value, dt.date | Decimal):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if value is not None and not isinstance(value, bool | int | str):
        return str(value)
    return value


def procedure_out(record: Procedure, actions: list[dict[str, Any]]) -> dict[str, Any]:
    wf = WORKFLOWS[type(record)]
    asset: Asset | None = getattr(record, "asset", None)
    return {"number": record.number, "kind": KINDS[type(record)], "status": getattr(record, "status", ""),
            "status_label": wf.status_label(getattr(record, "status", "")), "contract": record.contract.code,
            "requested_by": record.requested_by.username, "asset": asset.asset_tag if asset else None,
            "asset_name": asset.name if asset else None, "overdue": bool(getattr(record, "is_overdue", False)),
            "version": record.version, "created_at": local_time(record.created_at),
            "updated_at": local_time(record.updated_at), "allowed_actions": actions}


def procedure_detail(record: Procedure, user: User) -> dict[str, Any]:
    out = procedure_out(record, describe_actions(WORKFLOWS[type(record)], record, user))
    out["record"] = {name: _json(getattr(record, name)) for name in RECORD_FIELDS[type(record)]}
    out["quotes"] = ([{"shop": q.shop, "amount": q.amount, "authorised": q.authorised} for q in record.quotes.all()]
                     if isinstance(record, Repair) else [])
    out["timeline"] = [activity_out(a) for a in selectors.procedure_timeline(record=record)]
    return out


def _contract(code: str, user: User) -> Contract:
    try:
        return contract_get(code=code.strip(), visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None


def _asset_ref(payload: AssetRefIn, user: User) -> Asset:
    contract = _contract(payload.contract, user)
    asset = selectors.asset_by_tag(contract_id=contract.pk, tag=payload.asset_tag)
    if asset is None:
        raise ValidationError(fields={"asset_tag": _("There is no asset “%(tag)s” on this contract.") % {
            "tag": payload.asset_tag[:TAG_MAX]}})
    return asset


def _department(contract: Contract, pk: int | None) -> Department | None:
    if not pk:
        return None
    found = Department.objects.filter(pk=pk, organisation_id=contract.organisation_id).first()
    if found is None:
        raise ValidationError(fields={"department": _("Choose a department of the contract's client organisation.")})
    return found


def _custodian(username: str) -> User | None:
    if not username.strip():
        return None
    found = User.objects.filter(username=username.strip()).first()
    if found is None:
        raise ValidationError(fields={"custodian": _("Nobody is called “%(name)s”.") % {"name": username[:40]}})
    return found


def _item(contract: Contract, pk: int | None) -> ConfigurationItem | None:
    if not pk:
        return None
    found = ConfigurationItem.objects.filter(pk=pk, contract_id=contract.pk).first()
    if found is None:
        raise ValidationError(fields={"configuration_item": _("Choose a configuration item of this contract.")})
    return found


def _page(page: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": rows, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


# --- assets -------------------------------------------------------------------------------------------------------

@router.get("/assets", response={200: AssetPageOut, **ERROR_RESPONSES}, summary="List assets")
def asset_list_api(request: HttpRequest, params: Query[AssetListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = selectors.AssetFilters.parse(params.model_dump(exclude={"limit", "cursor"}))
    page = selectors.asset_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return _page(page, [asset_out(a) for a in page.items])


@router.post("/assets", response={201: AssetDetailOut, **ERROR_RESPONSES}, summary="Put an asset on the register",
             description="The contract's store keeper, engineers, project manager and system administrator.")
def asset_create_api(request: HttpRequest, payload: AssetIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    contract = _contract(payload.contract, user)
    asset = services.asset_create(
        by=user, contract=contract, asset_tag=payload.asset_tag, name=payload.name, category=payload.category,
        status=payload.status, model=payload.model, serial_number=payload.serial_number,
        department=_department(contract, payload.department), custodian=_custodian(payload.custodian),
        importance=payload.importance, location=payload.location, vendor=payload.vendor,
        purchase_date=payload.purchase_date, price=payload.price, warranty_end=payload.warranty_end,
        configuration_item=_item(contract, payload.configuration_item))
    return Status(201, _asset_detail(selectors.asset_get(pk=asset.pk, visible_to=user)))


@router.get("/assets/export", summary="Export assets to Excel",
            description="The assets of the list's filters, as a workbook that `POST /import` reads back.")
def asset_export_api(request: HttpRequest, params: Query[AssetListParams]) -> HttpResponse:
    user = api_user(request)
    filters = selectors.AssetFilters.parse(params.model_dump(exclude={"limit", "cursor"}))
    return xlsx_response(transfer.export_workbook(selectors.asset_queryset(visible_to=user, filters=filters)),
                         _("assets.xlsx"))


@router.post("/import", response=IMPORT_RESPONSES,
             summary="Import assets from Excel",
             description="A workbook like the export's (contract, asset tag, name …). Every row is checked first; a "
                         "dry run (the default) only reports. A real run writes all or nothing: with any bad row it "
                         "answers 422 with the report under `report`.")
def import_api(request: HttpRequest, dry_run: bool = True, file: UploadedFile = File(...)  # noqa: B008
               ) -> Any:
    user = api_user(request)
    report = transfer.import_assets(by=user, upload=file, dry_run=dry_run)
    return import_result(report)


def _asset_detail(asset: Asset) -> dict[str, Any]:
    out = asset_out(asset)
    out["history"] = [activity_out(a) for a in selectors.asset_history(asset=asset)]
    out["procedures"] = [{"kind": KINDS[type(p)], "number": p.number, "status": getattr(p, "status", ""),
                          "status_label": WORKFLOWS[type(p)].status_label(getattr(p, "status", ""))}
                         for p in selectors.asset_procedures(asset=asset)]
    return out


@router.get("/assets/{asset_id}", response={200: AssetDetailOut, **ERROR_RESPONSES}, summary="An asset",
            description="With the history of its changes and its procedures.")
def asset_detail_api(request: HttpRequest, asset_id: Text) -> dict[str, Any]:
    return _asset_detail(selectors.asset_get(pk=asset_id, visible_to=api_user(request)))


@router.patch("/assets/{asset_id}", response={200: AssetDetailOut, **ERROR_RESPONSES}, summary="Update an asset",
              description="Send `version`: a stale one gets 409. Fields left out keep their values.")
def asset_update_api(request: HttpRequest, asset_id: Text, payload: AssetPatch) -> dict[str, Any]:
    user = api_user(request)
    asset = selectors.asset_get(pk=asset_id, visible_to=user)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    if "department" in data:
        data["department"] = _department(asset.contract, data["department"])
    if "custodian" in data:
        data["custodian"] = _custodian(data["custodian"] or "")
    if "configuration_item" in data:
        data["configuration_item"] = _item(asset.contract, data["configuration_item"])
    services.asset_update(by=user, asset=asset, data=data, version=payload.version)
    return _asset_detail(selectors.asset_get(pk=asset.pk, visible_to=user))


# --- procedures ---------------------------------------------------------------------------------------------------

def _register_procedure(path: str, model: type[Procedure], schema: type[Schema],
                        create: Callable[[User, Any], Procedure], summary: str) -> None:
    """List, open, detail and action endpoints of one procedure at `/{path}`."""
    kind = KINDS[model]

    def list_api(request: HttpRequest, params: Query[ProcedureListParams]) -> dict[str, Any]:
        user = api_user(request)
        filters = selectors.ProcedureFilters.parse(model, params.model_dump(exclude={"limit", "cursor"}))
        page = selectors.procedure_list(model, visible_to=user, filters=filters, limit=params.limit,
                                        cursor=params.cursor)
        wf = WORKFLOWS[model]
        return _page(page, [procedure_out(r, describe_actions(wf, r, user, with_choices=False)) for r in page.items])

    def create_api(request: HttpRequest, payload: Schema) -> Status[dict[str, Any]]:
        user = api_user(request)
        record = create(user, payload)
        return Status(201, procedure_detail(selectors.procedure_get(model, number=record.number, visible_to=user),
                                            user))

    create_api.__annotations__["payload"] = schema  # this procedure's input (annotations are text here)

    def detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
        user = api_user(request)
        return procedure_detail(selectors.procedure_get(model, number=number, visible_to=user), user)

    def action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
        user = api_user(request)
        record = selectors.procedure_get(model, number=number, visible_to=user)
        services.procedure_act(record=record, action=action, by=user, data=action_data(payload),
                               version=payload.version)
        return procedure_detail(selectors.procedure_get(model, number=number, visible_to=user), user)

    router.get(f"/{path}", response={200: ProcedurePageOut, **ERROR_RESPONSES}, summary=f"List {summary}s",
               operation_id=f"assets_{kind}_list")(list_api)
    router.post(f"/{path}", response={201: ProcedureDetailOut, **ERROR_RESPONSES}, summary=f"Open a {summary}",
                operation_id=f"assets_{kind}_create")(create_api)
    router.get(f"/{path}/{{number}}", response={200: ProcedureDetailOut, **ERROR_RESPONSES},
               summary=f"A {summary}", operation_id=f"assets_{kind}_detail")(detail_api)
    router.post(f"/{path}/{{number}}/actions/{{action}}", response={200: ProcedureDetailOut, **ERROR_RESPONSES},
                summary=f"Take a step of a {summary}", operation_id=f"assets_{kind}_action",
                description="Stale `version` or a status that does not allow the action: 409; a role that does "
                            "not (or not at this step): 403; an unknown action: 404; a missing or invalid field: "
                            "422 naming it.")(action_api)


def _acquisition(user: User, p: AcquisitionIn) -> Procedure:
    contract = _contract(p.contract, user)
    return services.acquisition_create(by=user, contract=contract, item_name=p.item_name, reason=p.reason,
                                       category=p.category, specification=p.specification,
                                       estimated_price=p.estimated_price,
                                       department=_department(contract, p.department))


def _take_out(user: User, p: TakeOutIn) -> Procedure:
    return services.take_out_create(by=user, asset=_asset_ref(p, user), reason=p.reason, destination=p.destination,
                                    expected_return=p.expected_return)


def _repair(user: User, p: RepairIn) -> Procedure:
    return services.repair_create(by=user, asset=_asset_ref(p, user), fault=p.fault)


def _scrap(user: User, p: ScrapIn) -> Procedure:
    return services.scrap_create(by=user, asset=_asset_ref(p, user), reason=p.reason)


_register_procedure("acquisitions", AcquisitionRequest, AcquisitionIn, _acquisition, "acquisition request")
_register_procedure("take-outs", TakeOut, TakeOutIn, _take_out, "take-out")
_register_procedure("repairs", Repair, RepairIn, _repair, "repair")
_register_procedure("scraps", ScrapRequest, ScrapIn, _scrap, "scrap request")


# --- monthly checks -----------------------------------------------------------------------------------------------

def _check(c: AssetCheck, lines: int) -> dict[str, Any]:
    return {"id": c.pk, "contract": c.contract.code, "month": c.month_label, "status": c.status, "lines": lines,
            "completed_at": local_time(c.completed_at)}


def _check_detail(c: AssetCheck) -> dict[str, Any]:
    lines = selectors.check_lines(check=c)
    out = _check(c, len(lines))
    out["items"] = [{"id": line.pk, "asset": line.asset_id, "asset_tag": line.asset.asset_tag,
                     "asset_name": line.asset.name, "location": line.asset.location, "result": line.result,
                     "note": line.note} for line in lines]
    return out


@router.get("/checks", response={200: CheckPageOut, **ERROR_RESPONSES}, summary="Monthly asset checks")
def check_list_api(request: HttpRequest, contract: Text = "", limit: int = Query(25, ge=1, le=200),
                   cursor: Text | None = None) -> dict[str, Any]:
    user = api_user(request)
    page = selectors.check_list(visible_to=user, contract=contract, limit=limit, cursor=cursor)
    counts = selectors.check_line_counts([c.pk for c in page.items])
    return _page(page, [_check(c, counts.get(c.pk, 0)) for c in page.items])


@router.post("/checks", response={201: CheckDetailOut, **ERROR_RESPONSES}, summary="Start a monthly asset check",
             description="A line per asset on the contract's register; one check per contract and month.")
def check_create_api(request: HttpRequest, payload: CheckIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    check = services.check_create(by=user, contract=_contract(payload.contract, user), month=payload.month)
    return Status(201, _check_detail(selectors.check_get(pk=check.pk, visible_to=user)))


@router.get("/checks/{check_id}", response={200: CheckDetailOut, **ERROR_RESPONSES}, summary="A monthly check")
def check_detail_api(request: HttpRequest, check_id: Text) -> dict[str, Any]:
    return _check_detail(selectors.check_get(pk=check_id, visible_to=api_user(request)))


@router.post("/checks/{check_id}/results", response={200: CheckDetailOut, **ERROR_RESPONSES},
             summary="Record check results", description="Completed when every line has a result.")
def check_results_api(request: HttpRequest, check_id: Text, payload: CheckResultsIn) -> dict[str, Any]:
    user = api_user(request)
    check = selectors.check_get(pk=check_id, visible_to=user)
    services.check_record(by=user, check=check, results={r.line: (r.result, r.note) for r in payload.results})
    return _check_detail(selectors.check_get(pk=check.pk, visible_to=user))
