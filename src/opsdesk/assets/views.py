"""Asset pages: the register (list with filters, Excel export and import, detail with history and
procedures, new asset), the four procedures (list, new, detail with the action forms, the printable scrap
approval form) and the monthly checks (list, start, record results by keyboard).

The register's pages are the contractor staff's (client people go to the portal); the procedure pages are not
staff-only: the client's approvers open and approve on them. What the viewer may not see is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import access_for, contract_get
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import Conflict, NotFound, ValidationError
from opsdesk.core.http import page_errors, staff_only
from opsdesk.core.spreadsheets import xlsx_response

from . import forms, registry, selectors, services, transfer
from .choices import PROCEDURE_COLOURS, CheckResult, CheckStatus
from .models import AcquisitionRequest, Asset, Procedure, Repair, ScrapRequest, TakeOut
from .workflow import ACQUISITION_REQUESTERS, TAKE_OUT_REQUESTERS, WORKFLOWS

EDITORS = registry.EDITORS


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


@dataclass(frozen=True)
class Kind:
    """One procedure's pages: its model, URL names, titles, creation form and who may open one."""

    key: str
    model: type[Procedure]
    title: Any
    new_title: Any
    form: type[Any]
    roles: frozenset[str]
    overdue: bool = False


KINDS: dict[str, Kind] = {
    "acquisition": Kind("acquisition", AcquisitionRequest, gettext_lazy("Acquisition requests"),
                        gettext_lazy("New acquisition request"), forms.AcquisitionForm, ACQUISITION_REQUESTERS),
    "takeout": Kind("takeout", TakeOut, gettext_lazy("Take-outs"), gettext_lazy("New take-out request"),
                    forms.TakeOutForm, TAKE_OUT_REQUESTERS, overdue=True),
    "repair": Kind("repair", Repair, gettext_lazy("Repairs"), gettext_lazy("Report a repair"), forms.RepairForm,
                   EDITORS, overdue=True),
    "scrap": Kind("scrap", ScrapRequest, gettext_lazy("Scrap requests"), gettext_lazy("New scrap request"),
                  forms.ScrapForm, EDITORS),
}
# What the detail page shows of each procedure, in order.
DETAIL_FIELDS: dict[type, tuple[str, ...]] = {
    AcquisitionRequest: ("item_name", "category", "specification", "reason", "estimated_price", "department",
                         "vendor", "price", "order_date", "asset", "reject_reason"),
    TakeOut: ("asset", "reason", "destination", "expected_return", "taken_out_at", "returned_at", "reject_reason"),
    Repair: ("asset", "fault", "in_warranty", "vendor_reference", "part", "part_price", "shop", "sent_out_on",
             "due_back", "completed_on", "work_done", "replaced_part", "part_warranty_end", "no_second_hand",
             "reject_reason"),
    ScrapRequest: ("asset", "reason", "scrapped_at", "reject_reason"),
}


def _show(record: Any, name: str) -> str:
    value = getattr(record, name)
    if value is None or value == "":
        return ""
    field = record._meta.get_field(name)
    if getattr(field, "choices", None):
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, User):
        return value.display_name
    return str(value)


def field_rows(record: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = [(str(record._meta.get_field(n).verbose_name), _show(record, n)) for n in names]
    return [(label, value) for label, value in rows if value]


def _may_edit_any(user: User) -> bool:
    access = access_for(user)
    return any(access.roles_on(cid) & EDITORS for cid in access.staff_contract_ids)


# --- assets -------------------------------------------------------------------------------------------------------

@login_required
@staff_only
@page_errors
@require_GET
def asset_list(request: HttpRequest) -> HttpResponse:
    """The register: filters contract, category, status, department, q; keyset pages; export of the filter."""
    user = _me(request)
    form = forms.AssetFilterForm(request.GET, user=user, roles=EDITORS)
    status, page = 400, None
    try:
        filters = selectors.AssetFilters.parse(request.GET)
        page = selectors.asset_list(visible_to=user, filters=filters, limit=settings.OPSDESK_PAGE_SIZE,
                                    cursor=request.GET.get("cursor") or None)
        status = 200
    except ValidationError as exc:
        form.is_valid()
        form.apply_service_errors(exc)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "assets/asset_list.html", {
        "form": form, "page": page, "can_edit": _may_edit_any(user), "register_staff": True,
        "export_url": f"{reverse('assets:asset_export')}?{query.urlencode()}"}, status=status)


