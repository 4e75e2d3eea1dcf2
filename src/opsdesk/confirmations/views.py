"""Confirmation and transfer-out report pages.

Items are the contractor's work (staff pages); the reports are also read and decided by the client's
application owner and application division, so the report pages (and an item reached from one) are open to
whoever may see them (404 otherwise), not staff-only.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_get, contract_list
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import Conflict, NotFound, ValidationError
from opsdesk.core.http import page_errors, staff_only
from opsdesk.core.workflow import describe_actions
from opsdesk.incidents.selectors import incident_get
from opsdesk.problems.selectors import problem_get, problem_incidents

from . import selectors, services
from .choices import REPORT_COLOURS, STATUS_COLOURS, ConfirmationKind, ConfirmationStatus, ReportStatus
from .forms import AnswerForm, ConfirmationForm, MonthlyReportForm
from .models import Confirmation, TransferReport
from .workflow import CONFIRMATION_WORKFLOW, HANDLERS, REPORT_WORKFLOW


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@page_errors
@staff_only
@require_GET
def confirmation_list(request: HttpRequest) -> HttpResponse:
    page, error, filters = None, "", {}
    try:
        filters = selectors.parse_filters(request.GET)
        page = selectors.confirmation_list(visible_to=_me(request), filters=filters,
                                           limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
    except ValidationError as exc:
        error = "; ".join(exc.fields.values())
    return render(request, "confirmations/confirmation_list.html", {
        "page": page, "filters": filters, "error": error, "kinds": ConfirmationKind.choices,
        "statuses": ConfirmationStatus.choices, "contracts": contract_list(visible_to=_me(request)),
        "monthly_form": MonthlyReportForm(contracts=selectors.reviewer_contracts(_me(request))),
        "can_compile": bool(selectors.reviewer_contracts(_me(request)))}, status=400 if error else 200)


def _prefill(request: HttpRequest) -> dict[str, Any]:
    number = (request.GET.get("problem") or "").replace("\x00", "").strip()[:40]
    if not number:
        return {}
    try:
        problem = problem_get(number=number, visible_to=_me(request))
    except NotFound:
        messages.warning(request, _("There is no problem %(number)s.") % {"number": number})
        return {}
    linked = [i for i in problem_incidents(problem=problem) if getattr(i, "problem_link_active", False)]
    return {"problem": problem.number, "contract": problem.contract.code, "title": problem.title,
            "description": "\n\n".join(t for t in (problem.description, problem.root_cause) if t),
            "affected_system": problem.affected_system, "incident": linked[0].number if linked else ""}


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def confirmation_create(request: HttpRequest) -> HttpResponse:
    contracts = list(contract_list(visible_to=_me(request), role_in=HANDLERS))
    if request.method == "GET":
        form = ConfirmationForm(initial=_prefill(request), contracts=contracts)
        return render(request, "confirmations/confirmation_form.html", {"form": form})
    form = ConfirmationForm(request.POST, contracts=contracts)
    if form.is_valid():
        try:
            item = _create(request, form)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("%(number)s submitted for confirmation.") % {"number": item.number})
            return redirect(item.get_absolute_url())
    return render(request, "confirmations/confirmation_form.html", {"form": form}, status=422)


def _create(request: HttpRequest, form: ConfirmationForm) -> Confirmation:
    data = form.cleaned_data
    errors: dict[str, str] = {}
    problem = incident = contract = None
    if data.get("problem"):
        try:
            problem = problem_get(number=data["problem"], visible_to=_me(request))
        except NotFound:
            errors["problem"] = _("There is no problem %(number)s.") % {"number": data["problem"][:40]}
    if data.get("incident"):
        try:
            incident = incident_get(number=data["incident"], visible_to=_me(request))
        except NotFound:
            errors["incident"] = _("There is no incident %(number)s.") % {"number": data["incident"][:40]}
    if data.get("contract"):
        try:
            contract = contract_get(code=data["contract"], visible_to=_me(request))
        except NotFound:
            errors["contract"] = _("Unknown contract.")
    if errors:
        raise ValidationError(fields=errors)
    return services.confirmation_create(by=_me(request), kind=data["kind"], contract=contract, title=data["title"],
                                        description=data.get("description", ""),
                                        affected_system=data.get("affected_system", ""), problem=problem,
                                        incident=incident)


def _item_detail(request: HttpRequest, item: Confirmation, *, action_errors: tuple[str, Any] | None = None,
                 status: int = 200) -> HttpResponse:
    user = _me(request)
    return render(request, "confirmations/confirmation_detail.html", {
        "item": item, "actions": action_forms(CONFIRMATION_WORKFLOW, item, user, action_errors),
        "timeline": selectors.timeline(item), "workflow": CONFIRMATION_WORKFLOW, "status_colours": STATUS_COLOURS,
        "timeline_labels": {}, "is_staff": selectors.is_confirmation_staff(user, item.contract_id)}, status=status)


@login_required
@page_errors
@require_GET
def confirmation_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _item_detail(request, selectors.confirmation_get(number=number, visible_to=_me(request)))


@login_required
@page_errors
@require_POST
def confirmation_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    def get() -> Confirmation:
        return selectors.confirmation_get(number=number, visible_to=_me(request))

    return take_action(request, workflow=CONFIRMATION_WORKFLOW, record=get(), action=action,
                       act=lambda record, **kw: services.confirmation_act(item=record, **kw),
                       render_detail=lambda record, **kw: _item_detail(request, record, **kw), reload=get)


# --- reports -------------------------------------------------------------------------------------------------

@login_required
@page_errors
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    page, error = None, ""
    try:
        page = selectors.report_list(visible_to=_me(request), filters=request.GET, limit=settings.OPSDESK_PAGE_SIZE,
                                     cursor=request.GET.get("cursor") or None)
    except ValidationError as exc:
        error = "; ".join(exc.fields.values())
    return render(request, "confirmations/report_list.html", {
        "page": page, "error": error, "statuses": ReportStatus.choices, "status": request.GET.get("status", ""),
        "report_workflow": REPORT_WORKFLOW, "report_colours": REPORT_COLOURS}, status=400 if error else 200)


@login_required
@page_errors
@staff_only
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    """Compile (or bring up to date) a contract's monthly report; the reviewer lands on it."""
    contracts = selectors.reviewer_contracts(_me(request))
    form = MonthlyReportForm(request.POST, contracts=contracts)
    if form.is_valid():
        try:
            contract = contract_get(code=form.cleaned_data["contract"], visible_to=_me(request))
            report, added = services.transfer_report_generate_monthly(contract=contract,
                                                                     month=form.cleaned_data["month"], by=_me(request))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("%(number)s: %(n)d item(s) added.") % {"number": report.number, "n": added})
            return redirect(report.get_absolute_url())
    messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("confirmations:confirmation_list")


