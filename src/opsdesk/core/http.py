"""Domain errors mapped to HTTP for the HTML pages, in one place.

Services raise the exceptions of `core/errors.py`. A page view wrapped in `page_errors` turns whatever it does
not handle itself into the right response: NotFound → 404 (what the viewer may not see does not exist),
PermissionDenied → 403, a ValidationError or Conflict that escaped the view → an error page with its message
(400 / 409 / 422). Views that re-render a form catch ValidationError and Conflict themselves first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from opsdesk.accounts.selectors import access_for

from .errors import DomainError, NotFound, PermissionDenied


def page_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Map domain errors raised by a page view to Django's 404/403 handling or an error page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except DomainError as exc:
            return error_page(request, exc)

    return wrapper


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A page showing a domain error's message and field messages, with the error's HTTP status."""
    return render(request, "core/error.html", {"error": exc}, status=exc.status)


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Contractor-side pages: client people are sent to the portal instead (they have their own pages).
    Superusers pass (an operator's account may hold no grant on any contract)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_superuser or access_for(request.user).is_staff_member):
            return redirect("portal:home")
        return view(request, *args, **kwargs)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    """True for a request htmx sent (it swaps a fragment, so the view renders the partial template)."""
    return bool(getattr(request, "htmx", False))
