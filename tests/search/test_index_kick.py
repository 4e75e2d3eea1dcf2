"""A burst of creations shares its indexing jobs (search/events.py): per process, the first write after a
quiet spell queues a job at once, the writes of the next quarter second one job at the window's end."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from opsdesk.search import events
from opsdesk.search.models import SearchEntry, SearchPending

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_jobs(monkeypatch):
    """Jobs are queued (in huey's in-memory storage), not run at once as elsewhere in the tests."""
    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(events, "_window_ends", 0.0)
    monkeypatch.setattr(events, "_trailing_queued", False)
    now = [1000.0]
    monkeypatch.setattr(events, "_clock", lambda: now[0])
    HUEY.storage.flush_all()
    yield now
    HUEY.storage.flush_all()


def create(world, django_capture_on_commit_callbacks, n: int):
    with django_capture_on_commit_callbacks(execute=True):
        return [world.incident(title=f"税控盘无法识别 {i}") for i in range(n)]


def queued() -> tuple[list, list]:
    """The jobs queued to run at once, and those to run later (with an `eta`; the consumer holds them)."""
    tasks = HUEY.pending()
    return [t for t in tasks if t.eta is None], [t for t in tasks if t.eta is not None]


def run_jobs() -> None:
    """Run the queued jobs as the consumer would (in immediate mode, which keeps the test's connection open)."""
    tasks = HUEY.pending()
    HUEY._immediate = True
    for task in tasks:
        HUEY.execute(task)


def test_a_burst_queues_two_jobs_that_index_it_all(world, queued_jobs, django_capture_on_commit_callbacks):
    incidents = create(world, django_capture_on_commit_callbacks, 1) + \
        create(world, django_capture_on_commit_callbacks, 29)
    now, later = queued()
    assert [t.name for t in now] == ["drain_index"]  # the first write: at once
    assert [t.name for t in later] == ["drain_index"]  # the other 29 share one job at the end of the window
    assert SearchPending.objects.count() == 30 and not SearchEntry.objects.exists()
    run_jobs()
    assert not SearchPending.objects.exists()
    assert set(SearchEntry.objects.filter(kind="incident").values_list("object_id", flat=True)) == \
        {i.pk for i in incidents}


def test_after_the_window_the_next_write_queues_at_once_again(world, queued_jobs,
                                                              django_capture_on_commit_callbacks):
    create(world, django_capture_on_commit_callbacks, 2)
    queued_jobs[0] += events.KICK_WINDOW + 0.01
    create(world, django_capture_on_commit_callbacks, 1)
    now, later = queued()
    assert (len(now), len(later)) == (2, 1)
