"""Problem pages for the contractor's staff: list with metrics, open (on its own or from incidents), detail
with timeline, linked incidents, procedure actions, linking, comments and "publish as knowledge".

Views stay thin: reads through selectors, writes through services; `core.http.page_errors` turns NotFound /
PermissionDenied into 404 / 403. Client people are sent to the portal (staff_only), and a problem of a
contract one does not work is a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_get
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import Conflict, NotFound, ValidationError
from opsdesk.core.http import is_htmx, page_errors, staff_only
from opsdesk.incidents.choices import STATUS_COLOURS as INCIDENT_COLOURS
from opsdesk.incidents.forms import ActionForm, CommentForm
from opsdesk.incidents.selectors import incident_get
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

from . import selectors, services
from .choices import OPEN_STATUSES, STATUS_COLOURS
from .forms import LinkForm, ProblemFilterForm, ProblemForm
from .models import Problem
from .services import PUBLISHABLE
from .workflow import INVESTIGATORS, PROBLEM_WORKFLOW

# Labels of the bookkeeping the solve records beside its declared fields (shown on the timeline).
TIMELINE_EXTRA_LABELS = {"resolved_incidents": gettext_lazy("Resolved incidents")}


def _me(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def _metrics(request: HttpRequest) -> dict[str, Any]:
    """The metrics block of the list page: the default period (last 30 days), the list's contract filter."""
    start, end = selectors.metrics_period(None, None)
    contract = (request.GET.get("contract") or "").replace("\x00", "").strip()[:40]
    return {"rows": selectors.problem_metrics(visible_to=_me(request), date_from=start, date_to=end,
                                              contract=contract),
            "date_from": start, "date_to": end}


@login_required
@page_errors
@staff_only
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    """Problems of the viewer's contracts, newest first, with the metrics of the last 30 days."""
    form = ProblemFilterForm(request.GET, user=_me(request))
    status = 400
    page = None
    if form.is_valid():
        try:
            page = selectors.problem_list(visible_to=_me(request), filters=selectors.ProblemFilters.parse(request.GET),
                                          limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    context: dict[str, Any] = {"form": form, "page": page}
    if is_htmx(request) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        return render(request, "problems/_problem_results.html", context, status=status)
    context["metrics"] = _metrics(request)
    return render(request, "problems/problem_list.html", context, status=status)


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """Initial values from `?incident=INC-…` (the incident page's "create problem" link); none when unknown."""
    number = (request.GET.get("incident") or "").replace("\x00", "").strip()[:40]
    if not number:
        return {}
    try:
        incident = incident_get(number=number, visible_to=_me(request))
    except NotFound:
        messages.warning(request, _("There is no incident %(number)s.") % {"number": number})
        return {}
    return {"incidents": incident.number, "contract": incident.contract.code, "title": incident.title,
            "description": incident.description or incident.symptom, "level": str(incident.level),
            "category": incident.category_id, "affected_system": incident.affected_system}


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest) -> HttpResponse:
    """Open a problem, on its own or from incidents (`?incident=INC-…` pre-fills it from that incident)."""
    if request.method == "GET":
        form = ProblemForm(initial=_prefill(request), user=_me(request))
        return render(request, "problems/problem_form.html", {"form": form})
    form = ProblemForm(request.POST, user=_me(request))
    if form.is_valid():
        try:
            problem = _create_from_form(request, form)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Problem %(number)s opened.") % {"number": problem.number})
            return redirect(problem.get_absolute_url())
    return render(request, "problems/problem_form.html", {"form": form}, status=422)


def _create_from_form(request: HttpRequest, form: ProblemForm) -> Problem:
    numbers = form.incident_numbers()
    if numbers:
        found, missing = selectors.incidents_by_numbers(numbers=numbers, visible_to=_me(request))
        if missing:
            raise ValidationError(fields={"incidents": _("There is no incident %(number)s.") % {"number": missing[0]}})
        return services.problem_create_from_incidents(by=_me(request), incidents=found, **form.service_data())
    try:
        contract = contract_get(code=str(form.cleaned_data.get("contract") or "").strip(), visible_to=_me(request))
    except NotFound:
        contract = None
    data = form.service_data()
    data["level"] = data["level"] or 3
    return services.problem_create(by=_me(request), contract=contract, **data)


