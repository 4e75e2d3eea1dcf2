"""Writes to core records that no domain app owns (housekeeping)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import IdempotencyKey

IDEMPOTENCY_TTL = dt.timedelta(hours=48)


@transaction.atomic
def idempotency_keys_purge(*, older_than: dt.timedelta = IDEMPOTENCY_TTL) -> int:
    """Forget Idempotency-Key replays older than `older_than` (clients retry within minutes, not days)."""
    cutoff = timezone.now() - older_than
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        audit_record(actor=None, action="idempotency_keys.purge", object_type="core.idempotencykey",
                     object_id="*", after={"deleted": deleted, "before": cutoff.isoformat()})
    return deleted
