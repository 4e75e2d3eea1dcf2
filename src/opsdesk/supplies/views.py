"""Pages of the spare-parts store and consumables: lists with filters and keyset pagination (and their Excel
exports), a part's page with its stock and the movement form, a consumable's page with the issue and loan
forms, loans, replenishment suggestions, the monthly stock report, the usage ranking and the Excel import.

Contractor staff only (client people go to the portal); a record of a contract the viewer does not work on is
a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.core.errors import Conflict, ValidationError
from opsdesk.core.http import page_errors, staff_only
from opsdesk.core.spreadsheets import workbook_bytes, xlsx_response

from . import consumable_services, imports, reports, selectors, services
from .choices import CONSUMABLE_MOVEMENT_COLOURS, MOVEMENT_COLOURS
from .forms import (
    ConsumableFilterForm,
    ImportForm,
    IssueForm,
    LoanFilterForm,
    LoanForm,
    MovementFilterForm,
    MovementForm,
    PartFilterForm,
    StockReportForm,
    UsageForm,
)
from .models import Consumable, SparePart

EXPORT_LIMIT = 50_000


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _list(request: HttpRequest, *, form: Any, select: Any, template: str, extra: dict[str, Any] | None = None
          ) -> HttpResponse:
    page, status = None, 400
    if form.is_valid():
        try:
            page = select(visible_to=_me(request), params=request.GET, limit=settings.OPSDESK_PAGE_SIZE,
                          cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    return render(request, template, {"form": form, "page": page, **(extra or {})}, status=status)


def _export(request: HttpRequest, *, queryset: Any, title: Any, columns: Any, rows: Any, name: str) -> HttpResponse:
    items = list(queryset.order_by("-id")[:EXPORT_LIMIT])
    content = workbook_bytes([(title, columns, rows(items))])
    return xlsx_response(content, f"{name}-{timezone.localdate():%Y%m%d}.xlsx")


# --- spare parts -------------------------------------------------------------------------------------------------

@login_required
@staff_only
@page_errors
@require_GET
def part_list(request: HttpRequest) -> HttpResponse:
    """Spare parts newest first, with stock per location; filters: contract, search, label, location, below
    minimum."""
    return _list(request, form=PartFilterForm(request.GET, user=_me(request)), select=selectors.part_list,
                 template="supplies/part_list.html")


@login_required
@staff_only
@page_errors
@require_GET
def part_export(request: HttpRequest) -> HttpResponse:
    """The filtered spare-parts list as a workbook (a row per part and location, so it imports again)."""
    parts = list(selectors.part_queryset(visible_to=_me(request), params=request.GET).order_by("-id")[:EXPORT_LIMIT])
    selectors.attach_stock(parts)
    content = workbook_bytes([(imports.PART_SHEET, imports.PART_COLUMNS, imports.part_rows(parts))])
    return xlsx_response(content, f"spare-parts-{timezone.localdate():%Y%m%d}.xlsx")


def _part_context(request: HttpRequest, part: SparePart, form: MovementForm | None = None) -> dict[str, Any]:
    user = _me(request)
    locations = selectors.location_list(contract_id=part.contract_id)
    may_move = services.may_issue_for_ticket(user, part.contract_id)
    # the location holding most of the part comes first in the form (where it is usually taken from)
    fullest = max(part.stock_rows, key=lambda s: s.quantity, default=None)  # type: ignore[attr-defined]
    preferred = fullest.location.code if fullest is not None and fullest.quantity else ""
    return {"part": part, "movements": selectors.part_movements(part=part), "colours": MOVEMENT_COLOURS,
            "form": (form or MovementForm(locations=locations, preferred=preferred, initial={"kind": "out"})
                     if may_move else None),
            "may_manage": services.may_manage_store(user, part.contract_id)}


@login_required
@staff_only
@page_errors
@require_GET
def part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    part = selectors.part_get(pk=pk, visible_to=_me(request))
    return render(request, "supplies/part_detail.html", _part_context(request, part))


@login_required
@staff_only
@page_errors
@require_POST
def part_move(request: HttpRequest, pk: int) -> HttpResponse:
    """POST of the movement form; errors re-render the page next to the fields (422, 409)."""
    user = _me(request)
    part = selectors.part_get(pk=pk, visible_to=user)
    form = MovementForm(request.POST, locations=selectors.location_list(contract_id=part.contract_id))
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_move(
                by=user, part=part, kind=data["kind"], quantity=data.get("quantity"), counted=data.get("counted"),
                location=selectors.location_find(contract_id=part.contract_id, value=data.get("location")),
                to_location=selectors.location_find(contract_id=part.contract_id, value=data.get("to_location")),
                reason=data.get("reason") or "", ticket=data.get("ticket") or "")
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("Movement recorded."))
            return redirect("supplies:part_detail", pk=part.pk)
    part = selectors.part_get(pk=pk, visible_to=user)
    return render(request, "supplies/part_detail.html", _part_context(request, part, form), status=status)


@login_required
@staff_only
@page_errors
@require_GET
def movement_list(request: HttpRequest) -> HttpResponse:
    return _list(request, form=MovementFilterForm(request.GET, user=_me(request)), select=selectors.movement_list,
                 template="supplies/movement_list.html", extra={"colours": MOVEMENT_COLOURS})


@login_required
@staff_only
@page_errors
@require_GET
def movement_export(request: HttpRequest) -> HttpResponse:
    return _export(request, queryset=selectors.movement_queryset(visible_to=_me(request), params=request.GET),
                   title=imports.MOVEMENT_SHEET, columns=imports.MOVEMENT_COLUMNS, rows=imports.movement_rows,
                   name="stock-movements")


@login_required
@staff_only
@page_errors
@require_GET
def replenishment(request: HttpRequest) -> HttpResponse:
    """Parts below their minimum stock and what to order to reach the agreed level."""
    code = str(request.GET.get("contract") or "")
    contract = selectors.contract_for(code=code, visible_to=_me(request)) if code.strip() else None
    rows = selectors.replenishment(visible_to=_me(request), contract=contract)
    total = sum((r.amount for r in rows), Decimal("0.00"))
    return render(request, "supplies/part_replenishment.html", {
        "rows": rows, "total": total, "contract": contract,
        "contracts": selectors.store_contracts(visible_to=_me(request))})


@login_required
@staff_only
@page_errors
@require_GET
def stock_report(request: HttpRequest) -> HttpResponse:
    """The monthly stock report of a contract (月度备件库存报表); `?format=xlsx` downloads it."""
    user = _me(request)
    form = StockReportForm(request.GET, user=user)
    form.is_valid()
    contracts = list(selectors.store_contracts(visible_to=user))
    code = str(request.GET.get("contract") or (contracts[0].code if contracts else ""))
    report = None
    if code:
        contract = selectors.contract_for(code=code, visible_to=user)
        year, month = reports.parse_month(request.GET.get("month"))
        report = reports.stock_report(contract=contract, year=year, month=month)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(workbook_bytes([(report.label, imports.report_columns(),
                                                  imports.report_rows(report))]),
                                 f"stock-report-{contract.code}-{report.label}.xlsx")
    return render(request, "supplies/stock_report.html", {"form": form, "report": report})


# --- consumables -------------------------------------------------------------------------------------------------

@login_required
@staff_only
@page_errors
@require_GET
def consumable_list(request: HttpRequest) -> HttpResponse:
    return _list(request, form=ConsumableFilterForm(request.GET, user=_me(request)),
                 select=selectors.consumable_list, template="supplies/consumable_list.html")


@login_required
@staff_only
@page_errors
@require_GET
def consumable_export(request: HttpRequest) -> HttpResponse:
    return _export(request, queryset=selectors.consumable_queryset(visible_to=_me(request), params=request.GET),
                   title=imports.CONSUMABLE_SHEET, columns=imports.CONSUMABLE_COLUMNS, rows=imports.consumable_rows,
                   name="consumables")


def _consumable_context(request: HttpRequest, consumable: Consumable, *, issue_form: IssueForm | None = None,
                        loan_form: LoanForm | None = None) -> dict[str, Any]:
    departments = selectors.departments_of(contract=consumable.contract)
    due = timezone.localdate() + dt.timedelta(days=7)
    return {"consumable": consumable, "movements": selectors.consumable_movements(consumable=consumable),
            "colours": CONSUMABLE_MOVEMENT_COLOURS,
            "issue_form": issue_form or IssueForm(departments=departments, initial={"quantity": 1}),
            "loan_form": loan_form or LoanForm(departments=departments, initial={"quantity": 1, "due_on": due},
                                               prefix="loan"),
            "loans": list(consumable.loans.filter(returned_at__isnull=True).select_related("department")
                          .order_by("due_on", "id"))}


@login_required
@staff_only
@page_errors
@require_GET
def consumable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consumable = selectors.consumable_get(pk=pk, visible_to=_me(request))
    return render(request, "supplies/consumable_detail.html", _consumable_context(request, consumable))


def _person(form: Any, username: str) -> User | None:
    if not username.strip():
        return None
    found = User.objects.filter(username=username.strip()).first()
    if found is None:
        raise ValidationError(fields={"person": _("There is no user “%(name)s”.") % {"name": username[:40]}})
    return found


@login_required
@staff_only
@page_errors
@require_POST
def consumable_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = _me(request)
    consumable = selectors.consumable_get(pk=pk, visible_to=user)
    form = IssueForm(request.POST, departments=selectors.departments_of(contract=consumable.contract))
    if form.is_valid():
        data = form.cleaned_data
        try:
            consumable_services.consumable_issue(
                by=user, consumable=consumable, quantity=data["quantity"],
                department=selectors.department_find(contract=consumable.contract, value=data.get("department")),
                person=_person(form, data.get("person") or ""), person_name=data.get("person_name") or "",
                reason=data.get("reason") or "")
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Issued."))
            return redirect("supplies:consumable_detail", pk=consumable.pk)
    consumable = selectors.consumable_get(pk=pk, visible_to=user)
    return render(request, "supplies/consumable_detail.html", _consumable_context(request, consumable,
                                                                                   issue_form=form), status=422)


@login_required
@staff_only
@page_errors
@require_POST
def consumable_lend(request: HttpRequest, pk: int) -> HttpResponse:
    user = _me(request)
    consumable = selectors.consumable_get(pk=pk, visible_to=user)
    form = LoanForm(request.POST, departments=selectors.departments_of(contract=consumable.contract), prefix="loan")
    if form.is_valid():
        data = form.cleaned_data
        try:
            consumable_services.loan_create(
                by=user, consumable=consumable, quantity=data["quantity"], due_on=data["due_on"],
                department=selectors.department_find(contract=consumable.contract, value=data.get("department")),
                person=_person(form, data.get("person") or ""), person_name=data.get("person_name") or "",
                notes=data.get("reason") or "")
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Lent."))
            return redirect("supplies:consumable_detail", pk=consumable.pk)
    consumable = selectors.consumable_get(pk=pk, visible_to=user)
    return render(request, "supplies/consumable_detail.html", _consumable_context(request, consumable,
                                                                                   loan_form=form), status=422)


@login_required
@staff_only
@page_errors
@require_GET
def loan_list(request: HttpRequest) -> HttpResponse:
    return _list(request, form=LoanFilterForm(request.GET, user=_me(request)), select=selectors.loan_list,
                 template="supplies/loan_list.html")


@login_required
@staff_only
@page_errors
@require_POST
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loan_get(pk=pk, visible_to=_me(request))
    try:
        consumable_services.loan_return(by=_me(request), loan=loan)
    except Conflict as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("Returned."))
    target = str(request.POST.get("next") or "")
    if target.startswith("/supplies/") and "//" not in target:
        return redirect(target)
    return redirect("supplies:loan_list")


@login_required
@staff_only
@page_errors
@require_GET
def usage_report(request: HttpRequest) -> HttpResponse:
    """The consumable usage ranking (耗材使用排行) by department or person for a period."""
    user = _me(request)
    form = UsageForm(request.GET, user=user)
    form.is_valid()
    code = str(request.GET.get("contract") or "")
    contract = selectors.contract_for(code=code, visible_to=user) if code.strip() else None
    first, last = reports.parse_period(request.GET)
    by = str(request.GET.get("by") or "department")
    rows = reports.usage_ranking(visible_to=user, by=by, first=first, last=last, contract=contract)
    return render(request, "supplies/usage_report.html", {
        "form": form, "rows": rows, "by": by, "first": first, "last": last,
        "total_quantity": sum(r.quantity for r in rows), "total_amount": sum(r.amount for r in rows)})


@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a workbook of spare parts and consumables; a dry run first shows every bad row."""
    user = _me(request)
    if request.method == "GET":
        return render(request, "supplies/import_form.html", {"form": ImportForm(user=user)})
    form = ImportForm(request.POST, request.FILES, user=user)
    report = None
    status = 422
    if form.is_valid():
        try:
            contract = selectors.contract_for(code=form.cleaned_data["contract"], visible_to=user)
            report = imports.supplies_import(by=user, contract=contract, upload=form.cleaned_data.get("file"),
                                             dry_run=bool(form.cleaned_data.get("dry_run")))
        except ValidationError as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            status = 200 if report.ok else 422
            if report.written:
                messages.success(request, _("Imported."))
    return render(request, "supplies/import_form.html", {"form": form, "report": report}, status=status)
