"""Incident pages for the contractor's staff: workbench, list, create (on the phone), detail with actions.

Views stay thin: they read through selectors, write through services, and let `core.http.page_errors`
turn NotFound / PermissionDenied into 404 / 403. The detail helpers at the bottom are shared with the
requester portal, so both show the same timeline and take actions the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.selectors import access_for, caller_get, caller_lookup, colleagues_of, contract_list
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.http import is_htmx, page_errors, staff_only
from opsdesk.core.pagination import Page
from opsdesk.core.workflow import describe_actions
from opsdesk.sla.selectors import clock_views

from . import selectors, services
from .choices import CALL_OUTCOME_COLOURS, STATUS_COLOURS, CallOutcome, Level
from .forms import (
    ActionForm,
    AttachmentForm,
    CallFilterForm,
    CallLogForm,
    CommentForm,
    IncidentCreateForm,
    IncidentFilterForm,
    suggested_contract,
)
from .models import CallRecord, Incident
from .services import LOGGERS
from .workflow import INCIDENT_WORKFLOW

WORKBENCH_ROWS = 10
RECENT_TICKETS = 5
# Labels of the bookkeeping that actions record beside their declared fields (shown on the timeline).
TIMELINE_EXTRA_LABELS = {"work_order": gettext_lazy("Work order"), "arrived_at": gettext_lazy("Arrived at")}


def _clean_query(value: str) -> str:
    """A search typed into a lookup box: NUL characters dropped (no database stores them), trimmed."""
    return value.replace("\x00", "").strip()[:100]


def visible_incident(request: HttpRequest, number: str) -> Incident:
    """The incident if the viewer may see it; NotFound (→ 404) for anything else, malformed numbers included."""
    if not selectors.NUMBER_RE.match(number or ""):
        raise NotFound(_("There is no incident %(number)s.") % {"number": number[:40]}, code="incident_not_found")
    return selectors.incident_get(number=number, visible_to=request.user)


def list_page(request: HttpRequest, filters: selectors.IncidentFilters) -> Page:
    """One page of incidents for a list page, at the `cursor` of the query string."""
    return selectors.incident_list(visible_to=request.user, filters=filters, limit=settings.OPSDESK_PAGE_SIZE,
                                   cursor=request.GET.get("cursor") or None)


def _list_url(**params: Any) -> str:
    return f"{reverse('incidents:incident_list')}?{urlencode(params)}"


def level_help() -> dict[int, str]:
    """The four level definitions (DOMAIN.md section 1), shown wherever a level is chosen."""
    return {int(k): str(v) for k, v in settings.OPSDESK_LEVEL_HELP.items()}


def level_options(selected: Any) -> list[dict[str, Any]]:
    """Radio options for the level: value, label, definition, checked."""
    helps = level_help()
    return [{"value": str(value), "label": label, "help": helps.get(value, ""),
             "checked": str(selected) == str(value)} for value, label in Level.choices]


# --- workbench and list ---------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """The agent's start page: queue sizes (each a link to the filtered list) and the first rows of two queues."""
    counts = selectors.workbench_counts(user=request.user)
    tiles = [
        {"key": "mine", "label": _("My queue"), "count": counts["mine"],
         "url": _list_url(assignee="me", status="open")},
        {"key": "owned", "label": _("Owned by me"), "count": counts["owned"],
         "url": _list_url(owner="me", status="open")},
        {"key": "unassigned", "label": _("New, not yet accepted"), "count": counts["unassigned"],
         "url": _list_url(status="new")},
        {"key": "open", "label": _("All open"), "count": counts["open"], "url": _list_url(status="open")},
    ]
    levels = [{"level": value, "label": label, "count": counts[f"level{value}"],
               "url": _list_url(level=value, status="open"), "help": level_help().get(value, "")}
              for value, label in Level.choices]
    mine = selectors.incident_list(visible_to=request.user, limit=WORKBENCH_ROWS,
                                   filters=selectors.IncidentFilters(assignee="me", status=["open"]))
    unassigned = selectors.incident_list(visible_to=request.user, limit=WORKBENCH_ROWS,
                                         filters=selectors.IncidentFilters(status=["new"]))
    return render(request, "incidents/workbench.html", {
        "tiles": tiles, "levels": levels, "mine": mine, "unassigned": unassigned,
        "mine_url": _list_url(assignee="me", status="open"), "unassigned_url": _list_url(status="new"),
    })


