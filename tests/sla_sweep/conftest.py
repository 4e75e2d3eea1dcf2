"""Fixtures of the sweep tests: default calendars, policies on contract A, an emergency team lead, and a
recorder of the `sla_event` signals that are sent."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from opsdesk.core.models import Activity
from opsdesk.incidents.models import Incident
from opsdesk.sla.signals import sla_event
from opsdesk.sla.sweep import sla_sweep

from ..factories import UserFactory, grant
from ..sla.conftest import SHANGHAI, calendars, gold, local, standard  # noqa: F401  (shared with the SLA tests)

MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def lead(world):
    """The emergency team lead of contract A (told about breaches and escalations at levels 1–2)."""
    return grant(UserFactory(username="lead", full_name="应急组长"), "emergency_lead", world.contract_a)


class Recorder:
    """Collects the sla_event signals sent (from any thread)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        with self._lock:
            self.events.append(kwargs)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == kind]


@pytest.fixture
def signals():
    recorder = Recorder()
    sla_event.connect(recorder, weak=False, dispatch_uid="tests.sla_sweep.recorder")
    yield recorder
    sla_event.disconnect(dispatch_uid="tests.sla_sweep.recorder")


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """A sweep whose after-commit signals run (the test's transaction never commits)."""
    def run(now: dt.datetime, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sla_sweep(now=now, **kwargs)
    return run


def timeline(incident: Incident, action: str) -> list[Activity]:
    ct = ContentType.objects.get_for_model(Incident)
    return list(Activity.objects.filter(content_type=ct, object_id=incident.pk, action=action).order_by("id"))
