"""The root API at /api/v1/: mounts each app's router and maps domain errors to the one JSON error format."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from opsdesk.core.api import SessionAuth, TokenAuth, error_body
from opsdesk.core.errors import DomainError

api = NinjaAPI(
    title="OpsDesk API",
    version="1",
    description="OpsDesk IT service management. Authenticate with `Authorization: Bearer <token>` "
                "(`opsdesk token create USER`). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


# pydantic's messages are English; the ones a client meets most often are said again in the user's language.
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "bool_type": gettext_lazy("Enter true or false."),
    "string_type": gettext_lazy("Enter text."),
    "date_from_datetime_parsing": gettext_lazy("Use a date like 2026-11-22."),
    "date_parsing": gettext_lazy("Use a date like 2026-11-22."),
    "date_type": gettext_lazy("Use a date like 2026-11-22."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "model_attributes_type": gettext_lazy("Send a JSON object."),
    "dict_type": gettext_lazy("Send a JSON object."),
    "list_type": gettext_lazy("Send a list."),
}


def _pydantic_message(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])  # our own validators' message, without pydantic's prefix
    if kind == "string_too_long" and "max_length" in ctx:
        return _("At most %(n)d characters.") % {"n": ctx["max_length"]}
    if kind == "string_too_short" and "min_length" in ctx:
        return _("At least %(n)d characters.") % {"n": ctx["min_length"]}
    if kind == "greater_than_equal":
        return _("Must be at least %(n)s.") % {"n": ctx.get("ge")}
    if kind == "greater_than":
        return _("Must be greater than %(n)s.") % {"n": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("Must be at most %(n)s.") % {"n": ctx.get("le")}
    if kind == "less_than":
        return _("Must be less than %(n)s.") % {"n": ctx.get("lt")}
    if kind in ("enum", "literal_error") and ctx.get("expected"):
        return _("Must be one of: %(values)s.") % {"values": ctx["expected"]}
    if kind in PYDANTIC_MESSAGES:
        return str(PYDANTIC_MESSAGES[kind])
    return str(err.get("msg") or _("Invalid value."))


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    fields: dict[str, str] = {}
    for err in exc.errors:
        raw = list(err.get("loc", []))
        where = raw[0] if raw else ""
        loc = [str(p) for p in raw if p not in ("body", "query", "path", "payload", "filters")]
        if where == "query":  # `?status=a&status=b`: the field is `status`, not `status.1`
            loc = [p for p in loc if not p.isdigit()]
        name = ".".join(loc) or "body"
        fields.setdefault(name, _pydantic_message(err))
    return api.create_response(request, error_body("validation_error", _("Some fields are not valid."), fields),
                               status=422)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return api.create_response(request, error_body("request_too_large", _(
        "The request is larger than %(mb)d MB: send less at once (a batch of fewer incidents, say).") % {
        "mb": limit}), status=413)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return api.create_response(request, error_body("unauthenticated", _("Authentication required.")), status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


def _mount() -> None:
    from opsdesk.assets.api import router as assets_router
    from opsdesk.calendars.api import router as calendars_router
    from opsdesk.cmdb.api import router as cmdb_router
    from opsdesk.confirmations.api import router as confirmations_router
    from opsdesk.followups.api import router as followups_router
    from opsdesk.incidents.api import router as incidents_router
    from opsdesk.knowledge.api import router as knowledge_router
    from opsdesk.notifications.api import router as notifications_router
    from opsdesk.problems.api import router as problems_router
    from opsdesk.search.api import router as search_router
    from opsdesk.servicerequests.api import router as servicerequests_router
    from opsdesk.sla.api import router as sla_router
    from opsdesk.supplies.api import router as supplies_router

    api.add_router("/incidents", incidents_router)
    api.add_router("/sla/calendars", calendars_router)
    api.add_router("/sla", sla_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/search", search_router)
    api.add_router("/knowledge", knowledge_router)
    api.add_router("/problems", problems_router)
    api.add_router("/follow-ups", followups_router)
    api.add_router("/confirmations", confirmations_router)
    api.add_router("/service-requests", servicerequests_router)
    api.add_router("/cmdb", cmdb_router)
    api.add_router("/assets", assets_router)
    api.add_router("/supplies", supplies_router)


_mount()