def _report_detail(request: HttpRequest, report: TransferReport, *, action_errors: tuple[str, Any] | None = None,
                   status: int = 200, answer_errors: tuple[str, AnswerForm] | None = None) -> HttpResponse:
    user = _me(request)
    rows = []
    for item in selectors.report_items(report):
        can_answer = any(a["name"] == "answer" for a in describe_actions(CONFIRMATION_WORKFLOW, item, user,
                                                                          with_choices=False))
        form = None
        if can_answer:
            form = (answer_errors[1] if answer_errors and answer_errors[0] == item.number
                    else AnswerForm(initial={"version": item.version}, auto_id=f"id_{item.number}_%s"))
        rows.append({"item": item, "answer_form": form})
    return render(request, "confirmations/report_detail.html", {
        "report": report, "rows": rows, "actions": action_forms(REPORT_WORKFLOW, report, user, action_errors),
        "timeline": selectors.timeline(report), "workflow": REPORT_WORKFLOW, "status_colours": REPORT_COLOURS,
        "item_workflow": CONFIRMATION_WORKFLOW, "item_colours": STATUS_COLOURS, "timeline_labels": {},
        "is_staff": selectors.is_confirmation_staff(user, report.contract_id)}, status=status)


@login_required
@page_errors
@require_GET
def report_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _report_detail(request, selectors.report_get(number=number, visible_to=_me(request)))


@login_required
@page_errors
@require_POST
def report_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    def get() -> TransferReport:
        return selectors.report_get(number=number, visible_to=_me(request))

    return take_action(request, workflow=REPORT_WORKFLOW, record=get(), action=action,
                       act=lambda record, **kw: services.report_act(report=record, **kw),
                       render_detail=lambda record, **kw: _report_detail(request, record, **kw), reload=get)


@login_required
@page_errors
@require_POST
def item_answer(request: HttpRequest, number: str, item_number: str) -> HttpResponse:
    report = selectors.report_get(number=number, visible_to=_me(request))
    item = selectors.confirmation_get(number=item_number, visible_to=_me(request))
    form = AnswerForm(request.POST, auto_id=f"id_{item.number}_%s")
    if form.is_valid():
        try:
            services.item_answer(report=report, item=item, by=_me(request), answer=form.cleaned_data["answer"],
                                 result=form.cleaned_data["result"], version=form.cleaned_data.get("version"))
        except Conflict as exc:
            messages.warning(request, exc.message)
            return _report_detail(request, selectors.report_get(number=number, visible_to=_me(request)), status=409)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Answer to %(number)s recorded.") % {"number": item.number})
            return redirect(report.get_absolute_url())
    return _report_detail(request, report, answer_errors=(item.number, form), status=422)
