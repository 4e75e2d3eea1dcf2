"""CMDB pages for the contractor's staff: the item list (filters, export, import), an item's page (attributes,
relationships with the neighbourhood drawn as a graph, impact analysis, its tickets, history), the item form,
and the Excel import with a dry run. Reads through selectors, writes through services; an item of a contract
one does not work is a 404 (`core.http.page_errors`)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.choices import STAFF_ROLES
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import contract_list, staff_on_contract
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError
from opsdesk.core.http import is_htmx, page_errors, staff_only
from opsdesk.core.spreadsheets import Column, workbook_bytes, xlsx_response
from opsdesk.incidents.choices import STATUS_COLOURS as INCIDENT_COLOURS
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

from . import audits, imports, selectors, services
from .api import export_response
from .choices import Importance, ItemStatus, RelationKind
from .forms import AuditForm, ImportForm, ItemFilterForm, ItemForm, RelationForm, TypeForm
from .models import AuditFinding, CIType, ConfigurationItem

STATUS_COLOURS = {ItemStatus.PLANNED: "azure", ItemStatus.ACTIVE: "green", ItemStatus.MAINTENANCE: "orange",
                  ItemStatus.RETIRED: "secondary"}
IMPORTANCE_COLOURS = {Importance.CRITICAL: "red", Importance.HIGH: "orange", Importance.MEDIUM: "yellow",
                      Importance.LOW: "azure"}


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _contracts(user: User, *, editable: bool = False) -> list[Contract]:
    """The contracts whose items `user` reads (as staff), or edits."""
    return list(contract_list(visible_to=user, role_in=services.EDITORS if editable else STAFF_ROLES))


def _can_edit(user: User, item: ConfigurationItem) -> bool:
    return services.may_edit_items(user, item.contract_id)


@login_required
@page_errors
@staff_only
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    """Configuration items of the viewer's contracts, newest first, with filters, export and import."""
    user = _me(request)
    form = ItemFilterForm(request.GET, contracts=_contracts(user), types=selectors.type_list())
    page = None
    status = 400
    if form.is_valid():
        try:
            page = selectors.item_list(visible_to=user, params=request.GET, limit=settings.OPSDESK_PAGE_SIZE,
                                       cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    context = {"form": form, "page": page, "status_colours": STATUS_COLOURS,
               "importance_colours": IMPORTANCE_COLOURS, "can_edit": bool(_contracts(user, editable=True)),
               "export_query": request.GET.urlencode()}
    if is_htmx(request) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        return render(request, "cmdb/_item_results.html", context, status=status)
    return render(request, "cmdb/item_list.html", context, status=status)


@login_required
@page_errors
@staff_only
@require_GET
def item_export(request: HttpRequest) -> HttpResponse:
    """The list's filtered items and their relationships as an Excel workbook (imports back)."""
    params = {k: request.GET.get(k, "") for k in ("contract", "type", "status", "q")}
    return export_response(_me(request), params)


def _item(request: HttpRequest, pk: int) -> ConfigurationItem:
    return selectors.item_get(pk=pk, visible_to=_me(request))


def _impact_depth(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("depth") or 3), 1), selectors.MAX_DEPTH)
    except ValueError:
        return 3


def _impact_context(item: ConfigurationItem, depth: int, direction: str) -> dict[str, Any]:
    levels = selectors.impact(item=item, depth=depth, direction=direction)
    return {"item": item, "levels": levels, "depth": depth, "direction": direction,
            "business_systems": selectors.business_systems_affected(levels),
            "depths": range(1, 6), "importance_colours": IMPORTANCE_COLOURS}


def detail_context(request: HttpRequest, item: ConfigurationItem, *,
                   relation_form: RelationForm | None = None) -> dict[str, Any]:
    user = _me(request)
    open_incidents, past_incidents = selectors.item_incidents(item=item, visible_to=user)
    problems = selectors.item_problems(item=item, visible_to=user)
    labels = {spec["name"]: spec.get("label") or spec["name"] for spec in item.ci_type.attributes}
    return {
        "item": item,
        "attributes": [(labels.get(name, name), value) for name, value in item.attributes.items()],
        "relationships": selectors.item_relationships(item=item),
        "history": selectors.item_history(item=item),
        "open_incidents": open_incidents,
        "past_incidents": past_incidents,
        "problems": problems,
        "incident_colours": INCIDENT_COLOURS,
        "incident_workflow": INCIDENT_WORKFLOW,
        "status_colours": STATUS_COLOURS,
        "importance_colours": IMPORTANCE_COLOURS,
        "can_edit": _can_edit(user, item),
        "relation_form": relation_form or RelationForm(),
        "attribute_labels": labels,
        **_impact_context(item, 3, "downstream"),
    }


