"""API plumbing shared by every router: bearer-token auth, the one error format, idempotent creates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from pydantic import AfterValidator, BaseModel, ModelWrapValidatorHandler, ValidationInfo, model_validator

from opsdesk.accounts.selectors import api_token_get
from opsdesk.accounts.services import api_token_touch

from .errors import ValidationError
from .services import idempotency_run

if TYPE_CHECKING:
    from opsdesk.accounts.models import User


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token's owner becomes request.user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_get(token)
        if found is None:
            return None
        api_token_touch(token=found)
        request.user = found.user
        return found.user


def api_user(request: HttpRequest) -> User:
    """The caller of an authenticated operation (the auth classes above guarantee one)."""
    return cast("User", request.user)


class SessionAuth(NinjaSessionAuth):
    """The browser's login session, for pages that call the API; CSRF is checked for a logged-in session.

    ninja's own `django_auth` checks CSRF before looking for a session, so a script with a missing or wrong
    token would get a CSRF 403 instead of 401 on every POST.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


class OutSchema(Schema):
    """Base of response schemas built from plain dicts: validated by pydantic alone.

    ninja's Schema wraps every object it validates, nested ones included, in a `DjangoGetter` so that ORM
    instances and `resolve_*` methods work; for the dicts our handlers build that wrapping is pure cost (an
    attribute lookup through Python per field: a fifth of the CPU of an incident creation went to
    validating its response). Anything but a dict still takes ninja's way.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: ModelWrapValidatorHandler[Any],
                            info: ValidationInfo) -> Any:
        if type(values) is dict:
            return handler(values)
        return super()._run_root_validator(values, handler, info)  # type: ignore[operator]


class CursorPageOut(Schema):
    """What every cursor-paginated list answers besides its `items` (declared by each subclass)."""

    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    prev_cursor: str | None
    count: int = Field(description="Matching items, counted up to a cap.")
    count_capped: bool = Field(description="True when there are more than `count`.")


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    """Every error of the API: a machine code, a message, and a message per invalid field."""

    error: ErrorDetail


ERROR_RESPONSES = {status: ErrorOut for status in (400, 401, 403, 404, 409, 422)}


class ImportRowError(Schema):
    sheet: str
    row: int
    column: str
    message: str


class ImportReportOut(Schema):
    """What every Excel import answers (core.spreadsheets.ImportReport)."""

    dry_run: bool
    ok: bool = Field(description="No row has an error.")
    written: bool = Field(description="The workbook was written (not a dry run, no errors).")
    rows: dict[str, int]
    created: dict[str, int]
    updated: dict[str, int]
    error_count: int
    errors: list[ImportRowError] = Field(description="Every bad row (the first 5,000): sheet, row, column, reason.")


class ImportRejectedOut(ErrorOut):
    report: ImportReportOut


IMPORT_RESPONSES = {**ERROR_RESPONSES, 200: ImportReportOut, 422: ImportRejectedOut}


def import_result(report: Any) -> Any:
    """The answer to an import: its report, or for a real run with bad rows a 422 carrying the report."""
    from ninja import Status

    if not report.dry_run and not report.ok:
        message = _("%(n)d rows have errors; nothing was written.") % {"n": report.error_count}
        return Status(422, {**error_body("import_rejected", message), "report": report.as_dict()})
    return report.as_dict()


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("Null characters are not allowed."))
    return value


# Every free-text input of the API: PostgreSQL cannot store NUL, so it is refused up front (a 422, not a 500).
Text = Annotated[str, AfterValidator(_no_nul)]


def fields_with_nul(data: dict[str, Any]) -> dict[str, str]:
    """Per-field errors for free-form input (action fields) holding a NUL anywhere, nested values included."""

    def has_nul(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return any(has_nul(v) for v in value)
        return False

    return {str(k): _("Null characters are not allowed.") for k, v in data.items() if has_nul(v)}


def idempotent(request: HttpRequest, *, scope: str, payload: Any,
               create: Callable[[], tuple[int, Any]], schema: type[BaseModel] | None = None) -> tuple[int, Any]:
    """Honour the request's `Idempotency-Key` header around `create` (see core.services.idempotency_run).

    `payload` (a pydantic model or plain data) is hashed, and the response body made JSON-ready through
    `schema` for storage, only when there is a key: a plain create pays for neither, and ninja validates
    its response once, as for any endpoint.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create()
    if len(key) > 200:
        raise ValidationError(fields={"Idempotency-Key": _("At most %(n)d characters.") % {"n": 200}})
    if isinstance(payload, BaseModel):
        payload = payload.model_dump()
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    def run() -> tuple[int, Any]:
        status, body = create()
        return status, (schema.model_validate(body).model_dump(mode="json") if schema is not None else body)

    return idempotency_run(user=api_user(request), key=key, scope=scope, request_hash=digest, create=run)


def local_time(value: Any) -> Any:
    """A stored (UTC) datetime as Beijing time for a response; None stays None."""
    from django.utils import timezone

    return timezone.localtime(value) if value is not None else None


def activity_out(entry: Any) -> dict[str, Any]:
    """A timeline entry (core.models.Activity) as every API shows it (`ActivityOut` of incidents.api)."""
    attachment = getattr(entry, "attachment", None)  # reverse one-to-one: absent raises, hence getattr
    return {
        "id": entry.pk, "kind": entry.kind, "action": entry.action, "from_status": entry.from_status,
        "to_status": entry.to_status, "actor": entry.actor.username if entry.actor is not None else None,
        "body": entry.body, "data": entry.data or {}, "internal": entry.internal,
        "created_at": local_time(entry.created_at),
        "attachment": ({"id": attachment.pk, "name": attachment.name, "size": attachment.size}
                       if attachment is not None else None),
    }


def action_data(payload: Any) -> dict[str, Any]:
    """The inputs of a workflow action posted to `…/actions/{action}` (ActionIn: its extra fields, `comment`)."""
    data = dict(payload.model_extra or {})
    if bad := fields_with_nul(data):
        raise ValidationError(fields=bad)
    data["comment"] = payload.comment
    return data
