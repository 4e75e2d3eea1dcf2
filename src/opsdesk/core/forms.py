"""What every app's forms share."""

from __future__ import annotations

from typing import Any

from .errors import ValidationError


class ServiceErrorsMixin:
    """Puts a service's ValidationError.fields next to the form's fields (unknown names: on top)."""

    def apply_service_errors(self, exc: ValidationError) -> None:
        form: Any = self
        if not exc.fields:
            form.add_error(None, exc.message)
        for name, message in exc.fields.items():
            form.add_error(name if name in form.fields else None, message)