@login_required
@page_errors
@staff_only
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item: attributes, relationships and their graph, impact analysis, tickets and history."""
    return render(request, "cmdb/item_detail.html", detail_context(request, _item(request, pk)))


@login_required
@page_errors
@staff_only
@require_GET
def item_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """The impact list (htmx fragment): `depth` 1-10, `direction` downstream or upstream."""
    item = _item(request, pk)
    direction = "upstream" if request.GET.get("direction") == "upstream" else "downstream"
    return render(request, "cmdb/_impact.html", _impact_context(item, _impact_depth(request), direction))


@login_required
@page_errors
@staff_only
@require_GET
def item_graph(request: HttpRequest, pk: int) -> JsonResponse:
    """The item's neighbourhood (two relationships out, either way) as nodes and edges for the drawn graph."""
    item = _item(request, pk)
    graph = selectors.neighbourhood(item=item, depth=2)
    kinds = dict(RelationKind.choices)
    return JsonResponse({
        "root": item.pk,
        "truncated": graph.truncated,
        "nodes": [{"id": n.pk, "key": n.key, "name": n.name, "type": n.ci_type.name, "type_code": n.ci_type.code,
                   "importance": n.importance, "url": reverse("cmdb:item_detail", args=[n.pk])}
                  for n in graph.nodes],
        "edges": [{"source": e.source_id, "target": e.target_id, "kind": e.kind, "label": str(kinds[e.kind])}
                  for e in graph.edges],
    })


def _form(request: HttpRequest, *, item: ConfigurationItem | None, data: Any = None) -> ItemForm:
    user = _me(request)
    contracts = _contracts(user, editable=True)
    if item is not None:
        ci_type: CIType | None = item.ci_type
        contract_id: int | None = item.contract_id
        initial: dict[str, Any] = {
            "contract": item.contract.code, "type": item.ci_type.code, "key": item.key, "name": item.name,
            "status": item.status, "importance": item.importance, "location": item.location,
            "owner": item.owner.username if item.owner else "", "version": item.version,
            **{f"attr_{k}": v for k, v in item.attributes.items()}}
    else:
        source = data if data is not None else request.GET
        ci_type = selectors.type_get(code=str(source.get("type") or ""))
        chosen = next((c for c in contracts if c.code == source.get("contract")), contracts[0] if contracts else None)
        contract_id = chosen.pk if chosen else None
        initial = {"type": ci_type.code if ci_type else "", "contract": chosen.code if chosen else ""}
    owners = list(staff_on_contract(contract_id=contract_id, roles=STAFF_ROLES)) if contract_id else []
    return ItemForm(data, initial=initial, contracts=contracts, types=selectors.type_list(), ci_type=ci_type,
                    owners=owners, editing=item is not None)


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest) -> HttpResponse:
    """A new item; choosing the type (?type=) lays out its attribute fields."""
    if request.method == "GET":
        return render(request, "cmdb/item_form.html", {"form": _form(request, item=None)})
    form = _form(request, item=None, data=request.POST)
    if form.is_valid() and form.ci_type is not None:
        contract = next((c for c in _contracts(_me(request), editable=True)
                         if c.code == form.cleaned_data["contract"]), None)
        try:
            if contract is None:
                raise ValidationError(fields={"contract": _("Unknown contract.")})
            item = services.item_create(by=_me(request), contract=contract, ci_type=form.ci_type,
                                        key=form.cleaned_data["key"], name=form.cleaned_data["name"],
                                        status=form.cleaned_data["status"],
                                        importance=form.cleaned_data["importance"], owner=form.chosen_owner(),
                                        location=form.cleaned_data["location"], attributes=form.attribute_values())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Configuration item %(key)s recorded.") % {"key": item.key})
            return redirect("cmdb:item_detail", pk=item.pk)
    elif form.ci_type is None:
        form.add_error("type", _("Choose the item's type."))
    return render(request, "cmdb/item_form.html", {"form": form}, status=422)


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an item's fields and attributes (a stale page gets a clear message, nothing changes)."""
    item = _item(request, pk)
    if request.method == "GET":
        return render(request, "cmdb/item_form.html", {"form": _form(request, item=item), "item": item})
    form = _form(request, item=item, data=request.POST)
    status = 422
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "status", "importance", "location")}
        data["owner"] = form.chosen_owner()
        data["attributes"] = form.attribute_values()
        try:
            services.item_update(by=_me(request), item=item, data=data, version=form.cleaned_data.get("version"))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Configuration item %(key)s saved.") % {"key": item.key})
            return redirect("cmdb:item_detail", pk=item.pk)
    return render(request, "cmdb/item_form.html", {"form": form, "item": item}, status=status)