@login_required
@page_errors
@staff_only
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    """Filtered, sorted, keyset-paginated incidents; htmx requests get only the results fragment."""
    form = IncidentFilterForm(request.GET, user=request.user)
    status = 400
    page = None
    if form.is_valid():  # the form only rejects what no database may see (NUL characters)
        try:
            page = list_page(request, selectors.IncidentFilters.parse(request.GET))
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    context = {"form": form, "page": page}
    if is_htmx(request) and not request.htmx.history_restore_request:
        return render(request, "incidents/_incident_results.html", context, status=status)
    context["people"] = colleagues_of(user=request.user)
    return render(request, "incidents/incident_list.html", context, status=status)


# --- create on the phone --------------------------------------------------------------------------

def create_from_form(request: HttpRequest, form: Any) -> Incident | None:
    """Log the incident a bound create form describes (staff or portal form); None when the input is not
    valid, the form then carrying every message by its field (the service's checks included)."""
    if not form.is_valid():
        return None
    try:
        return services.incident_create(by=request.user, **form.service_kwargs())
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return None


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Log an incident for a caller; on an error the form comes back with the typed values and nothing saved."""
    status = 200
    if request.method == "POST":
        form = IncidentCreateForm(request.POST, user=request.user)
        if "call_only" in request.POST:
            if _answered_call_from_form(request, form):
                messages.success(request, _("Call recorded (answered without a ticket)."))
                return redirect("incidents:call_list")
        else:
            incident = _incident_from_call_form(request, form)
            if incident is not None:
                messages.success(request, _("Incident %(number)s logged.") % {"number": incident.number})
                return redirect(incident.get_absolute_url())
        status = 422
    else:
        form = IncidentCreateForm(user=request.user, initial={"call_started_at": _now_local()})
    caller_q = _clean_query(request.GET.get("caller_q", ""))
    selected = form.selected_requester()
    people = caller_lookup(visible_to=request.user, query=caller_q) if caller_q else []
    if selected is not None:
        people = [selected]
    elif len(people) == 1:
        selected = people[0]
    recent = (selectors.recent_incidents_of(requester=selected, visible_to=request.user, limit=RECENT_TICKETS)
              if selected is not None else [])
    _suggest_contracts(people, form.contracts)
    _attach_open_tickets(request, people)
    return render(request, "incidents/incident_create.html", {
        "form": form, "caller_q": caller_q, "people": people, "selected": selected, "recent": recent,
        "searched": bool(caller_q), "level_options": level_options(form["level"].value()),
    }, status=status)


def _now_local() -> str:
    """Now, as the hidden start time of the call on the create form (the page opens when the phone rings)."""
    return timezone.localtime().replace(microsecond=0).isoformat()


def _incident_from_call_form(request: HttpRequest, form: IncidentCreateForm) -> Incident | None:
    """Log the incident and the call (with the agent's notes) the bound create form describes; None when
    something is not valid, the form then carrying every message by its field."""
    if not form.is_valid():
        return None
    try:
        incident, _call = services.incident_create_from_call(by=request.user, **form.call_kwargs(),
                                                              **form.service_kwargs())
    except ValidationError as exc:
        form.apply_service_errors(_call_errors_on_form(exc))
        return None
    return incident


def _call_errors_on_form(exc: ValidationError) -> ValidationError:
    """The call's field names as the create form names them (notes → call_notes, started_at → call_started_at)."""
    names = {"notes": "call_notes", "started_at": "call_started_at", "phone": "contact_phone"}
    return ValidationError(exc.message, fields={names.get(k, k): v for k, v in exc.fields.items()})


def _answered_call_from_form(request: HttpRequest, form: IncidentCreateForm) -> CallRecord | None:
    """Record a call answered without a ticket from the create form (its contract, caller and notes)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    requester = data.get("requester")
    try:
        return services.call_record_create(
            by=request.user, outcome=CallOutcome.ANSWERED, contract=data.get("contract"), caller=requester,
            phone=data.get("contact_phone") or getattr(requester, "phone", "") or "",
            notes=data.get("call_notes", ""), started_at=data.get("call_started_at") or None)
    except ValidationError as exc:
        form.apply_service_errors(_call_errors_on_form(exc))
        return None


def _attach_open_tickets(request: HttpRequest, people: list[Any]) -> None:
    """Each person found gets `open_tickets` (one query for all): a repeated call about one fault shows."""
    by_person = selectors.open_incidents_by_requester(requesters=people, visible_to=request.user)
    for person in people:
        person.open_tickets = by_person.get(person.pk, [])


def _suggest_contracts(people: list[Any], contracts: list[Any]) -> None:
    """Mark each person found with the contract their incident most likely falls under (the page preselects it)."""
    for person in people:
        person.suggested_contract = suggested_contract(person, contracts)


@login_required
@page_errors
@staff_only
@require_GET
def caller_search(request: HttpRequest) -> HttpResponse:
    """htmx: the people matching a phone number or name, as radio buttons; one match comes preselected."""
    query = _clean_query(request.GET.get("caller_q", ""))
    people = caller_lookup(visible_to=request.user, query=query) if query else []
    selected = people[0] if len(people) == 1 else None
    recent = (selectors.recent_incidents_of(requester=selected, visible_to=request.user, limit=RECENT_TICKETS)
              if selected is not None else [])
    _suggest_contracts(people, list(contract_list(visible_to=request.user, role_in=LOGGERS)))
    _attach_open_tickets(request, people)
    return render(request, "incidents/_caller_results.html", {
        "people": people, "selected": selected, "recent": recent, "searched": bool(query), "caller_q": query})


@login_required
@page_errors
@staff_only
@require_GET
def caller_recent(request: HttpRequest) -> HttpResponse:
    """htmx: the chosen caller's latest tickets (those the agent may see)."""
    person = caller_get(visible_to=request.user, username=_clean_query(request.GET.get("requester", "")))
    recent = (selectors.recent_incidents_of(requester=person, visible_to=request.user, limit=RECENT_TICKETS)
              if person is not None else [])
    return render(request, "incidents/_caller_recent.html", {"selected": person, "recent": recent})


# --- detail and what is done on it ----------------------------------------------------------------

def detail_context(request: HttpRequest, incident: Incident, *, action_errors: tuple[str, ActionForm] | None = None,
                   comment_form: CommentForm | None = None,
                   attachment_form: AttachmentForm | None = None,
                   call_form: CallLogForm | None = None) -> dict[str, Any]:
    """Everything a detail page shows: fields, work orders, timeline, one form per allowed action."""
    user = request.user
    staff = selectors.is_service_staff(user, incident)
    forms_by_action = []
    for action in describe_actions(INCIDENT_WORKFLOW, incident, user):
        if action_errors and action_errors[0] == action["name"]:
            form = action_errors[1]
            form.action = action
            is_open = True
        else:
            # an input writing a record field starts from its value (a solution applied from an article)
            prefill = {f["name"]: incident.solution for f in action["fields"] if f["name"] == "solution"}
            form = ActionForm(action, initial={"version": incident.version, **prefill})
            is_open = False
        forms_by_action.append({"action": action, "form": form, "open": is_open})
    links = selectors.incident_links(incident=incident)  # the cards with nothing to show skip their query
    return {
        "incident": incident,
        "actions": forms_by_action,
        "timeline": selectors.incident_timeline(incident=incident, viewer=user),
        "links": links,
        "work_orders": selectors.incident_work_orders(incident=incident) if "work_orders" in links else [],
        "comment_form": comment_form or CommentForm(allow_internal=staff),
        "attachment_form": attachment_form or AttachmentForm(allow_internal=staff),
        "is_staff": staff,
        "open_statuses": services.APPLY_SOURCES,
        "workflow": INCIDENT_WORKFLOW,
        "status_colours": STATUS_COLOURS,
        "level_help": level_help(),
        "timeline_labels": TIMELINE_EXTRA_LABELS,
        # Read only by pages that show the SLA card, and only for incidents that ever had a clock.
        "sla_clocks": SimpleLazyObject(lambda: clock_views(incident) if incident.sla_state else []),
        "max_attachment_mb": settings.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        # Read only by the staff page (the portal page reads the rating itself).
        "calls": SimpleLazyObject(lambda: selectors.incident_calls(incident=incident, viewer=user)
                                  if "calls" in links else []),
        "staff_rating": SimpleLazyObject(lambda: selectors.incident_rating(incident=incident)
                                         if "rating" in links else None),
        "call_form": call_form or CallLogForm(),
    }


def take_action(request: HttpRequest, incident: Incident, action_name: str, *, template: str,
                success_url: str) -> HttpResponse:
    """POST of an action form: perform it, or show the page again with why not.

    Conflict (someone else changed the record, or its state no longer allows the action): the fresh record
    with a message, 409. ValidationError: the action's form open with its field errors, 422.
    PermissionDenied: the fresh page with the reason, 403.
    """
    spec = next((a for a in describe_actions(INCIDENT_WORKFLOW, incident, request.user)
                 if a["name"] == action_name), None)
    if spec is None:
        spec = {"name": action_name, "label": action_name, "fields": []}
    form = ActionForm(spec, request.POST)
    if not form.is_valid():  # lenient fields: only a non-number version or a NUL character gets here
        messages.error(request, _("The action could not be taken: see the messages by the fields."))
        if form.has_error("version"):
            form.add_error(None, _("This page is out of date. Reload it and try again."))
        return render(request, template, detail_context(request, incident, action_errors=(action_name, form)),
                      status=422)
    try:
        services.incident_act(incident=incident, action=action_name, by=request.user,
                              data=form.service_data(), version=form.cleaned_data.get("version"))
    except Conflict as exc:
        fresh = selectors.incident_get(number=incident.number, visible_to=request.user)
        if exc.code == "stale_version":
            text = _("This incident was changed by someone else in the meantime. It has been reloaded: "
                     "check the current state and try again.")
        else:
            text = _("%(reason)s The page now shows the current state.") % {"reason": exc.message}
        messages.warning(request, text)
        return render(request, template, detail_context(request, fresh), status=409)
    except ValidationError as exc:
        form.apply_service_errors(exc)
        messages.error(request, _("The action could not be taken: see the messages by the fields."))
        return render(request, template, detail_context(request, incident, action_errors=(action_name, form)),
                      status=422)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return render(request, template, detail_context(request, incident), status=403)
    messages.success(request, _("Done: %(action)s.") % {"action": spec["label"]})
    return redirect(success_url)


def add_comment(request: HttpRequest, incident: Incident, *, template: str, success_url: str) -> HttpResponse:
    """POST of the comment form (an internal note when staff tick the box)."""
    staff = selectors.is_service_staff(request.user, incident)
    form = CommentForm(request.POST, allow_internal=staff)
    if not form.is_valid():
        return render(request, template, detail_context(request, incident, comment_form=form), status=422)
    try:
        services.incident_comment(incident=incident, by=request.user, body=form.cleaned_data.get("body", ""),
                                  internal=bool(form.cleaned_data.get("internal")))
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return render(request, template, detail_context(request, incident, comment_form=form), status=422)
    messages.success(request, _("Comment added."))
    return redirect(success_url)


def add_attachment(request: HttpRequest, incident: Incident, *, template: str, success_url: str) -> HttpResponse:
    """POST of the upload form; the service enforces the size limit and stores the file outside the web root."""
    staff = selectors.is_service_staff(request.user, incident)
    form = AttachmentForm(request.POST, request.FILES, allow_internal=staff)
    if not form.is_valid():
        return render(request, template, detail_context(request, incident, attachment_form=form), status=422)
    try:
        services.incident_attach(incident=incident, by=request.user, upload=form.cleaned_data.get("file"),
                                 internal=bool(form.cleaned_data.get("internal")))
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return render(request, template, detail_context(request, incident, attachment_form=form), status=422)
    messages.success(request, _("File attached."))
    return redirect(success_url)


def _staff_incident(request: HttpRequest, number: str) -> Incident | HttpResponse:
    """The incident if the viewer may see it (else NotFound → 404); client people go to its portal page."""
    incident = visible_incident(request, number)
    if not access_for(request.user).is_staff_member:
        return redirect("portal:incident_detail", number=incident.number)
    return incident


@login_required
@page_errors
@require_GET
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    """All of an incident, its timeline and one button per action the viewer may take now."""
    incident = _staff_incident(request, number)
    if isinstance(incident, HttpResponse):
        return incident
    return render(request, "incidents/incident_detail.html", detail_context(request, incident))


@login_required
@page_errors
@staff_only
@require_POST
def incident_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """POST /incidents/<number>/actions/<action>/ from an action button or form (with the record's version)."""
    incident = visible_incident(request, number)
    return take_action(request, incident, action, template="incidents/incident_detail.html",
                       success_url=incident.get_absolute_url())


@login_required
@page_errors
@staff_only
@require_POST
def incident_comment(request: HttpRequest, number: str) -> HttpResponse:
    """POST a comment or an internal note."""
    incident = visible_incident(request, number)
    return add_comment(request, incident, template="incidents/incident_detail.html",
                       success_url=incident.get_absolute_url() + "#timeline")


@login_required
@page_errors
@staff_only
@require_POST
def incident_attach(request: HttpRequest, number: str) -> HttpResponse:
    """POST a file for the timeline."""
    incident = visible_incident(request, number)
    return add_attachment(request, incident, template="incidents/incident_detail.html",
                          success_url=incident.get_absolute_url() + "#timeline")


@login_required
@page_errors
@require_GET
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """Stream an attachment to someone who may see the incident (staff or client); 404 for anyone else."""
    incident = visible_incident(request, number)
    attachment = selectors.incident_attachment_get(incident=incident, attachment_id=attachment_id,
                                                   viewer=request.user)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type_header or "application/octet-stream")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- hotline calls ----------------------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_POST
