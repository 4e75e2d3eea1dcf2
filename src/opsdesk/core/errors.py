"""Domain errors. Services raise these; the API and the pages map them to HTTP statuses in one place each."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every expected failure; carries a machine code, a message and per-field messages."""

    status = 400
    code = "bad_request"
    default_message = _("The request is not valid.")

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None,
                 code: str | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationError(DomainError):
    status = 422
    code = "validation_error"
    default_message = _("Some fields are not valid.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = _("You may not do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("Someone else changed this record in the meantime. Reload it and try again.")
