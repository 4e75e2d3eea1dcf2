"""Receivers that keep the index current. Database triggers (ddl.py) queue every write of an indexed table
in the writer's transaction; these receivers index at once:

- post_save / post_delete of a registered model (ORM writes: the admin, scripts): inside the writer's
  transaction, so the index row commits or rolls back with the record;
- after an incident was created or acted on (services write with prepared statements and UPDATEs that send
  no model signals): a background job indexes it off the request path (tasks.drain_index, shared by the
  writes of a quarter of a second; tasks.index_record when jobs run immediately);
- whatever else is queued (a process that died after its commit, bulk loads): by each search (a small
  batch), the periodic job (tasks.catch_up_index) and `search_rebuild`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db.models.signals import post_delete, post_save


def on_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    from . import services

    if not raw:
        services.index_object(instance)


def on_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from . import services
    from .registry import adapter_for_model

    adapter = adapter_for_model(sender)
    if adapter is not None and instance.pk is not None:
        services.remove_object(kind=adapter.kind, object_id=instance.pk)


# A burst of writes (a monitoring storm, an import through the API) shares its indexing jobs: per process,
# the first write after a quiet spell queues a job at once (an incident logged on the phone is findable
# within moments), and the writes of the next KICK_WINDOW seconds share one job that runs when the window
# ends. At most two jobs per window and process instead of one per write; each drains the queue in batches.
KICK_WINDOW = 0.25
_clock = time.monotonic
_kick_lock = threading.Lock()
_window_ends = 0.0
_trailing_queued = False


def on_committed_write(sender: Any, incident_id: int | None = None, **kwargs: Any) -> None:
    """An incident was written and committed: a job indexes it (its queue rows go with it)."""
    from huey.contrib.djhuey import HUEY

    from .tasks import drain_index, index_record

    global _window_ends, _trailing_queued
    if not incident_id:
        return
    if HUEY.immediate:  # tests and `HUEY_IMMEDIATE`: index this record now, in this process
        index_record("incident", int(incident_id))
        return
    now = _clock()
    with _kick_lock:
        if now >= _window_ends:
            _window_ends, _trailing_queued, kick = now + KICK_WINDOW, False, "now"
        elif not _trailing_queued:
            _trailing_queued, kick = True, "trailing"
        else:
            return
        delay = _window_ends - now
    if kick == "now":
        drain_index()
    else:  # runs after the window, so after the commit of every write that relied on it
        drain_index.schedule(delay=delay)


def connect() -> None:
    from opsdesk.incidents.events import incident_action_taken, incident_created

    from .registry import adapters

    for adapter in adapters():
        post_save.connect(on_saved, sender=adapter.model, dispatch_uid=f"search.saved.{adapter.kind}")
        post_delete.connect(on_deleted, sender=adapter.model, dispatch_uid=f"search.deleted.{adapter.kind}")
    incident_created.connect(on_committed_write, dispatch_uid="search.incident_created")
    incident_action_taken.connect(on_committed_write, dispatch_uid="search.incident_action_taken")
