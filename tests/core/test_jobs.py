"""Background jobs go through the real queue storage: SQLite by default, Redis when OPSDESK_REDIS_URL is set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.core.models import AuditEntry, IdempotencyKey
from opsdesk.core.tasks import purge_idempotency_keys


@pytest.fixture
def queued_huey():
    """Switch the test run's inline (immediate) Huey back to its configured storage for one test."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def test_storage_matches_configuration():
    expected = "RedisStorage" if settings.REDIS_URL else "SqliteStorage"
    HUEY.immediate = False
    try:
        assert type(HUEY.storage).__name__.endswith(expected)
    finally:
        HUEY.immediate = True


def test_periodic_jobs_are_registered_in_utc():
    due = {task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 22, 19, 17))}
    assert "purge_idempotency_keys_daily" in due
    # At 03:17 UTC only the every-minute jobs are due.
    assert {task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 22, 3, 17))} == {
        "sla_sweep_every_minute", "mail_poll_every_minute", "search_catch_up_every_minute"}


@pytest.mark.django_db(transaction=True)  # the job closes connections the way a real worker does
def test_purge_job_round_trips_through_the_queue(queued_huey, world):
    old = IdempotencyKey.objects.create(user=world.agent, key="k-old", scope="incidents.create", request_hash="x")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    IdempotencyKey.objects.create(user=world.agent, key="k-new", scope="incidents.create", request_hash="y")
    result = purge_idempotency_keys()
    assert queued_huey.pending_count() == 1
    task = queued_huey.dequeue()
    queued_huey.execute(task)
    assert result.get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-new"]
    assert AuditEntry.objects.filter(action="idempotency_keys.purge").count() == 1
