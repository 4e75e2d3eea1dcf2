"""Requester portal: one's own tickets (a client contact: the organisation's), report a problem, follow a
ticket, comment, attach a file, confirm the solution or reopen it.

Everything is read through the incident selectors with the viewer, so a ticket that is not one's own does
not exist here (404). The detail helpers are the staff pages' own, so both take actions the same way.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.selectors import access_for
from opsdesk.core.http import page_errors
from opsdesk.incidents import selectors
from opsdesk.incidents.views import (
    add_attachment,
    add_comment,
    create_from_form,
    detail_context,
    level_options,
    list_page,
    take_action,
    visible_incident,
)

from .forms import PortalIncidentForm

TABS = {"open": ["open"], "all": []}


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
    return render(request, "portal/home.html", {"page": page, "tab": tab})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Report a problem (channel: portal) on one of one's own contracts."""
    status = 200
    if request.method == "POST":
        form = PortalIncidentForm(request.POST, user=request.user)
        incident = create_from_form(request, form)
        if incident is not None:
            messages.success(request, _("Thank you. Your problem was recorded as %(number)s; we will contact "
                                        "you.") % {"number": incident.number})
            return redirect(_detail_url(incident.number))
        status = 422
    else:
        form = PortalIncidentForm(user=request.user)
    return render(request, "portal/incident_create.html",
                  {"form": form, "level_options": level_options(form["level"].value())}, status=status)


@login_required
@page_errors
@require_GET
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One ticket with its public timeline, and the confirm / reopen buttons when it awaits the user."""
    incident = visible_incident(request, number)
    if access_for(request.user).is_staff_member:
        return redirect(incident.get_absolute_url())
    return render(request, "portal/incident_detail.html", detail_context(request, incident))


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
