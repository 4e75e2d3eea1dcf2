"""Thin jobs of the search app."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import services


@db_task(retries=3, retry_delay=10)
def index_record(kind: str, object_id: int) -> None:
    """Index one record right after its writer committed (its queue rows go with it). Off the request path:
    the queue row the trigger wrote makes a lost job harmless (the next search or the catch-up takes it)."""
    services.index_pending_of(kind=kind, object_id=object_id)


@db_task(retries=3, retry_delay=10)
def drain_index() -> None:
    """Index everything the triggers queued: the job a burst of writes shares (search/events.py)."""
    services.drain_all()


def catch_up_index() -> int:
    """Index whatever is still queued (a process that died between its commit and its job). Idempotent,
    safe on any number of workers. Scheduled every minute in config/schedule.py."""
    return services.drain_all()
