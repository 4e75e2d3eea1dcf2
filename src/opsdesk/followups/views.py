"""Follow-up pages: the tracking table (list) and a follow-up's detail with its steps and actions. Open to
everyone who may see the follow-up (the requester confirms or sends back on it), so not staff-only."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_list
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import ValidationError
from opsdesk.core.http import page_errors

from . import selectors, services
from .choices import STATUS_COLOURS, FollowUpStatus
from .models import FollowUp
from .workflow import FOLLOWUP_WORKFLOW

STEPS = (FollowUpStatus.OPEN, FollowUpStatus.VERIFIED, FollowUpStatus.CALLED_BACK, FollowUpStatus.CONFIRMED,
         FollowUpStatus.TRACKED, FollowUpStatus.CLOSED)


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@page_errors
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    """The tracking table (转出问题跟踪表): follow-ups of resolved tickets, unfinished ones by default."""
    params = request.GET.copy()
    if "status" not in params:
        params["status"] = "open"
    page, error = None, ""
    try:
        filters = selectors.parse_filters(params)
        page = selectors.followup_list(visible_to=_me(request), filters=filters, limit=settings.OPSDESK_PAGE_SIZE,
                                       cursor=request.GET.get("cursor") or None)
    except ValidationError as exc:
        error = "; ".join(exc.fields.values())
        filters = {"status": "", "contract": "", "ticket": ""}
    return render(request, "followups/followup_list.html", {
        "page": page, "filters": filters, "error": error, "statuses": FollowUpStatus.choices,
        "contracts": contract_list(visible_to=_me(request)), "workflow": FOLLOWUP_WORKFLOW,
        "status_colours": STATUS_COLOURS}, status=400 if error else 200)


def _detail(request: HttpRequest, follow_up: FollowUp, *, action_errors: tuple[str, Any] | None = None,
            status: int = 200) -> HttpResponse:
    steps = []
    reached = STEPS.index(follow_up.status) if follow_up.status in STEPS else -1
    for index, step in enumerate(STEPS):
        steps.append({"label": FOLLOWUP_WORKFLOW.status_label(step), "done": index < reached,
                      "current": index == reached})
    return render(request, "followups/followup_detail.html", {
        "follow_up": follow_up, "actions": action_forms(FOLLOWUP_WORKFLOW, follow_up, _me(request), action_errors),
        "timeline": selectors.followup_timeline(follow_up=follow_up), "steps": steps,
        "ticket_url": selectors.ticket_url(follow_up, _me(request)), "workflow": FOLLOWUP_WORKFLOW,
        "status_colours": STATUS_COLOURS, "timeline_labels": {}}, status=status)


@login_required
@page_errors
@require_GET
def followup_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, selectors.followup_get(number=number, visible_to=_me(request)))


@login_required
@page_errors
@require_POST
def followup_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    follow_up = selectors.followup_get(number=number, visible_to=_me(request))
    return take_action(
        request, workflow=FOLLOWUP_WORKFLOW, record=follow_up, action=action,
        act=lambda record, **kw: services.followup_act(follow_up=record, **kw),
        render_detail=lambda record, **kw: _detail(request, record, **kw),
        reload=lambda: selectors.followup_get(number=number, visible_to=_me(request)))
