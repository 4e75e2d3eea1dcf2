"""Writes to core records that no domain app owns (housekeeping)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .db import one_or_none
from .errors import Conflict, ValidationError
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


def idempotency_run(*, user: Any, key: str, scope: str, request_hash: str,
                    create: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `create` once per (user, Idempotency-Key, scope); a replay returns the first response.

    The key row is inserted in the same transaction as the creation, so a crash leaves neither, and two
    concurrent requests with one key cannot both create (the unique constraint makes the second wait, then
    fail; it then reads the stored response). Reusing a key for a different request is a ValidationError.
    Not audited itself: the creation it wraps is.
    """
    existing = one_or_none(IdempotencyKey.objects.filter(user=user, key=key, scope=scope))
    if existing is None:
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, scope=scope, request_hash=request_hash)
                status, body = create()
                record.status_code, record.response = status, body
                record.save(update_fields=["status_code", "response"])
                return status, body
        except IntegrityError:
            existing = one_or_none(IdempotencyKey.objects.filter(user=user, key=key, scope=scope))
            if existing is None:
                raise
    if existing.request_hash != request_hash:
        raise ValidationError(_("This Idempotency-Key was already used for a different request."),
                              fields={"Idempotency-Key": _("Already used for a different request.")},
                              code="idempotency_key_reused")
    if existing.status_code is None:
        raise Conflict(_("A request with this Idempotency-Key is still being processed."))
    return existing.status_code, existing.response


def clean_text(errors: dict[str, str], name: str, value: Any, *, required: bool = False,
               max_length: int = 20000) -> str:
    """A text input stripped; a problem with it (required, too long, NUL) goes into `errors[name]`."""
    from django.utils.translation import gettext

    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[name] = gettext("Null characters are not allowed.")
    elif required and not text:
        errors[name] = gettext("This field is required.")
    elif len(text) > max_length:
        errors[name] = gettext("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text
