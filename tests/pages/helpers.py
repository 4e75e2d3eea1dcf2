"""Small helpers of the page tests."""

from __future__ import annotations

from django.test import Client

from opsdesk.incidents.models import Incident


def fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def act(client: Client, incident: Incident, action: str, *, portal: bool = False, version: int | None = None,
        **data):
    """POST an action form the way the detail page does (with the record's current version)."""
    version = fresh(incident).version if version is None else version
    base = "/portal/incidents" if portal else "/incidents"
    return client.post(f"{base}/{incident.number}/actions/{action}/", {"version": version, **data})


def text(response) -> str:
    return response.content.decode()
