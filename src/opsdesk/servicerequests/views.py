"""Service request pages: list, new (kind first), detail with the kind's step list, what each step recorded,
the timeline and one form per allowed action, and the printable 派工单 / service report.

Not staff-only: the client's people (application owner, division leader, requester, contact) approve, sign
and close on these pages. A request the viewer may not see is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.http import is_htmx, page_errors
from opsdesk.incidents.forms import ActionForm, CommentForm

from . import selectors, services
from .api import contract_or_none, resolve_links, resolve_requester
from .choices import STATUS_COLOURS, RequestKind
from .forms import RequestFilterForm, RequestForm
from .models import ServiceRequest
from .workflow import KINDS, step_list, workflow_for

# What each step records, grouped as the detail page and the printed forms show it.
SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (gettext_lazy("Assessment"), ("effort_hours", "difficulty", "needs_extra_resources")),
    (gettext_lazy("Staffing"), ("staffing_resources", "staffing_reason", "staffing_approved",
                                       "staffing_waived", "staffing_reject_reason")),
    (gettext_lazy("Dispatch order"), ("handler", "dispatched_at")),
    (gettext_lazy("Outage"), ("system_down", "affected_business", "restore_notes", "restored_at")),
    (gettext_lazy("Solution"), ("root_cause", "potential_risks", "solution", "om_advice")),
    (gettext_lazy("Coordination"), ("collaborators",)),
    (gettext_lazy("On-site arrival"), ("agreed_arrival_at", "resources_needed", "arrived_at")),
    (gettext_lazy("Plan"), ("plan", "impact_analysis", "rollback_plan", "plan_approved", "plan_reject_reason")),
    (gettext_lazy("Test"), ("test_environment", "test_passed", "test_notes")),
    (gettext_lazy("Change window"), ("change_window_start", "change_window_end")),
    (gettext_lazy("Implementation"), ("findings", "implementation_notes", "implemented_at")),
    (gettext_lazy("User signature"), ("signer_name", "stamped", "satisfied", "signed_at", "refuse_reason")),
    (gettext_lazy("Service report"), ("phenomenon", "analysis", "cause", "steps", "log", "reported_at",
                                      "sent_back_reason")),
    (gettext_lazy("Closure and knowledge"), ("closed_at", "cancel_reason", "reject_reason", "knowledge_article",
                                             "no_knowledge_reason")),
)
# The sections printed on the service report (solution, implementation, signature, the report itself).
REPORT_SECTIONS = frozenset({4, 10, 11, 12})


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _show(sr: ServiceRequest, name: str) -> str:
    value = getattr(sr, name)
    if value is None or value == "":
        return ""
    field = sr._meta.get_field(name)
    if getattr(field, "choices", None):
        return str(getattr(sr, f"get_{name}_display")())
    if isinstance(value, bool):
        if value is False and not field.null:
            return ""  # an unset flag (not approved, not stamped …) says nothing
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, User):
        return value.display_name
    return str(value)


def record_sections(sr: ServiceRequest, *, report_only: bool = False) -> list[dict[str, Any]]:
    """The filled-in groups of what the steps recorded: [{title, rows: [(label, value)]}]."""
    out = []
    for index, (title, names) in enumerate(SECTIONS):
        if report_only and index not in REPORT_SECTIONS:
            continue
        rows = [(str(getattr(sr._meta.get_field(n), "verbose_name", n)), _show(sr, n)) for n in names]
        rows = [(label, value) for label, value in rows if value]
        if rows:
            out.append({"title": str(title), "rows": rows})
    return out


@login_required
@page_errors
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests the viewer may see, newest first, filtered by kind, status, contract, handler, mine."""
    form = RequestFilterForm(request.GET, user=_me(request))
    status = 400
    page = None
    if form.is_valid():
        try:
            page = selectors.request_list(visible_to=_me(request),
                                          filters=selectors.RequestFilters.parse(request.GET),
                                          limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    context: dict[str, Any] = {"form": form, "page": page, "workflows": {k: workflow_for(k) for k in KINDS},
                               "can_create": selectors.creator_contracts(user=_me(request)).exists()}
    if is_htmx(request) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        return render(request, "servicerequests/_request_results.html", context, status=status)
    return render(request, "servicerequests/request_list.html", context, status=status)


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """Initial values from `?incident=INC-…` / `?problem=PRB-…` (the "service request" links of those pages)."""
    initial: dict[str, Any] = {}
    for name in ("incident", "problem"):
        number = (request.GET.get(name) or "").replace("\x00", "").strip()[:40]
        if not number:
            continue
        try:
            found = resolve_links(user=_me(request), **{"incident": "", "problem": "", name: number})
        except ValidationError as exc:
            messages.warning(request, next(iter(exc.fields.values()), exc.message))
            continue
        record = found[0] if name == "incident" else found[1]
        initial.update({name: record.number, "contract": record.contract.code,
                        "affected_system": record.affected_system})
        initial.setdefault("title", record.title)
        initial.setdefault("description", record.description)
    return initial


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    """Choose the kind first (`?kind=`), then fill in the request."""
    kinds = [{"value": v, "label": lbl, "key": str(i + 1)} for i, (v, lbl) in enumerate(RequestKind.choices)]
    links = {k: (request.GET.get(k) or "").replace("\x00", "").strip()[:40] for k in ("incident", "problem")}
    if request.method == "GET":
        kind = request.GET.get("kind") or ""
        if kind not in RequestKind.values:
            return render(request, "servicerequests/request_kind.html", {"kinds": kinds, "links": links})
        form = RequestForm(initial={"kind": kind, **_prefill(request)}, user=_me(request))
        return render(request, "servicerequests/request_form.html",
                      {"form": form, "kind_label": RequestKind(kind).label})
    form = RequestForm(request.POST, user=_me(request))
    kind = str(request.POST.get("kind") or "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident, problem = resolve_links(user=_me(request), incident=data.get("incident") or "",
                                              problem=data.get("problem") or "")
            contract = contract_or_none(data.get("contract") or "", _me(request))
            sr = services.request_create(
                by=_me(request), contract=contract, kind=kind, title=data.get("title") or "",
                description=data.get("description") or "",
                requester=resolve_requester(contract=contract, username=data.get("requester") or ""),
                affected_system=data.get("affected_system") or "", incident=incident, problem=problem,
                desired_date=data.get("desired_date") or None)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Service request %(number)s opened.") % {"number": sr.number})
            return redirect(sr.get_absolute_url())
    label = RequestKind(kind).label if kind in RequestKind.values else ""
    return render(request, "servicerequests/request_form.html", {"form": form, "kind_label": label}, status=422)


def detail_context(request: HttpRequest, sr: ServiceRequest, *, action_errors: tuple[str, ActionForm] | None = None,
                   comment_form: CommentForm | None = None) -> dict[str, Any]:
    user = _me(request)
    wf = workflow_for(sr)
    staff = selectors.is_request_staff(user, sr)
    return {
        "sr": sr,
        "actions": action_forms(wf, sr, user, action_errors),
        "steps": step_list(sr),
        "sections": record_sections(sr),
        "timeline": selectors.request_timeline(sr=sr, viewer=user),
        "comment_form": comment_form or CommentForm(allow_internal=staff),
        "workflow": wf,
        "status_colours": STATUS_COLOURS,
        "timeline_labels": {"follow_up": gettext_lazy("Follow-up"), "article": gettext_lazy("Knowledge article")},
    }


def _get(request: HttpRequest, number: str) -> ServiceRequest:
    return selectors.request_get(number=number, visible_to=_me(request))


@login_required
@page_errors
@require_GET
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "servicerequests/request_detail.html", detail_context(request, _get(request, number)))


