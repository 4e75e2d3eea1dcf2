"""The every-minute job and `opsdesk manage sla_sweep`."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.config.schedule import sla_sweep_every_minute

from .conftest import timeline

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("minute", [dt.datetime(2026, 11, 22, 3, 17), dt.datetime(2026, 12, 31, 23, 59)])
def test_the_sweep_is_scheduled_every_minute(minute):
    assert "sla_sweep_every_minute" in {task.name for task in HUEY.read_periodic(minute)}


def test_the_periodic_job_sweeps_now(world, gold):
    inc = world.incident(level=3, reported_at=timezone.now() - dt.timedelta(hours=3))
    counts = sla_sweep_every_minute.call_local()
    assert counts["breaches"] == 1 and len(timeline(inc, "sla_breach")) == 1
    assert sla_sweep_every_minute.call_local()["breaches"] == 0


def test_the_command_prints_the_counts(world, gold):
    t0 = timezone.now()
    world.incident(level=3, reported_at=t0)
    out = io.StringIO()
    call_command("sla_sweep", "--json", "--now", (t0 + dt.timedelta(hours=3)).isoformat(), stdout=out)
    assert json.loads(out.getvalue())["breaches"] == 1
    out = io.StringIO()
    call_command("sla_sweep", stdout=out)
    assert out.getvalue().strip() == "warnings=0 breaches=0 escalations=0 skipped=0 batches=0"


@pytest.mark.parametrize(("args", "message"), [(["--now", "yesterday"], "--now"),
                                               (["--batch-size", "0"], "--batch-size")])
def test_the_command_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sla_sweep", *args, stdout=io.StringIO())