@login_required
@staff_only
@page_errors
@require_GET
def asset_export(request: HttpRequest) -> HttpResponse:
    filters = selectors.AssetFilters.parse(request.GET)
    content = transfer.export_workbook(selectors.asset_queryset(visible_to=_me(request), filters=filters))
    return xlsx_response(content, _("assets.xlsx"))


@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def asset_import(request: HttpRequest) -> HttpResponse:
    """Upload a workbook; a dry run (the default) shows every row's errors before anything is written."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            report = transfer.import_assets(by=_me(request), upload=form.cleaned_data.get("file"),
                                            dry_run=bool(form.cleaned_data.get("dry_run")))
        except ValidationError as exc:
            form.apply_service_errors(exc)
            status = 422
        else:
            status = 200 if report.ok else 422
            if report.written:
                messages.success(request, _("The workbook was imported."))
    return render(request, "assets/asset_import.html", {"form": form, "report": report}, status=status)


@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    if request.method == "GET":
        return render(request, "assets/asset_form.html",
                      {"form": forms.AssetForm(user=user, roles=EDITORS)})
    form = forms.AssetForm(request.POST, user=user, roles=EDITORS)
    if form.is_valid():
        data = form.cleaned_data
        try:
            contract = _contract(data.get("contract") or "", user)
            asset = services.asset_create(
                by=user, contract=contract, asset_tag=data.get("asset_tag") or "", name=data.get("name") or "",
                category=data.get("category") or "", status=data.get("status") or "",
                model=data.get("model") or "", serial_number=data.get("serial_number") or "",
                department=_department(contract, data.get("department") or ""),
                custodian=_custodian(data.get("custodian") or ""), importance=data.get("importance") or 3,
                location=data.get("location") or "", vendor=data.get("vendor") or "",
                purchase_date=data.get("purchase_date") or None, price=data.get("price") or None,
                warranty_end=data.get("warranty_end") or None)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Asset %(tag)s added.") % {"tag": asset.asset_tag})
            return redirect(asset.get_absolute_url())
    return render(request, "assets/asset_form.html", {"form": form}, status=422)


def _contract(code: str, user: User) -> Contract:
    try:
        return contract_get(code=code.strip(), visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None


def _department(contract: Contract, value: str) -> Department | None:
    if not value:
        return None
    found = Department.objects.filter(pk=int(value) if value.isdigit() else 0,
                                      organisation_id=contract.organisation_id).first()
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


@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, pk: str) -> HttpResponse:
    """Change an asset's fields (the register's keepers); a stale version is refused with the current values."""
    user = _me(request)
    asset: Asset = selectors.asset_get(pk=pk, visible_to=user)
    departments = registry.departments_of(asset.contract)
    if request.method == "GET":
        initial = {name: getattr(asset, name) for name in ("name", "category", "model", "serial_number",
                                                           "importance", "location", "vendor", "purchase_date",
                                                           "price", "warranty_end", "status", "version")}
        initial.update(department=str(asset.department_id or ""),
                       custodian=asset.custodian.username if asset.custodian else "")
        form = forms.AssetEditForm(initial=initial, departments=departments)
        return render(request, "assets/asset_edit.html", {"asset": asset, "form": form})
    form = forms.AssetEditForm(request.POST, departments=departments)
    status = 422
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            data["department"] = _department(asset.contract, data.get("department") or "")
            data["custodian"] = _custodian(data.get("custodian") or "")
            for name in ("purchase_date", "price", "warranty_end"):
                data[name] = data.get(name) or None
            services.asset_update(by=user, asset=asset, data=data, version=version)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except Conflict as exc:
            messages.warning(request, exc.message)
            status = 409
        else:
            messages.success(request, _("Asset %(tag)s saved.") % {"tag": asset.asset_tag})
            return redirect(asset.get_absolute_url())
    return render(request, "assets/asset_edit.html", {"asset": asset, "form": form}, status=status)


@login_required
@staff_only
@page_errors
@require_GET
def asset_detail(request: HttpRequest, pk: str) -> HttpResponse:
    asset: Asset = selectors.asset_get(pk=pk, visible_to=_me(request))
    names = ("category", "model", "serial_number", "department", "custodian", "importance", "location", "vendor",
             "purchase_date", "price", "warranty_end", "configuration_item")
    labels = {f.name: str(getattr(f, "verbose_name", f.name)) for f in Asset._meta.get_fields()}
    history = [{"entry": entry, "changes": [(labels.get(name, name), change[0], change[1])
                                            for name, change in (entry.data or {}).get("changes", {}).items()]}
               for entry in selectors.asset_history(asset=asset)]
    return render(request, "assets/asset_detail.html", {
        "asset": asset, "rows": field_rows(asset, names), "history": history,
        "procedures": selectors.asset_procedures(asset=asset),
        "can_edit": bool(access_for(_me(request)).roles_on(asset.contract_id) & EDITORS)})


# --- procedures ---------------------------------------------------------------------------------------------------

def _kind(key: str) -> Kind:
    return KINDS[key]


@login_required
@page_errors
@require_GET
def procedure_list(request: HttpRequest, kind: str) -> HttpResponse:
    k = _kind(kind)
    user = _me(request)
    states = list(k.model._meta.get_field("status").choices or [])  # type: ignore[misc]
    form = forms.ProcedureFilterForm(request.GET, user=user, states=states, overdue=k.overdue)
    status, page = 400, None
    try:
        filters = selectors.ProcedureFilters.parse(k.model, request.GET)
        page = selectors.procedure_list(k.model, visible_to=user, filters=filters,
                                        limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
        status = 200
    except ValidationError as exc:
        form.is_valid()
        form.apply_service_errors(exc)
    can_create = any(roles & k.roles for roles in access_for(user).roles_by_contract.values())
    return render(request, "assets/procedure_list.html", {
        "kind": k, "form": form, "page": page, "can_create": can_create,
        "register_staff": access_for(user).is_staff_member}, status=status)


def _create(k: Kind, user: User, data: dict[str, Any]) -> Procedure:
    contract = _contract(data.get("contract") or "", user)
    if k.model is AcquisitionRequest:
        return services.acquisition_create(
            by=user, contract=contract, item_name=data.get("item_name") or "", reason=data.get("reason") or "",
            category=data.get("category") or "", specification=data.get("specification") or "",
            estimated_price=data.get("estimated_price") or None,
            department=_department(contract, data.get("department") or ""))
    asset = selectors.asset_by_tag(contract_id=contract.pk, tag=data.get("asset_tag") or "")
    if asset is None:
        raise ValidationError(fields={"asset_tag": _("There is no asset “%(tag)s” on this contract.") % {
            "tag": (data.get("asset_tag") or "")[:64]}})
    if k.model is TakeOut:
        return services.take_out_create(by=user, asset=asset, reason=data.get("reason") or "",
                                        destination=data.get("destination") or "",
                                        expected_return=data.get("expected_return") or None)
    if k.model is Repair:
        return services.repair_create(by=user, asset=asset, fault=data.get("fault") or "")
    return services.scrap_create(by=user, asset=asset, reason=data.get("reason") or "")


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """`?asset=<id>` (the buttons of an asset's page): its contract and tag."""
    raw = request.GET.get("asset") or ""
    if not raw:
        return {}
    try:
        asset = selectors.asset_get(pk=raw, visible_to=_me(request))
    except NotFound:
        return {}
    return {"contract": asset.contract.code, "asset_tag": asset.asset_tag}


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def procedure_create(request: HttpRequest, kind: str) -> HttpResponse:
    k = _kind(kind)
    user = _me(request)
    if request.method == "GET":
        form = k.form(initial=_prefill(request), user=user, roles=k.roles)
        return render(request, "assets/procedure_form.html", {"kind": k, "form": form})
    form = k.form(request.POST, user=user, roles=k.roles)
    if form.is_valid():
        try:
            record = _create(k, user, form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("%(number)s opened.") % {"number": record.number})
            return redirect(record.get_absolute_url())
    return render(request, "assets/procedure_form.html", {"kind": k, "form": form}, status=422)


def _detail_context(request: HttpRequest, k: Kind, record: Procedure,
                    action_errors: tuple[str, Any] | None = None) -> dict[str, Any]:
    user = _me(request)
    wf = WORKFLOWS[k.model]
    asset = getattr(record, "asset", None)
    return {"kind": k, "record": record, "workflow": wf, "actions": action_forms(wf, record, user, action_errors),
            "rows": field_rows(record, DETAIL_FIELDS[k.model]), "timeline": selectors.procedure_timeline(record=record),
            "status_colours": PROCEDURE_COLOURS, "timeline_labels": {"asset": gettext_lazy("Asset")},
            "quotes": list(record.quotes.all()) if isinstance(record, Repair) else [],
            "asset_link": asset is not None and selectors.is_register_staff(user, record.contract_id),
            "register_staff": access_for(user).is_staff_member}


@login_required
@page_errors
@require_GET
def procedure_detail(request: HttpRequest, kind: str, number: str) -> HttpResponse:
    k = _kind(kind)
    record = selectors.procedure_get(k.model, number=number, visible_to=_me(request))
    return render(request, "assets/procedure_detail.html", _detail_context(request, k, record))


@login_required
@page_errors
@require_POST
def procedure_action(request: HttpRequest, kind: str, number: str, action: str) -> HttpResponse:
    k = _kind(kind)

    def get() -> Procedure:
        return selectors.procedure_get(k.model, number=number, visible_to=_me(request))

    def render_detail(record: Procedure, *, action_errors: tuple[str, Any] | None = None,
                      status: int = 200) -> HttpResponse:
        return render(request, "assets/procedure_detail.html", _detail_context(request, k, record, action_errors),
                      status=status)

    record = get()
    wf = WORKFLOWS[k.model]
    if action not in {a.name for a in wf.actions if not a.automatic}:
        raise NotFound(_("There is no action “%(action)s”.") % {"action": action}, code="unknown_action")
    return take_action(request, workflow=wf, record=record, action=action,
                       act=lambda rec, **kw: services.procedure_act(record=rec, **kw),
                       render_detail=render_detail, reload=get)


@login_required
@page_errors
@require_GET
def scrap_print(request: HttpRequest, number: str) -> HttpResponse:
    """The printable scrap approval form (报废审批表)."""
    record = selectors.procedure_get(ScrapRequest, number=number, visible_to=_me(request))
    approvals = [a for a in selectors.procedure_timeline(record=record) if a.action in ("approve", "reject")]
    return render(request, "assets/scrap_print.html", {"record": record, "approvals": approvals,
                                                       "workflow": WORKFLOWS[ScrapRequest],
                                                       "printed_at": timezone.localtime()})


# --- monthly checks -----------------------------------------------------------------------------------------------

@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def check_list(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = forms.CheckCreateForm(request.POST or None, user=user, roles=EDITORS,
                                 initial={"month": timezone.localdate().strftime("%Y-%m")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = services.check_create(by=user, contract=_contract(form.cleaned_data.get("contract") or "", user),
                                          month=form.cleaned_data.get("month") or "")
        except ValidationError as exc:
            form.apply_service_errors(exc)
            status = 422
        else:
            messages.success(request, _("The check of %(month)s was started.") % {"month": check.month_label})
            return redirect(check.get_absolute_url())
    elif request.method == "POST":
        status = 422
    page = selectors.check_list(visible_to=user, contract=request.GET.get("contract") or "",
                                limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
    counts = selectors.check_line_counts([c.pk for c in page.items])
    return render(request, "assets/check_list.html", {
        "form": form, "page": page, "counts": counts, "can_edit": _may_edit_any(user), "register_staff": True},
        status=status)


def _results(post: QueryDict, line_ids: list[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for pk in line_ids:
        result = (post.get(f"result_{pk}") or "").strip()
        note = post.get(f"note_{pk}")
        if result or note is not None:
            out[pk] = (result, note or "")
    return out


@login_required
@staff_only
@page_errors
@require_http_methods(["GET", "POST"])
def check_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The check list: a result (type 1-4 in a focused select) and a note per asset; one save for all."""
    user = _me(request)
    check = selectors.check_get(pk=pk, visible_to=user)
    lines = selectors.check_lines(check=check)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.check_record(by=user, check=check, results=_results(request.POST, [x.pk for x in lines]))
        except ValidationError as exc:
            errors, status = exc.fields, 422
            messages.error(request, _("Some lines need attention: see the messages in the table."))
        else:
            messages.success(request, _("Results saved."))
            return redirect(check.get_absolute_url())
    posted = request.POST if request.method == "POST" else None
    rows = [{"line": line, "result": posted.get(f"result_{line.pk}", line.result) if posted else line.result,
             "note": posted.get(f"note_{line.pk}", line.note) if posted else line.note,
             "error": errors.get(f"line_{line.pk}") or errors.get(f"note_{line.pk}")} for line in lines]
    done = sum(1 for line in lines if line.result)
    return render(request, "assets/check_detail.html", {
        "check": check, "rows": rows, "choices": forms.result_choices(), "done": done, "total": len(lines),
        "first_open": next((line.pk for line in lines if not line.result), None),
        "editable": check.status == CheckStatus.OPEN
        and bool(access_for(user).roles_on(check.contract_id) & EDITORS),
        "result_labels": dict(CheckResult.choices)}, status=status)
