"""Requester portal: one's own tickets (a client contact: the organisation's) with what the SLA promises in
plain words, report a problem (with a category and files), follow a ticket, comment, attach a file, confirm
the solution or reopen it with a reason, and rate the service once it is over. Every page works at 375 px.

Everything is read through the incident selectors with the viewer, so a ticket that is not one's own does
not exist here (404). The detail helpers are the staff pages' own, so both take actions the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.http import page_errors
from opsdesk.incidents import selectors, services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.views import (
    add_attachment,
    add_comment,
    detail_context,
    level_options,
    list_page,
    take_action,
    visible_incident,
)
from opsdesk.incidents.workflow import CLIENT, incident_roles
from opsdesk.search.selectors import similar
from opsdesk.sla.choices import Metric

from .forms import PortalIncidentForm, RatingForm

TABS = {"open": ["open"], "all": []}
SUGGESTIONS = 5  # self-help articles shown beside the report form
DRAFT_MAX = 2000  # characters of the draft that are compared (the search reads fewer)


def _detail_url(number: str) -> str:
    return reverse("portal:incident_detail", args=[number])


@login_required
@page_errors
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The viewer's tickets, newest first: open ones by default, or all."""
    if access_for(request.user).is_staff_member:
        return redirect("incidents:workbench")
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "open"
    filters = selectors.IncidentFilters(status=TABS[tab])
    page = list_page(request, filters)
    promises = selectors.sla_promises(page.items)
    for inc in page.items:
        inc.promises = promise_texts(promises.get(inc.pk, []))
    return render(request, "portal/home.html", {"page": page, "tab": tab})


def _when(instant: dt.datetime) -> str:
    return date_format(timezone.localtime(instant), "Y-m-d H:i")


def promise_texts(promises: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The SLA in a requester's words: "We will respond by …", "… resolve by …", or that it is overdue
    or waiting (paused). Each item: text, and overdue / paused for the colour."""
    out = []
    for p in promises:
        due = p["due_at"]
        response = p["metric"] == Metric.RESPONSE
        if p["paused"]:
            text = _("Waiting for you or a third party: our clock is stopped meanwhile.")
        elif due is None:
            continue
        elif p["overdue"]:
            text = (_("Our response is overdue (promised by %(time)s). We are on it.") if response else
                    _("The solution is overdue (promised by %(time)s). We are on it.")) % {"time": _when(due)}
        else:
            text = (_("We will respond by %(time)s.") if response else
                    _("We will solve it by %(time)s.")) % {"time": _when(due)}
        out.append({"text": text, "overdue": p["overdue"], "paused": p["paused"], "metric": p["metric"]})
    return out


def _may_rate(request: HttpRequest, incident: Incident) -> bool:
    return bool(incident_roles(request.user, incident) & CLIENT) and incident.status in services.RATEABLE_STATUSES


def portal_context(request: HttpRequest, incident: Incident, *, rating_form: RatingForm | None = None,
                   **kwargs: Any) -> dict[str, Any]:
    """The staff detail context plus what the portal page adds: the SLA promise and the rating."""
    context = detail_context(request, incident, **kwargs)
    rating = selectors.incident_rating(incident=incident) if "rating" in context["links"] else None
    context["rating"] = rating
    context["rating_form"] = (rating_form or RatingForm()) if rating is None and _may_rate(request, incident) else None
    context["promises"] = promise_texts(selectors.sla_promises([incident]).get(incident.pk, []))
    return context


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Report a problem (channel: portal) on one of one's own contracts."""
    status = 200
    if request.method == "POST":
        form = PortalIncidentForm(request.POST, request.FILES, user=request.user)
        incident = None
        if form.is_valid():
            try:
                incident = services.incident_create_with_attachments(by=request.user, **form.service_kwargs())
            except ValidationError as exc:
                form.apply_service_errors(exc)
        if incident is not None:
            messages.success(request, _("Thank you. Your problem was recorded as %(number)s; we will contact "
                                        "you.") % {"number": incident.number})
            return redirect(_detail_url(incident.number))
        status = 422
    else:
        form = PortalIncidentForm(user=request.user)
    return render(request, "portal/incident_create.html",
                  {"form": form, "level_options": level_options(form["level"].value()),
                   "max_attachment_mb": settings.MAX_ATTACHMENT_BYTES // (1024 * 1024)}, status=status)


@login_required
@page_errors
@require_GET
def self_help_suggest(request: HttpRequest) -> HttpResponse:
    """The self-help articles most like what the requester is typing (title and description), for the report
    form (htmx). Visibility is inside the search: requesters find only published self-help articles of their
    organisation; an empty draft gives an empty fragment."""
    draft = "\n".join((request.GET.get(name) or "").replace("\x00", "").strip()[:DRAFT_MAX]
                      for name in ("title", "description")).strip()
    hits = similar(visible_to=cast(User, request.user), draft=draft, kinds_statuses={"article": ["published"]},
                   limit=SUGGESTIONS) if draft else []
    return render(request, "portal/_self_help_suggestions.html", {"hits": hits})


@login_required
@page_errors
@require_GET
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One ticket with its public timeline, and the confirm / reopen buttons when it awaits the user."""
    incident = visible_incident(request, number)
    if access_for(request.user).is_staff_member:
        return redirect(incident.get_absolute_url())
    return render(request, "portal/incident_detail.html", portal_context(request, incident))


@login_required
@page_errors
@require_POST
def incident_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Confirm solved / reopen (whatever describe_actions offers the viewer), back to the portal page."""
    incident = visible_incident(request, number)
    return take_action(request, incident, action, template="portal/incident_detail.html",
                       success_url=_detail_url(incident.number))


@login_required
@page_errors
@require_POST
def incident_comment(request: HttpRequest, number: str) -> HttpResponse:
    """A comment from the client side (never internal)."""
    incident = visible_incident(request, number)
    return add_comment(request, incident, template="portal/incident_detail.html",
                       success_url=_detail_url(incident.number) + "#timeline")


@login_required
@page_errors
@require_POST
def incident_attach(request: HttpRequest, number: str) -> HttpResponse:
    """A file from the client side (never internal)."""
    incident = visible_incident(request, number)
    return add_attachment(request, incident, template="portal/incident_detail.html",
                          success_url=_detail_url(incident.number) + "#timeline")


@login_required
@page_errors
@require_POST
def incident_rate(request: HttpRequest, number: str) -> HttpResponse:
    """Rate the service of a finished incident, once (a second rating is refused with the reason)."""
    incident = visible_incident(request, number)
    form = RatingForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.incident_rate(incident=incident, by=request.user, score=form.cleaned_data.get("score"),
                                   comment=form.cleaned_data.get("comment", ""))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect(_detail_url(incident.number) + "#rating")
    return render(request, "portal/incident_detail.html", portal_context(request, incident, rating_form=form),
                  status=status)