def detail_context(request: HttpRequest, problem: Problem, *, action_errors: tuple[str, ActionForm] | None = None,
                   link_form: LinkForm | None = None, comment_form: CommentForm | None = None) -> dict[str, Any]:
    user = _me(request)
    forms_by_action = action_forms(PROBLEM_WORKFLOW, problem, user, action_errors)
    investigator = bool(PROBLEM_WORKFLOW.roles_of(user, problem) & INVESTIGATORS)
    return {
        "problem": problem,
        "actions": forms_by_action,
        "incidents": selectors.problem_incidents(problem=problem),
        "timeline": selectors.problem_timeline(problem=problem),
        "can_link": investigator and problem.status in OPEN_STATUSES,
        "can_publish": problem.article_id is None and problem.status in PUBLISHABLE,
        "link_form": link_form or LinkForm(),
        "comment_form": comment_form or CommentForm(allow_internal=True),
        "workflow": PROBLEM_WORKFLOW,
        "status_colours": STATUS_COLOURS,
        "incident_workflow": INCIDENT_WORKFLOW,
        "incident_colours": INCIDENT_COLOURS,
        "timeline_labels": TIMELINE_EXTRA_LABELS,
    }


def _problem(request: HttpRequest, number: str) -> Problem:
    return selectors.problem_get(number=number, visible_to=_me(request))


@login_required
@page_errors
@staff_only
@require_GET
def problem_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A problem, its analysis, its incidents, its timeline and one button per action the viewer may take."""
    return render(request, "problems/problem_detail.html", detail_context(request, _problem(request, number)))


@login_required
@page_errors
@staff_only
@require_POST
def problem_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """POST of an action button or form (with the problem's version)."""
    def render_detail(record: Problem, *, action_errors: tuple[str, ActionForm] | None = None,
                      status: int = 200) -> HttpResponse:
        return render(request, "problems/problem_detail.html",
                      detail_context(request, record, action_errors=action_errors), status=status)

    return take_action(request, workflow=PROBLEM_WORKFLOW, record=_problem(request, number), action=action,
                       act=lambda record, **kw: services.problem_act(problem=record, **kw),
                       render_detail=render_detail, reload=lambda: _problem(request, number))


@login_required
@page_errors
@staff_only
@require_POST
def problem_link(request: HttpRequest, number: str) -> HttpResponse:
    """Link an incident by its number."""
    problem = _problem(request, number)
    form = LinkForm(request.POST)
    status = 422
    if form.is_valid():
        incident_number = str(form.cleaned_data.get("incident") or "").replace("\x00", "").strip()[:40]
        try:
            incident = incident_get(number=incident_number, visible_to=_me(request))
            services.problem_link_incident(problem=problem, incident=incident, by=_me(request))
        except NotFound:
            form.add_error("incident", _("There is no incident %(number)s.") % {"number": incident_number})
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("%(incident)s linked.") % {"incident": incident.number})
            return redirect(problem.get_absolute_url())
    return render(request, "problems/problem_detail.html", detail_context(request, problem, link_form=form),
                  status=status)


@login_required
@page_errors
@staff_only
@require_POST
def problem_unlink(request: HttpRequest, number: str, incident_number: str) -> HttpResponse:
    """Unlink an incident (a button on the linked incident's row)."""
    problem = _problem(request, number)
    incident = incident_get(number=incident_number, visible_to=_me(request))
    try:
        services.problem_unlink_incident(problem=problem, incident=incident, by=_me(request))
    except Conflict as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("%(incident)s unlinked.") % {"incident": incident.number})
    return redirect(problem.get_absolute_url())


@login_required
@page_errors
@staff_only
@require_POST
def problem_comment(request: HttpRequest, number: str) -> HttpResponse:
    """A comment or internal note on the problem's timeline."""
    problem = _problem(request, number)
    form = CommentForm(request.POST, allow_internal=True)
    if form.is_valid():
        try:
            services.problem_comment(problem=problem, by=_me(request), body=form.cleaned_data.get("body", ""),
                                     internal=bool(form.cleaned_data.get("internal")))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Comment added."))
            return redirect(problem.get_absolute_url())
    return render(request, "problems/problem_detail.html", detail_context(request, problem, comment_form=form),
                  status=422)


@login_required
@page_errors
@staff_only
@require_POST
def problem_knowledge(request: HttpRequest, number: str) -> HttpResponse:
    """"Publish as knowledge": a pre-filled draft article, opened for editing."""
    problem = _problem(request, number)
    try:
        article, created = services.problem_publish_knowledge(problem=problem, by=_me(request))
    except Conflict as exc:
        messages.warning(request, exc.message)
        return redirect(problem.get_absolute_url())
    if created:
        messages.success(request, _("Draft article %(number)s made from %(problem)s: review and complete it.") % {
            "number": article.number, "problem": problem.number})
        return redirect("knowledge:article_edit", number=article.number)
    messages.info(request, _("This problem was published as knowledge before."))
    return redirect(article.get_absolute_url())
