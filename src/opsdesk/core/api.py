"""API plumbing shared by every router: bearer-token auth, the one error format, idempotent creates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from opsdesk.accounts.selectors import user_by_token

from .errors import Conflict, ValidationError
from .models import IdempotencyKey


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token's owner becomes request.user."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_by_token(token)
        if user is not None:
            request.user = user
        return user


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def idempotent(request: HttpRequest, *, scope: str, payload: Any,
               create: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `create` once per (user, Idempotency-Key, scope); a replay returns the first response.

    The key row is inserted in the same transaction as the creation, so a crash leaves neither, and two
    concurrent requests with one key cannot both create (the unique constraint makes the second wait, then
    fail; it then reads the stored response). Reusing a key for a different payload is a 422.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create()
    if len(key) > 200:
        raise ValidationError(fields={"Idempotency-Key": _("At most %(n)d characters.") % {"n": 200}})
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    user = request.user
    existing = IdempotencyKey.objects.filter(user=user, key=key, scope=scope).first()
    if existing is None:
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, scope=scope, request_hash=digest)
                status, body = create()
                record.status_code, record.response = status, body
                record.save(update_fields=["status_code", "response"])
                return status, body
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key, scope=scope).first()
            if existing is None:
                raise
    if existing.request_hash != digest:
        raise ValidationError(_("This Idempotency-Key was already used for a different request."),
                              fields={"Idempotency-Key": _("Already used for a different request.")},
                              code="idempotency_key_reused")
    if existing.status_code is None:
        raise Conflict(_("A request with this Idempotency-Key is still being processed."))
    return existing.status_code, existing.response
