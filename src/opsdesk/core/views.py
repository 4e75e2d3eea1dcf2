"""Site-wide views: the landing redirect and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from opsdesk.accounts.selectors import access_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff land on the workbench, client people on the portal."""
    if access_for(request.user).is_staff_member:
        return redirect("incidents:workbench")
    return redirect("portal:home")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def my_approvals(request: HttpRequest) -> HttpResponse:
    """我的审批: everything waiting for the signed-in person's decision, across procedures, oldest first."""
    from .approvals import pending_for

    return render(request, "core/my_approvals.html", {"items": pending_for(request.user)})
