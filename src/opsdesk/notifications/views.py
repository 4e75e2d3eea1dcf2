"""Notification pages: the list (消息中心), opening one (marks it read, goes to the ticket), marking all read,
and the bell's unread badge, fetched by htmx after the page so no page pays for the count. Thin: reads
through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.http import page_errors

from . import delivery, selectors, services
from .choices import DeliveryStatus, NotificationChannel, NotificationKind
from .forms import PreferencesForm, RobotForm


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


# --- my notification settings ------------------------------------------------------------------------------

@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def preferences_edit(request: HttpRequest) -> HttpResponse:
    """My notification settings: a matrix of kinds × channels (in-app always on, e-mail per kind) and the
    language of my messages."""
    user = request.user
    rows = selectors.notification_preferences(user=user)
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preferences_save(user=user, email=form.email_choices(),
                                                       language=form.cleaned_data["language"])
            except ValidationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Notification settings saved."))
                return redirect("notifications:preferences_edit")
        status = 422
    else:
        form = PreferencesForm(initial={"language": user.language, **{f"email_{r.kind}": r.email for r in rows}})
    matrix = [{"row": r, "email_field": form[f"email_{r.kind}"]} for r in rows]
    return render(request, "notifications/preferences_edit.html",
                  {"form": form, "matrix": matrix, "has_address": bool(user.email),
                   "manages_robots": _may_manage_any(user)}, status=status)


# --- group robots ------------------------------------------------------------------------------------------

def _contract_choices(user: Any) -> list[tuple[int, str]]:
    return [(c.pk, f"{c.code} {c.name}") for c in selectors.managed_contracts(user=user)]


def _may_manage_any(user: Any) -> bool:
    ids = selectors.managed_contract_ids(user=user)
    return ids is None or bool(ids)


@login_required
@page_errors
@require_GET
def robot_list(request: HttpRequest) -> HttpResponse:
    """The group robots of the contracts the viewer manages (project managers, system administrators)."""
    if not _may_manage_any(request.user):
        raise NotFound()
    robots = list(selectors.robot_list(visible_to=request.user))
    return render(request, "notifications/robot_list.html", {"robots": robots})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def robot_create(request: HttpRequest) -> HttpResponse:
    """Add a group robot to one of the contracts the viewer manages."""
    contracts = _contract_choices(request.user)
    if not contracts:
        raise NotFound()
    form = RobotForm(request.POST or None, contracts=contracts,
                     initial={"language": request.user.language, "kinds": list(NotificationKind.values)})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                robot = services.robot_create(by=request.user, contract_id=data["contract"],
                                              provider=data["provider"], name=data["name"],
                                              webhook_url=data["webhook_url"], secret=data["secret"],
                                              kinds=data["kinds"], language=data["language"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Robot %(name)s added.") % {"name": robot.name})
                return redirect("notifications:robot_list")
        return render(request, "notifications/robot_form.html", {"form": form, "robot": None}, status=422)
    return render(request, "notifications/robot_form.html", {"form": form, "robot": None})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def robot_edit(request: HttpRequest, robot_id: int) -> HttpResponse:
    """Change a robot (name, webhook, secret, kinds, language, active)."""
    robot = selectors.robot_get(pk=robot_id, visible_to=request.user)
    form = RobotForm(request.POST or None, contracts=[], editing=True,
                     initial={"name": robot.name, "webhook_url": robot.webhook_url, "kinds": robot.kinds,
                              "language": robot.language, "is_active": robot.is_active})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.robot_update(robot=robot, by=request.user, name=data["name"],
                                      webhook_url=data["webhook_url"], secret=data["secret"] or None,
                                      kinds=data["kinds"], language=data["language"], is_active=data["is_active"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Robot %(name)s saved.") % {"name": robot.name})
                return redirect("notifications:robot_list")
        return render(request, "notifications/robot_form.html", {"form": form, "robot": robot}, status=422)
    return render(request, "notifications/robot_form.html", {"form": form, "robot": robot})


@login_required
@page_errors
@require_POST
def robot_disable(request: HttpRequest, robot_id: int) -> HttpResponse:
    """Disable a robot: it receives nothing more."""
    robot = selectors.robot_get(pk=robot_id, visible_to=request.user)
    services.robot_disable(robot=robot, by=request.user)
    messages.success(request, _("Robot %(name)s disabled.") % {"name": robot.name})
    return redirect("notifications:robot_list")


@login_required
@page_errors
@require_POST
def robot_test(request: HttpRequest, robot_id: int) -> HttpResponse:
    """Send a test message to the robot's group now and show the provider's answer."""
    robot = selectors.robot_get(pk=robot_id, visible_to=request.user)
    answer = delivery.robot_test_send(robot=robot, by=request.user)
    if answer.ok:
        messages.success(request, _("Test message sent to %(name)s.") % {"name": robot.name})
    else:
        messages.error(request, _("The test message to %(name)s failed: %(error)s") %
                       {"name": robot.name, "error": answer.error})
    return redirect("notifications:robot_list")


# --- the notification log ----------------------------------------------------------------------------------

@login_required
@page_errors
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    """The notification log: every outgoing delivery and its attempts, of the contracts the viewer manages,
    filtered by channel, status and ticket number."""
    if not _may_manage_any(request.user):
        raise NotFound()
    channel = request.GET.get("channel", "")
    status = request.GET.get("status", "")
    filters = selectors.DeliveryFilters(
        channel=channel if channel in NotificationChannel.values else "",
        status=status if status in DeliveryStatus.values else "",
        ticket=request.GET.get("ticket", "")[:40])
    page = selectors.delivery_page(visible_to=request.user, filters=filters,
                                   cursor=request.GET.get("cursor") or None)
    return render(request, "notifications/delivery_list.html",
                  {"page": page, "filters": filters, "channels": NotificationChannel.choices[1:],
                   "statuses": DeliveryStatus.choices})
