"""Fixtures of the SLA tests: the installation's calendars, and policies on the world's contract A."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from opsdesk.calendars.defaults import install_defaults
from opsdesk.calendars.models import Calendar
from opsdesk.sla import services as sla
from opsdesk.sla.choices import Preset, Tier
from opsdesk.sla.models import SlaPolicy
from opsdesk.sla.selectors import forget_caches

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """An Asia/Shanghai instant: local(2026, 11, 23, 9, 0)."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendars(db) -> dict[str, Calendar]:
    """The default calendars (24x7 and 5x8 with China's holidays); a flushing test may have removed them, so
    they are put back and the process caches keyed by their ids forgotten."""
    install_defaults()
    forget_caches()
    ContentType.objects.clear_cache()
    return {c.code: c for c in Calendar.objects.all()}


@pytest.fixture
def gold(world, calendars) -> SlaPolicy:
    """Contract A on gold: every target on 7x24, so business time is wall time."""
    return sla.sla_policy_create(by=None, contract=world.contract_a, tier=Tier.GOLD, preset=Preset.VENDOR)


@pytest.fixture
def standard(world, calendars) -> SlaPolicy:
    """Contract A on standard: every target on 5x8 (China's working days and hours)."""
    return sla.sla_policy_create(by=None, contract=world.contract_a, tier=Tier.STANDARD, preset=Preset.VENDOR)


def clocks_from(incident, at: dt.datetime):
    """Restart an incident's SLA life at `at` (a fixed instant, e.g. before a holiday): its clocks are
    removed and started again through the service, its `reported_at` moved there."""
    from opsdesk.incidents.models import Incident
    from opsdesk.sla.models import SlaClock

    SlaClock.objects.filter(object_id=incident.pk, content_type__model="incident").delete()
    Incident.objects.filter(pk=incident.pk).update(reported_at=at, sla_state="", sla_due_at=None)
    incident.reported_at, incident.sla_state, incident.sla_due_at = at, "", None
    return {c.metric: c for c in sla.clocks_start(incident, at=at)}


def clock(incident, metric: str):
    from opsdesk.sla.models import SlaClock

    return SlaClock.objects.get(object_id=incident.pk, content_type__model="incident", metric=metric)
