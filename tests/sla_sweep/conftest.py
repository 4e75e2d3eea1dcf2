"""Fixtures of the sweep tests: default calendars, policies on contract A, an emergency team lead, and a
recorder of the `sla_event` signals that are sent."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from opsdesk.calendars.defaults import install_defaults
from opsdesk.calendars.models import Calendar
from opsdesk.core.models import Activity
from opsdesk.incidents.models import Incident
from opsdesk.sla import services as sla
from opsdesk.sla.choices import Preset, Tier
from opsdesk.sla.models import SlaPolicy
from opsdesk.sla.selectors import forget_caches
from opsdesk.sla.signals import sla_event

from ..factories import UserFactory, grant

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendars(db) -> dict[str, Calendar]:
    """The default calendars (24x7 and 5x8 with China's holidays); a flushing test may have removed them."""
    install_defaults()
    forget_caches()
    ContentType.objects.clear_cache()
    return {c.code: c for c in Calendar.objects.all()}


@pytest.fixture
def gold(world, calendars) -> SlaPolicy:
    """Contract A on gold: every target on 7x24 (business time is wall time)."""
    return sla.sla_policy_create(by=None, contract=world.contract_a, tier=Tier.GOLD, preset=Preset.VENDOR)


@pytest.fixture
def standard(world, calendars) -> SlaPolicy:
    """Contract A on standard: every target on 5x8."""
    return sla.sla_policy_create(by=None, contract=world.contract_a, tier=Tier.STANDARD, preset=Preset.VENDOR)


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


def timeline(incident: Incident, action: str) -> list[Activity]:
    ct = ContentType.objects.get_for_model(Incident)
    return list(Activity.objects.filter(content_type=ct, object_id=incident.pk, action=action).order_by("id"))
