"""Exactly once under concurrency and crashes, on the configured database (SQLite file or PostgreSQL):
two sweepers in threads with their own connections, two `opsdesk manage sla_sweep` processes, a sweeper
killed with SIGKILL half-way, and two Huey consumers on the configured queue (Redis when
OPSDESK_REDIS_URL is set, else SQLite storage)."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.sla.models import SlaClock
from opsdesk.sla.sweep import sla_sweep
from opsdesk.sla.tasks import sweep_sla

from ..servers import process_env

pytestmark = pytest.mark.django_db(transaction=True)

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
OPSDESK = str(Path(sys.executable).parent / "opsdesk")
WAIT = 120  # seconds: a generous bound on polling loops, never a sleep the test relies on


class Due:
    """Incidents whose SLA events are due at `now`, in three groups: a 75 % response warning (reported
    1 h 40 ago), a response breach (3 h ago), a response breach and a 3 → 2 escalation (4 h 10 ago)."""

    def __init__(self, world, per_group: int) -> None:
        real = timezone.now()
        self.groups: dict[str, list[Incident]] = {}
        for name, age in (("warn", 100 * M), ("breach", 3 * H), ("escalate", 4 * H + 10 * M)):
            self.groups[name] = [world.incident(level=3, reported_at=real - age, title=f"{name} {i}")
                                 for i in range(per_group)]
        self.now = timezone.now()
        self.n = per_group

    @property
    def events(self) -> int:
        return 4 * self.n

    def done(self) -> int:
        """Events recorded so far (committed): timeline entries of warnings, breaches and escalations."""
        return Activity.objects.filter(action__in=("sla_warning", "sla_breach", "change_level")).count()

    def assert_exactly_once(self) -> None:
        ct = ContentType.objects.get_for_model(Incident)
        per = Counter(Activity.objects.filter(content_type=ct, action__in=("sla_warning", "sla_breach",
                                                                           "change_level"))
                      .values_list("object_id", "action"))
        for inc in self.groups["warn"]:
            assert (per[(inc.pk, "sla_warning")], per[(inc.pk, "sla_breach")]) == (1, 0), inc.title
        for inc in self.groups["breach"]:
            assert (per[(inc.pk, "sla_warning")], per[(inc.pk, "sla_breach")]) == (0, 1), inc.title
        for inc in self.groups["escalate"]:
            assert (per[(inc.pk, "sla_breach")], per[(inc.pk, "change_level")]) == (1, 1), inc.title
        levels = Counter(Incident.objects.values_list("level", flat=True))
        assert levels == {3: 2 * self.n, 2: self.n}  # an escalation taken twice would have reached level 1
        audit = Counter(AuditEntry.objects.values_list("action", flat=True))
        assert (audit["sla.warning"], audit["sla.breach"], audit["sla.escalate"], audit["incident.change_level"]) \
            == (self.n, 2 * self.n, self.n, self.n)
        stages = Counter(SlaClock.objects.filter(metric="response").values_list("notified_stage", flat=True))
        assert stages == {1: self.n, 3: 2 * self.n}


def test_two_sweepers_in_threads(world, gold, signals):
    due = Due(world, per_group=10)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = sla_sweep(now=due.now, batch_size=3)
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT)
    assert not any(t.is_alive() for t in threads)
    assert not any(isinstance(r, Exception) for r in results), results
    totals = Counter()
    for r in results:
        totals.update({"warnings": r.warnings, "breaches": r.breaches, "escalations": r.escalations})
    assert totals == {"warnings": 10, "breaches": 20, "escalations": 10}
    due.assert_exactly_once()
    sent = Counter(e["kind"] for e in signals.events)
    assert sent == {"warning": 10, "breach": 20, "escalation": 10}
    assert len({e["activity_id"] for e in signals.events}) == 40


# --- other processes -------------------------------------------------------------------------------------

def sweeper(env: dict[str, str], now: dt.datetime, *, batch_size: int) -> subprocess.Popen[str]:
    command = [OPSDESK, "manage", "sla_sweep", "--json", "--now", now.isoformat(), "--batch-size", str(batch_size)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def test_two_sweep_commands_at_once(world, gold, tmp_path):
    due = Due(world, per_group=15)
    env = process_env(tmp_path / "data")
    procs = [sweeper(env, due.now, batch_size=4) for _ in range(2)]
    outputs = [p.communicate(timeout=WAIT) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _out, err in outputs]
    counts = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sum(c["escalations"] for c in counts) == 15 and sum(c["breaches"] for c in counts) == 30
    assert sum(c["warnings"] for c in counts) == 15
    due.assert_exactly_once()


def test_a_sweeper_killed_mid_sweep_loses_and_repeats_nothing(world, gold, tmp_path):
    due = Due(world, per_group=40)
    env = process_env(tmp_path / "data")
    proc = sweeper(env, due.now, batch_size=3)
    deadline = time.monotonic() + WAIT
    while due.done() == 0:  # the first batch has committed: the sweeper is in the middle of the run
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweeper never committed a batch"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT)
    assert proc.returncode == -signal.SIGKILL
    at_kill = due.done()
    assert 0 < at_kill < due.events  # killed half-way
    again = sweeper(env, due.now, batch_size=50)
    out, err = again.communicate(timeout=WAIT)
    assert again.returncode == 0, err
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts["warnings"] + counts["breaches"] + counts["escalations"] == due.events - at_kill
    due.assert_exactly_once()


# --- the job through the queue -----------------------------------------------------------------------

@pytest.fixture
def private_queue(tmp_path):
    """This test's own queue on the configured storage, so consumers and other tests never share tasks:
    a queue name of its own on Redis (OPSDESK_REDIS_URL), else the SQLite storage file of the consumers'
    data directory. Yields (huey, environment of the consumers)."""
    saved = (HUEY.name, HUEY.storage)
    HUEY.immediate = False
    env: dict[str, str] = {}
    if settings.REDIS_URL:
        HUEY.name = env["OPSDESK_HUEY_NAME"] = f"sla-sweep-test-{uuid.uuid4().hex[:8]}"
        HUEY.storage = HUEY.create_storage()
    else:
        (tmp_path / "data").mkdir()
        HUEY.storage = HUEY.get_storage(**{**HUEY.storage_kwargs, "filename": str(tmp_path / "data" / "huey.sqlite3")})
    yield HUEY, env
    HUEY.flush()
    HUEY.name, HUEY.storage = saved
    HUEY.immediate = True


def test_two_queue_consumers_run_the_job_once_per_event(world, gold, tmp_path, private_queue):
    huey, queue_env = private_queue
    due = Due(world, per_group=10)
    huey.flush()  # the incidents' own jobs (search index) are not this test's subject
    env = {**process_env(tmp_path / "data"), **queue_env}
    jobs = [sweep_sla(due.now.isoformat()) for _ in range(4)]  # the periodic job, retried and doubled
    assert huey.pending_count() == 4
    command = [OPSDESK, "manage", "run_huey", "--workers", "2", "--worker-type", "thread", "--no-periodic"]
    logs = [(tmp_path / f"consumer-{i}.log").open("w") for i in range(2)]
    consumers = [subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
                 for log in logs]
    try:
        results = [job.get(blocking=True, timeout=WAIT) for job in jobs]
    finally:
        for c in consumers:
            c.send_signal(signal.SIGTERM)
        for c, log in zip(consumers, logs, strict=True):
            try:
                c.wait(timeout=30)
            except subprocess.TimeoutExpired:
                c.kill()
                c.wait()
            log.close()
    totals = Counter()
    for r in results:
        totals.update({k: r[k] for k in ("warnings", "breaches", "escalations")})
    assert totals == {"warnings": 10, "breaches": 20, "escalations": 10}
    due.assert_exactly_once()
