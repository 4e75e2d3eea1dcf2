"""Notification pages: the list (消息中心), opening one (marks it read, goes to the ticket), marking all read,
and the bell's unread badge, fetched by htmx after the page so no page pays for the count. Thin: reads
through selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.core.http import page_errors

from . import selectors, services


@login_required
@page_errors
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The viewer's notifications, newest first, unread ones highlighted."""
    unread_only = request.GET.get("unread") == "1"
    page = selectors.notification_page(visible_to=request.user, cursor=request.GET.get("cursor") or None,
                                       unread_only=unread_only)
    return render(request, "notifications/notification_list.html", {"page": page, "unread_only": unread_only})


@login_required
@page_errors
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open a notification: mark it read and go to its ticket (someone else's is a 404)."""
    found = selectors.notification_get(pk=notification_id, visible_to=request.user)
    services.notification_mark_read(notification=found, by=request.user)
    if found.url and url_has_allowed_host_and_scheme(found.url, allowed_hosts={request.get_host()}):
        return redirect(found.url)
    return redirect("notifications:notification_list")


@login_required
@page_errors
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every unread notification of the viewer read."""
    marked = services.notifications_mark_all_read(by=request.user)
    if marked:
        messages.success(request, _("%(n)d notifications marked read.") % {"n": marked})
    return redirect("notifications:notification_list")


@login_required
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread badge (an htmx fragment): one COUNT on the partial index of unread rows."""
    count = selectors.notification_unread_count(visible_to=request.user)
    # Rendered without the request: the navigation's context processor (the viewer's grants) is not needed.
    return HttpResponse(render_to_string("notifications/_bell.html", {"unread": count}))
