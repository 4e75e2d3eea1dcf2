"""Receivers that keep the index current. Database triggers (ddl.py) queue every write of an indexed table
in the writer's transaction; these receivers index at once:

- post_save / post_delete of a registered model (ORM writes: the admin, scripts): inside the writer's
  transaction, so the index row commits or rolls back with the record;
- after an incident was created or acted on (services write with prepared statements and UPDATEs that send
  no model signals): a background job indexes that incident (tasks.index_record), off the request path;
- whatever else is queued (a process that died after its commit, bulk loads): by each search (a small
  batch), the periodic job (tasks.catch_up_index) and `search_rebuild`.
"""

from __future__ import annotations

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


def on_committed_write(sender: Any, incident_id: int | None = None, **kwargs: Any) -> None:
    """An incident was written and committed: a job indexes it (its queue rows go with it)."""
    from .tasks import index_record

    if incident_id:
        index_record("incident", int(incident_id))


def connect() -> None:
    from opsdesk.incidents.events import incident_action_taken, incident_created

    from .registry import adapters

    for adapter in adapters():
        post_save.connect(on_saved, sender=adapter.model, dispatch_uid=f"search.saved.{adapter.kind}")
        post_delete.connect(on_deleted, sender=adapter.model, dispatch_uid=f"search.deleted.{adapter.kind}")
    incident_created.connect(on_committed_write, dispatch_uid="search.incident_created")
    incident_action_taken.connect(on_committed_write, dispatch_uid="search.incident_action_taken")