@login_required
@page_errors
@require_GET
def request_print(request: HttpRequest, number: str) -> HttpResponse:
    """The printable 派工单 (dispatch order) and service report (问题处理服务报告 / 高级技术支持服务返回单)."""
    sr = _get(request, number)
    return render(request, "servicerequests/request_print.html",
                  {"sr": sr, "report": record_sections(sr, report_only=True), "workflow": workflow_for(sr),
                   "printed_at": timezone.localtime()})


@login_required
@page_errors
@require_POST
def request_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """POST of an action form (with the request's version)."""
    def render_detail(record: ServiceRequest, *, action_errors: tuple[str, ActionForm] | None = None,
                      status: int = 200) -> HttpResponse:
        return render(request, "servicerequests/request_detail.html",
                      detail_context(request, record, action_errors=action_errors), status=status)

    sr = _get(request, number)
    if action not in {a.name for a in workflow_for(sr).actions if not a.automatic}:
        raise NotFound(_("There is no action “%(action)s”.") % {"action": action}, code="unknown_action")
    return take_action(request, workflow=workflow_for(sr), record=sr, action=action,
                       act=lambda record, **kw: services.request_act(sr=record, **kw),
                       render_detail=render_detail, reload=lambda: _get(request, number))


@login_required
@page_errors
@require_POST
def request_comment(request: HttpRequest, number: str) -> HttpResponse:
    sr = _get(request, number)
    staff = selectors.is_request_staff(_me(request), sr)
    form = CommentForm(request.POST, allow_internal=staff)
    if form.is_valid():
        try:
            services.request_comment(sr=sr, by=_me(request), body=form.cleaned_data.get("body", ""),
                                     internal=bool(form.cleaned_data.get("internal")))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Comment added."))
            return redirect(sr.get_absolute_url())
    return render(request, "servicerequests/request_detail.html", detail_context(request, sr, comment_form=form),
                  status=422)
