"""The demo asset set builds through the services and leaves every approver something to do."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from opsdesk.assets.models import AcquisitionRequest, Asset, AssetCheck, Repair, ScrapRequest, TakeOut
from opsdesk.demo import DEFAULT_SEED, SimulatedClock, _build_world
from opsdesk.demo_assets import build_assets


def test_demo_assets(db):
    now = timezone.now()
    start = now - dt.timedelta(days=60)
    with SimulatedClock(start) as clock:
        world = _build_world(random.Random(DEFAULT_SEED), start)
        build_assets(world, clock, now)
    assert Asset.objects.count() >= 20
    assert set(TakeOut.objects.values_list("status", flat=True)) >= {
        "requested", "device_approved", "security_approved", "taken_out", "returned", "rejected"}
    assert [t.is_overdue for t in TakeOut.objects.filter(status="taken_out")] == [True]
    assert [r.is_overdue for r in Repair.objects.filter(status="sent_out")] == [True]
    assert Repair.objects.filter(status="awaiting_approval", quotes__authorised=True).distinct().count() == 1
    assert set(ScrapRequest.objects.values_list("status", flat=True)) == {"requested", "pm_approved", "scrapped",
                                                                        "rejected"}
    assert set(AcquisitionRequest.objects.values_list("status", flat=True)) == {"requested", "approved", "issued",
                                                                              "rejected"}
    check = AssetCheck.objects.get()
    assert check.status == "open" and check.lines.exclude(result="").exists()
