"""REST API of the spare-parts store and consumables (mounted at /api/v1/supplies): parts with their stock and
movements, consumables with issues and loans, replenishment suggestions, the monthly stock report, the usage
ranking and the Excel import. Records are the contract staff's: for anyone else a 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from opsdesk.accounts.models import Contract, User
from opsdesk.core.api import ERROR_RESPONSES, IMPORT_RESPONSES, Text, api_user, idempotent, import_result, local_time
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.pagination import Page

from . import consumable_services, imports, reports, selectors, services
from .models import Consumable, ConsumableMovement, Loan, SparePart, StockLocation, StockMovement
from .schemas import (
    AdjustIn,
    ConsumableIn,
    ConsumableListParams,
    ConsumableMovementOut,
    ConsumableOut,
    ConsumablePageOut,
    IssueIn,
    LoanIn,
    LoanListParams,
    LoanOut,
    LoanPageOut,
    LocationIn,
    LocationOut,
    MovementIn,
    MovementListParams,
    MovementOut,
    MovementPageOut,
    PartIn,
    PartListParams,
    PartOut,
    PartPageOut,
    PartPatch,
    ReceiveIn,
    ReplenishmentOut,
    StockReportOut,
    StockReportParams,
    UsageOut,
    UsageParams,
)

router = Router(tags=["supplies"])


# --- shapes ------------------------------------------------------------------------------------------------------

def _page(page: Page, shape: Any) -> dict[str, Any]:
    return {"items": [shape(i) for i in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


def _location(loc: StockLocation) -> dict[str, Any]:
    return {"id": loc.pk, "code": loc.code, "name": loc.name, "kind": loc.kind}


def _part(p: SparePart) -> dict[str, Any]:
    total = getattr(p, "total_stock", 0)
    return {"id": p.pk, "contract": p.contract.code, "code": p.code, "name": p.name, "model": p.model,
            "brand": p.brand, "labels": p.label_list, "unit": p.unit, "unit_price": p.unit_price,
            "min_stock": p.min_stock, "agreed_stock": p.agreed_stock, "supplier": p.supplier, "total_stock": total,
            "below_minimum": total < p.min_stock, "version": p.version,
            "stock": [{"location": s.location.code, "location_name": s.location.name, "quantity": s.quantity}
                      for s in getattr(p, "stock_rows", [])]}


def _movement(m: StockMovement) -> dict[str, Any]:
    return {"id": m.pk, "part": m.part_id, "part_code": m.part.code, "kind": m.kind, "quantity": m.quantity,
            "from_location": m.from_location.code if m.from_location else None,
            "to_location": m.to_location.code if m.to_location else None, "reason": m.reason,
            "ticket": m.incident.number if m.incident else None, "by": m.by.username, "at": local_time(m.at)}


def _consumable(c: Consumable) -> dict[str, Any]:
    return {"id": c.pk, "contract": c.contract.code, "code": c.code, "name": c.name, "model": c.model,
            "brand": c.brand, "unit": c.unit, "unit_price": c.unit_price, "supplier": c.supplier,
            "quantity": c.quantity, "min_stock": c.min_stock, "version": c.version}


def _consumable_movement(m: ConsumableMovement) -> dict[str, Any]:
    return {"id": m.pk, "consumable": m.consumable_id, "kind": m.kind, "quantity": m.quantity,
            "unit_price": m.unit_price, "amount": m.amount, "department": m.department.name if m.department else None,
            "person": m.recipient_name, "reason": m.reason, "by": m.by.username, "at": local_time(m.at)}


def _loan(loan: Loan) -> dict[str, Any]:
    return {"id": loan.pk, "contract": loan.contract.code, "consumable": loan.consumable_id,
            "consumable_name": loan.consumable.name, "quantity": loan.quantity,
            "department": loan.department.name if loan.department else None, "borrower": loan.borrower_name,
            "lent_at": local_time(loan.lent_at), "due_on": loan.due_on, "returned_at": local_time(loan.returned_at),
            "overdue": loan.is_overdue}


def _contract(code: str, user: User) -> Contract:
    try:
        return selectors.contract_for(code=code, visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None


def _location_of(part_contract_id: int, value: str, field: str) -> StockLocation | None:
    if not value.strip():
        return None
    found = selectors.location_find(contract_id=part_contract_id, value=value)
    if found is None:
        raise ValidationError(fields={field: _("There is no location “%(name)s” on this contract.") % {
            "name": value[:60]}})
    return found


def _person(username: str) -> User | None:
    if not username.strip():
        return None
    found = User.objects.filter(username=username.strip()).first()
    if found is None:
        raise ValidationError(fields={"person": _("There is no user “%(name)s”.") % {"name": username[:40]}})
    return found


# --- locations and parts -----------------------------------------------------------------------------------------

@router.get("/locations", response={200: list[LocationOut], **ERROR_RESPONSES}, summary="Stock locations")
def location_list_api(request: HttpRequest, contract: Text) -> list[dict[str, Any]]:
    found = selectors.contract_for(code=contract, visible_to=api_user(request))
    return [_location(loc) for loc in selectors.location_list(contract_id=found.pk)]


@router.post("/locations", response={201: LocationOut, **ERROR_RESPONSES}, summary="Add a store room or site")
def location_create_api(request: HttpRequest, payload: LocationIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    location = services.location_create(by=user, contract=_contract(payload.contract, user), code=payload.code,
                                        name=payload.name, kind=payload.kind)
    return Status(201, _location(location))


@router.get("/parts", response={200: PartPageOut, **ERROR_RESPONSES}, summary="List spare parts")
def part_list_api(request: HttpRequest, params: Query[PartListParams]) -> dict[str, Any]:
    filters = params.model_dump(exclude={"limit", "cursor"})
    page = selectors.part_list(visible_to=api_user(request), params=filters, limit=params.limit,
                               cursor=params.cursor)
    return _page(page, _part)


@router.post("/parts", response={201: PartOut, **ERROR_RESPONSES}, summary="Create a spare part")
def part_create_api(request: HttpRequest, payload: PartIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, Any]:
        data = payload.model_dump(exclude={"contract"})
        part = services.part_create(by=user, contract=_contract(payload.contract, user), **data)
        return 201, _part(selectors.part_get(pk=part.pk, visible_to=user))

    return Status(*idempotent(request, scope="supplies.part_create", payload=payload, create=create,
                              schema=PartOut))


@router.get("/parts/{part_id}", response={200: PartOut, **ERROR_RESPONSES}, summary="A spare part and its stock")
def part_detail_api(request: HttpRequest, part_id: Text) -> dict[str, Any]:
    return _part(selectors.part_get(pk=part_id, visible_to=api_user(request)))


@router.patch("/parts/{part_id}", response={200: PartOut, **ERROR_RESPONSES}, summary="Update a spare part",
              description="Only the fields given change. Stale `version`: 409.")
def part_update_api(request: HttpRequest, part_id: Text, payload: PartPatch) -> dict[str, Any]:
    user = api_user(request)
    part = selectors.part_get(pk=part_id, visible_to=user)
    services.part_update(by=user, part=part, data=payload.model_dump(exclude_unset=True, exclude={"version"}),
                         version=payload.version)
    return _part(selectors.part_get(pk=part_id, visible_to=user))


@router.get("/parts/{part_id}/movements", response={200: list[MovementOut], **ERROR_RESPONSES},
            summary="A part's latest movements")
def part_movements_api(request: HttpRequest, part_id: Text) -> list[dict[str, Any]]:
    part = selectors.part_get(pk=part_id, visible_to=api_user(request))
    return [_movement(m) for m in selectors.part_movements(part=part)]


@router.post("/parts/{part_id}/movements", response={201: MovementOut, **ERROR_RESPONSES},
             summary="Move stock: receive, issue, transfer, write off, adjust",
             description="Stock never goes below zero: asking for more than there is (perhaps just taken by "
                         "someone else) is a 422 `insufficient_stock` and changes nothing. Engineers may only "
                         "issue (`out`) for an incident (`ticket`).")
def part_move_api(request: HttpRequest, part_id: Text, payload: MovementIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    part = selectors.part_get(pk=part_id, visible_to=user)

    def create() -> tuple[int, Any]:
        movement = services.stock_move(
            by=user, part=part, kind=payload.kind, quantity=payload.quantity, counted=payload.counted,
            location=_location_of(part.contract_id, payload.location, "location"),
            to_location=_location_of(part.contract_id, payload.to_location, "to_location"),
            reason=payload.reason, ticket=payload.ticket)
        return 201, _movement(movement)

    return Status(*idempotent(request, scope=f"supplies.move.{part.pk}", payload=payload, create=create,
                              schema=MovementOut))


@router.get("/movements", response={200: MovementPageOut, **ERROR_RESPONSES}, summary="List stock movements")
def movement_list_api(request: HttpRequest, params: Query[MovementListParams]) -> dict[str, Any]:
    page = selectors.movement_list(visible_to=api_user(request), params=params.model_dump(exclude={"limit",
                                                                                                     "cursor"}),
                                   limit=params.limit, cursor=params.cursor)
    return _page(page, _movement)


@router.get("/replenishment", response={200: list[ReplenishmentOut], **ERROR_RESPONSES},
            summary="Replenishment suggestions",
            description="Parts with fewer in stock than their minimum, and how many to order to reach the agreed "
                        "stock level.")
def replenishment_api(request: HttpRequest, contract: Text = "") -> list[dict[str, Any]]:
    user = api_user(request)
    scope = selectors.contract_for(code=contract, visible_to=user) if contract.strip() else None
    return [{"part": r.part.pk, "contract": r.part.contract.code, "code": r.part.code, "name": r.part.name,
             "unit": r.part.unit, "in_stock": r.in_stock, "min_stock": r.part.min_stock,
             "agreed_stock": r.part.agreed_stock, "to_order": r.to_order, "unit_price": r.part.unit_price,
             "amount": r.amount} for r in selectors.replenishment(visible_to=user, contract=scope)]


# --- consumables -------------------------------------------------------------------------------------------------

@router.get("/consumables", response={200: ConsumablePageOut, **ERROR_RESPONSES}, summary="List consumables")
def consumable_list_api(request: HttpRequest, params: Query[ConsumableListParams]) -> dict[str, Any]:
    page = selectors.consumable_list(visible_to=api_user(request),
                                     params=params.model_dump(exclude={"limit", "cursor"}), limit=params.limit,
                                     cursor=params.cursor)
    return _page(page, _consumable)


@router.post("/consumables", response={201: ConsumableOut, **ERROR_RESPONSES}, summary="Create a consumable")
def consumable_create_api(request: HttpRequest, payload: ConsumableIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    consumable = consumable_services.consumable_create(by=user, contract=_contract(payload.contract, user),
                                                       **payload.model_dump(exclude={"contract"}))
    return Status(201, _consumable(selectors.consumable_get(pk=consumable.pk, visible_to=user)))


@router.get("/consumables/{consumable_id}", response={200: ConsumableOut, **ERROR_RESPONSES},
            summary="A consumable")
def consumable_detail_api(request: HttpRequest, consumable_id: Text) -> dict[str, Any]:
    return _consumable(selectors.consumable_get(pk=consumable_id, visible_to=api_user(request)))


@router.post("/consumables/{consumable_id}/receive", response={201: ConsumableMovementOut, **ERROR_RESPONSES},
             summary="Receive consumables into stock")
def consumable_receive_api(request: HttpRequest, consumable_id: Text, payload: ReceiveIn
                           ) -> Status[dict[str, Any]]:
    user = api_user(request)
    consumable = selectors.consumable_get(pk=consumable_id, visible_to=user)
    movement = consumable_services.consumable_receive(by=user, consumable=consumable, quantity=payload.quantity,
                                                      reason=payload.reason)
    return Status(201, _consumable_movement(movement))


@router.post("/consumables/{consumable_id}/adjust", response={201: ConsumableMovementOut, **ERROR_RESPONSES},
             summary="Set the stock to a count")
def consumable_adjust_api(request: HttpRequest, consumable_id: Text, payload: AdjustIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    consumable = selectors.consumable_get(pk=consumable_id, visible_to=user)
    movement = consumable_services.consumable_adjust(by=user, consumable=consumable, counted=payload.counted,
                                                     reason=payload.reason)
    return Status(201, _consumable_movement(movement))


@router.post("/consumables/{consumable_id}/issue", response={201: ConsumableMovementOut, **ERROR_RESPONSES},
             summary="Issue consumables to a department and person",
             description="Never more than in stock: 422 `insufficient_stock`, nothing written.")
def consumable_issue_api(request: HttpRequest, consumable_id: Text, payload: IssueIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    consumable = selectors.consumable_get(pk=consumable_id, visible_to=user)

    def create() -> tuple[int, Any]:
        movement = consumable_services.consumable_issue(
            by=user, consumable=consumable, quantity=payload.quantity,
            department=_department(consumable, payload.department), person=_person(payload.person),
            person_name=payload.person_name, reason=payload.reason)
        return 201, _consumable_movement(movement)

    return Status(*idempotent(request, scope=f"supplies.issue.{consumable.pk}", payload=payload, create=create,
                              schema=ConsumableMovementOut))


def _department(consumable: Consumable, value: str) -> Any:
    if not value.strip():
        return None
    found = selectors.department_find(contract=consumable.contract, value=value)
    if found is None:
        raise ValidationError(fields={"department": _("Choose a department of the contract's client.")})
    return found


@router.post("/consumables/{consumable_id}/loans", response={201: LoanOut, **ERROR_RESPONSES},
             summary="Lend consumables (borrow)")
def loan_create_api(request: HttpRequest, consumable_id: Text, payload: LoanIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    consumable = selectors.consumable_get(pk=consumable_id, visible_to=user)
    loan = consumable_services.loan_create(
        by=user, consumable=consumable, quantity=payload.quantity, due_on=payload.due_on,
        department=_department(consumable, payload.department), person=_person(payload.person),
        person_name=payload.person_name, notes=payload.reason)
    return Status(201, _loan(selectors.loan_get(pk=loan.pk, visible_to=user)))


@router.get("/loans", response={200: LoanPageOut, **ERROR_RESPONSES}, summary="List loans",
            description="`overdue` marks loans not returned after their due day.")
def loan_list_api(request: HttpRequest, params: Query[LoanListParams]) -> dict[str, Any]:
    page = selectors.loan_list(visible_to=api_user(request), params=params.model_dump(exclude={"limit", "cursor"}),
                               limit=params.limit, cursor=params.cursor)
    return _page(page, _loan)


@router.post("/loans/{loan_id}/return", response={200: LoanOut, **ERROR_RESPONSES}, summary="Return a loan",
             description="Returning twice: 409.")
def loan_return_api(request: HttpRequest, loan_id: Text) -> dict[str, Any]:
    user = api_user(request)
    loan = consumable_services.loan_return(by=user, loan=selectors.loan_get(pk=loan_id, visible_to=user))
    return _loan(selectors.loan_get(pk=loan.pk, visible_to=user))


# --- reports and import ------------------------------------------------------------------------------------------

@router.get("/reports/stock", response={200: StockReportOut, **ERROR_RESPONSES},
            summary="Monthly spare-parts stock report",
            description="Per part: opening stock, received, issued, written off, adjusted, closing stock; computed "
                        "from the movements of the month (Beijing time).")
def stock_report_api(request: HttpRequest, params: Query[StockReportParams]) -> dict[str, Any]:
    contract = selectors.contract_for(code=params.contract, visible_to=api_user(request))
    year, month = reports.parse_month(params.month)
    report = reports.stock_report(contract=contract, year=year, month=month)
    return {"contract": contract.code, "month": report.label, "totals": report.totals, "rows": [
        {"part": r.part.pk, "code": r.part.code, "name": r.part.name, "unit": r.part.unit, "opening": r.opening,
         "received": r.received, "issued": r.issued, "written_off": r.written_off, "adjusted": r.adjusted,
         "transferred": r.transferred, "closing": r.closing, "unit_price": r.part.unit_price,
         "closing_value": r.closing_value, "below_minimum": r.below_minimum} for r in report.rows]}


@router.get("/reports/consumable-usage", response={200: UsageOut, **ERROR_RESPONSES},
            summary="Consumable usage ranking",
            description="Consumables issued per department or person in a period, most money first.")
def usage_report_api(request: HttpRequest, params: Query[UsageParams]) -> dict[str, Any]:
    user = api_user(request)
    contract = selectors.contract_for(code=params.contract, visible_to=user) if params.contract.strip() else None
    first, last = reports.parse_period({"from": params.from_, "to": params.to})
    rows = reports.usage_ranking(visible_to=user, by=params.by, first=first, last=last, contract=contract)
    return {"by": params.by, "date_from": first, "date_to": last, "rows": [
        {"rank": i, "key": r.key, "name": r.name, "quantity": r.quantity, "amount": r.amount, "issues": r.issues}
        for i, r in enumerate(rows, start=1)]}


@router.post("/import", response=IMPORT_RESPONSES,
             summary="Import spare parts and consumables from Excel",
             description="Multipart `file`: a workbook with a 备件 (spare parts) and/or 耗材 (consumables) sheet. "
                         "`dry_run=true` (the default) checks every row and writes nothing; otherwise all rows are "
                         "written or, when any is bad, none and a 422 with the report under `report`.")
def import_api(request: HttpRequest, contract: Text, file: File[UploadedFile], dry_run: bool = True) -> Any:
    user = api_user(request)
    report = imports.supplies_import(by=user, contract=selectors.contract_for(code=contract, visible_to=user),
                                     upload=file, dry_run=dry_run)
    return import_result(report)