@login_required
@page_errors
@staff_only
@require_POST
def relation_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Relate the item to another by the other's key."""
    item = _item(request, pk)
    form = RelationForm(request.POST)
    if form.is_valid():
        try:
            other = selectors.item_by_key(contract_id=item.contract_id, key=form.cleaned_data["other"],
                                          visible_to=_me(request))
            source, target = (item, other) if form.cleaned_data["direction"] == "out" else (other, item)
            services.relationship_create(by=_me(request), source=source, target=target,
                                         kind=form.cleaned_data["kind"])
        except NotFound as exc:
            form.add_error("other", exc.message)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Relationship recorded."))
            return redirect(reverse("cmdb:item_detail", args=[item.pk]) + "#relationships")
    return render(request, "cmdb/item_detail.html", detail_context(request, item, relation_form=form), status=422)


@login_required
@page_errors
@staff_only
@require_POST
def relation_remove(request: HttpRequest, pk: int, relation_id: int) -> HttpResponse:
    """Remove one of the item's relationships."""
    item = _item(request, pk)
    relation = selectors.relationship_get(pk=relation_id, item=item, visible_to=_me(request))
    services.relationship_delete(by=_me(request), relation=relation)
    messages.success(request, _("Relationship removed."))
    return redirect(reverse("cmdb:item_detail", args=[item.pk]) + "#relationships")


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def item_import(request: HttpRequest) -> HttpResponse:
    """Upload a workbook: a dry run lists every bad row; a real run writes all or nothing."""
    if request.method == "GET":
        return render(request, "cmdb/item_import.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    report = None
    status = 422
    if form.is_valid():
        try:
            report = imports.cmdb_import(by=_me(request), upload=form.cleaned_data["file"],
                                         dry_run=bool(form.cleaned_data.get("dry_run")))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            status = 200 if report.ok else 422
            if report.written:
                messages.success(request, _("The workbook was imported."))
    return render(request, "cmdb/item_import.html", {"form": form, "report": report}, status=status)


def _ticket(request: HttpRequest, kind: str, number: str) -> Any:
    """The incident or problem `number` (kind `incidents` or `problems`) the viewer may see, or a 404."""
    return selectors.ticket_get(kind=kind, number=number, visible_to=_me(request))


@login_required
@page_errors
@staff_only
@require_POST
def ticket_item_link(request: HttpRequest, kind: str, number: str) -> HttpResponse:
    """Link a configuration item (by its key on the ticket's contract) to an incident or a problem."""
    ticket = _ticket(request, kind, number)
    key = str(request.POST.get("item") or "").replace("\x00", "").strip()[:100]
    try:
        if not key:
            raise ValidationError(fields={"item": _("Enter the key of a configuration item.")})
        item = selectors.item_by_key(contract_id=ticket.contract_id, key=key, visible_to=_me(request))
        services.affected_item_link(by=_me(request), ticket=ticket, item=item)
    except (NotFound, ValidationError) as exc:
        messages.error(request, exc.fields.get("item", exc.message) if isinstance(exc, ValidationError)
                       else exc.message)
    else:
        messages.success(request, _("%(key)s linked.") % {"key": item.key})
    return redirect(ticket.get_absolute_url() + "#ticket-items")


@login_required
@page_errors
@staff_only
@require_POST
def ticket_item_unlink(request: HttpRequest, kind: str, number: str, pk: int) -> HttpResponse:
    """Remove an item from a ticket's affected items."""
    ticket = _ticket(request, kind, number)
    item = _item(request, pk)
    services.affected_item_unlink(by=_me(request), ticket=ticket, item=item)
    messages.success(request, _("%(key)s unlinked.") % {"key": item.key})
    return redirect(ticket.get_absolute_url() + "#ticket-items")


# --- audits and the status report -------------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def audit_list(request: HttpRequest) -> HttpResponse:
    """Past audits of the viewer's contracts, and the form to run one against an inventory."""
    user = _me(request)
    contracts = _contracts(user, editable=True)
    form = AuditForm(request.POST or None, request.FILES or None, contracts=contracts)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            contract = next(c for c in contracts if c.code == form.cleaned_data["contract"])
            try:
                audit = audits.configuration_audit_run(by=user, contract=contract, upload=form.cleaned_data["file"],
                                                       note=form.cleaned_data.get("note") or "")
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Audit done."))
                return redirect("cmdb:audit_detail", pk=audit.pk)
    return render(request, "cmdb/audit_list.html",
                  {"form": form, "audits": audits.audit_list(visible_to=user), "can_run": bool(contracts)},
                  status=status)


@login_required
@page_errors
@staff_only
@require_GET
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An audit's counts and findings (filter by kind); `?format=xlsx` downloads them."""
    audit = audits.audit_get(pk=pk, visible_to=_me(request))
    kind = request.GET.get("kind") or ""
    findings = audits.audit_findings(audit=audit, kind=kind)
    if request.GET.get("format") == "xlsx":
        columns = (Column("kind", _("Finding")), Column("key", _("Key")), Column("name", _("Name")),
                   Column("row", _("Inventory row")), Column("differences", _("Differences"), width=60))
        kinds = dict(AuditFinding.Kind.choices)
        rows = ([str(kinds[f.kind]), f.key, f.name, f.row,
                 "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in f.differences.items())]
                for f in findings.iterator(chunk_size=2000))
        return xlsx_response(workbook_bytes([(_("Audit findings"), columns, rows)]),
                             _("configuration-audit-%(id)s.xlsx") % {"id": audit.pk})
    return render(request, "cmdb/audit_detail.html",
                  {"audit": audit, "findings": list(findings[:1000]), "kind": kind,
                   "kinds": AuditFinding.Kind.choices})


@login_required
@page_errors
@staff_only
@require_GET
def status_report(request: HttpRequest) -> HttpResponse:
    """The configuration status report of one contract (配置状态报告); `?format=xlsx` downloads it."""
    user = _me(request)
    contracts = _contracts(user)
    code = request.GET.get("contract") or (contracts[0].code if contracts else "")
    report = audits.status_report(contract_code=code, visible_to=user) if code else None
    if report is not None and request.GET.get("format") == "xlsx":
        columns = (Column("type", _("Type")), *(Column(v, label, width=10) for v, label in report.statuses),
                   Column("total", _("Total"), width=10))
        rows = ([line["type"], *(line[v] for v, _label in report.statuses), line["total"]]
                for line in report.by_type)
        return xlsx_response(workbook_bytes([(_("Status report"), columns, rows)]),
                             _("configuration-status-%(contract)s.xlsx") % {"contract": report.contract.code})
    return render(request, "cmdb/status_report.html",
                  {"report": report, "contracts": contracts, "contract": code})


# --- item types -----------------------------------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def type_list(request: HttpRequest) -> HttpResponse:
    """The item types and their attributes; system administrators and project managers add types here."""
    user = _me(request)
    can_define = services.may_define_types(user)
    form = TypeForm(request.POST or None) if can_define else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only system administrators and project managers define item types."))
        status = 422
        if form.is_valid():
            try:
                ci_type = services.ci_type_create(by=user, code=form.cleaned_data["code"],
                                                  name=form.cleaned_data["name"],
                                                  description=form.cleaned_data["description"],
                                                  attributes=form.definitions())
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Type %(name)s defined.") % {"name": ci_type.name})
                return redirect("cmdb:type_list")
    types = list(CIType.objects.order_by("-is_active", "code"))
    return render(request, "cmdb/type_list.html", {"types": types, "form": form, "can_define": can_define},
                  status=status)


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Rename a type, add or relabel attributes, add options, retire it (items stay valid)."""
    user = _me(request)
    if not services.may_define_types(user):
        raise PermissionDenied(_("Only system administrators and project managers define item types."))
    ci_type = selectors.type_get(code=code)
    if ci_type is None:
        raise NotFound(_("Unknown type “%(value)s”.") % {"value": code[:50]})
    initial = {"code": ci_type.code, "name": ci_type.name, "description": ci_type.description,
               "attributes": TypeForm.lines_of(ci_type.attributes), "is_active": ci_type.is_active}
    form = TypeForm(request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.ci_type_update(by=user, ci_type=ci_type, name=form.cleaned_data["name"],
                                        description=form.cleaned_data["description"],
                                        attributes=form.definitions(), is_active=form.cleaned_data["is_active"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Type %(name)s saved.") % {"name": ci_type.name})
                return redirect("cmdb:type_list")
    return render(request, "cmdb/type_form.html", {"form": form, "ci_type": ci_type}, status=status)
