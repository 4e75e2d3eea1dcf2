"""Incident pages (placeholder)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def workbench(request):
    return HttpResponse("workbench")