def incident_call_create(request: HttpRequest, number: str) -> HttpResponse:
    """Log a follow-up call about this incident; its notes go on the timeline as an internal note."""
    incident = visible_incident(request, number)
    form = CallLogForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.call_record_create(
                by=request.user, outcome=CallOutcome.FOLLOW_UP, incident=incident, caller=incident.requester,
                phone=data.get("phone") or incident.contact_phone, notes=data.get("notes", ""),
                started_at=data.get("started_at") or None, ended_at=data.get("ended_at") or None)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Call logged."))
            return redirect(incident.get_absolute_url() + "#calls")
    return render(request, "incidents/incident_detail.html",
                  {**detail_context(request, incident, call_form=form), "call_form_open": True}, status=422)


@login_required
@page_errors
@staff_only
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    """The hotline calls of the contracts one works (agents, project managers), filtered, newest first."""
    form = CallFilterForm(request.GET, user=request.user)
    page = None
    status = 400
    if form.is_valid():
        try:
            page = selectors.call_list(visible_to=request.user, filters=selectors.CallFilters.parse(request.GET),
                                       limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    return render(request, "incidents/call_list.html",
                  {"form": form, "page": page, "outcome_colours": CALL_OUTCOME_COLOURS,
                   "people": colleagues_of(user=request.user)}, status=status)


# --- knowledge suggestions (step 4 of the handling procedure: search for similar cases) ---------------------

SUGGESTED = 5  # articles, and resolved incidents, shown
SUGGEST_DRAFT_MAX = 2000


@login_required
@page_errors
@staff_only
@require_GET
def incident_suggestions(request: HttpRequest) -> HttpResponse:
    """The suggestions panel (htmx): published articles and resolved incidents like the draft the agent is
    typing (title, description, symptom, error message; on the chosen contract), or like an existing
    incident (`?incident=<number>`: its own text, itself left out, with "apply" as a POST on it)."""
    from opsdesk.knowledge.selectors import article_solutions
    from opsdesk.search.selectors import similar

    incident = None
    number = request.GET.get("incident", "").strip()
    if number:
        incident = visible_incident(request, number)
        parts = [incident.title, incident.description, incident.symptom, incident.error_message,
                 incident.affected_system]
        contract = incident.contract.code
    else:
        parts = [request.GET.get(name, "") for name in ("title", "description", "symptom", "error_message",
                                                         "affected_system")]
        contract = request.GET.get("contract", "").strip()[:40]
    draft = " ".join(p.replace("\x00", " ") for p in parts if p).strip()[:SUGGEST_DRAFT_MAX]
    articles: list[Any] = []
    incidents: list[Any] = []
    if draft:
        exclude = ("incident", incident.pk) if incident is not None else None
        articles = similar(visible_to=request.user, draft=draft, kinds_statuses={"article": ["published"]},
                           contract=contract, limit=SUGGESTED)
        incidents = similar(visible_to=request.user, draft=draft, contract=contract, limit=SUGGESTED,
                            kinds_statuses={"incident": ["resolved", "closed"]}, exclude=exclude)
    solutions = article_solutions(ids=[h.object_id for h in articles])
    for hit in articles:
        hit.solution = solutions.get(hit.object_id, "")  # type: ignore[attr-defined]
    can_apply = incident is None or incident.status in services.APPLY_SOURCES
    return render(request, "incidents/_suggestions.html", {
        "articles": articles, "incidents": incidents, "draft": draft, "incident": incident,
        "can_apply": can_apply})


@login_required
@page_errors
@staff_only
@require_POST
def incident_apply_article(request: HttpRequest, number: str) -> HttpResponse:
    """POST from the suggestions panel of an incident: take the article's solution (then resolve as usual)."""
    incident = visible_incident(request, number)
    version = request.POST.get("version", "").strip()
    try:
        services.incident_apply_article(incident=incident, article=request.POST.get("article", "").strip()[:40],
                                        by=request.user, version=int(version) if version.isdigit() else None)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(incident.get_absolute_url())
    messages.success(request, _("The article's solution is now the incident's solution: check it and resolve."))
    return redirect(incident.get_absolute_url())
