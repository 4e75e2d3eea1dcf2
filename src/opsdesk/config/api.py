"""The root API at /api/v1/: mounts each app's router and maps domain errors to the one JSON error format."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
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
        message = err.get("msg", _("Invalid value."))
        if err.get("type") == "value_error" and err.get("ctx", {}).get("error"):
            message = str(err["ctx"]["error"])  # our own validators' message, without pydantic's prefix
        fields.setdefault(name, message)
    return api.create_response(request, error_body("validation_error", _("Some fields are not valid."), fields),
                               status=422)


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
    from opsdesk.incidents.api import router as incidents_router

    api.add_router("/incidents", incidents_router)


_mount()
