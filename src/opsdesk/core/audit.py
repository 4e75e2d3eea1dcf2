"""The audit trail: every service function writes one entry per write, inside its transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from . import sql
from .context import source_ip
from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a model instance as JSON-ready values (foreign keys as their ids)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = _jsonable(getattr(instance, attname))
    return out


def audit_record(*, actor: Any, action: str, instance: models.Model | None = None, object_type: str = "",
                 object_id: str = "", object_repr: str = "", before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one audit entry. Call inside the transaction of the write it describes."""
    # core.sql.insert: every service writes one, so it is one prepared statement rather than an ORM save.
    return sql.insert(audit_entry(actor=actor, action=action, instance=instance, object_type=object_type,
                                  object_id=object_id, object_repr=object_repr, before=before, after=after))


def audit_entry(*, actor: Any, action: str, instance: models.Model | None = None, object_type: str = "",
                object_id: str = "", object_repr: str = "", before: dict[str, Any] | None = None,
                after: dict[str, Any] | None = None) -> AuditEntry:
    """The entry `audit_record` appends, unsaved: for a service that inserts it together with other rows
    (`core.sql.insert_rows`), inside the transaction of the write it describes."""
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)[:200]
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(getattr(actor, "username", "") or "system")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        source_ip=source_ip.get(),
    )
