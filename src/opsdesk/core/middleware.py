"""Request middleware: a strict Content-Security-Policy, the source IP for the audit trail, and a short
middleware stack for API calls that authenticate with a bearer token."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse

from .context import client_ip, source_ip

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
API_PREFIX = "/api/"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = source_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            source_ip.reset(token)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


_build_lock = threading.Lock()


def _chain(paths: list[str]) -> Callable[[HttpRequest], HttpResponse]:
    """Django's own middleware chain (the same loader as the full stack) for another list of middleware."""
    handler = BaseHandler()
    with _build_lock:  # load_middleware reads settings.MIDDLEWARE: lend it the other list meanwhile
        saved = settings.MIDDLEWARE
        settings.MIDDLEWARE = paths
        try:
            handler.load_middleware()
        finally:
            settings.MIDDLEWARE = saved
    chain: Callable[[HttpRequest], HttpResponse] = handler._middleware_chain  # type: ignore[assignment]
    return chain


def is_bearer_api_call(request: HttpRequest) -> bool:
    return (request.path_info.startswith(API_PREFIX)
            and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer ")


class BearerApiMiddleware:
    """First in MIDDLEWARE: an API call with `Authorization: Bearer` runs through OPSDESK_API_MIDDLEWARE only.

    Such a call is authenticated by its token alone (core.api.TokenAuth), so the browser's machinery —
    session, CSRF, messages, login from the session cookie, htmx, static files — has nothing to do for it,
    yet walking through it cost about a tenth of an incident creation (bench/RESULTS.md). What a response
    must still get stays: security headers, the language from Accept-Language, Content-Length, the
    Content-Security-Policy and the source IP for the audit trail. A session cookie sent along with a
    bearer token is ignored (the token decides: a bad token is a 401 whatever the cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.api_chain = _chain(list(settings.OPSDESK_API_MIDDLEWARE))

    def __call__(self, request: HttpRequest) -> Any:
        if is_bearer_api_call(request):
            request.user = AnonymousUser()  # until TokenAuth sets the token's owner
            return self.api_chain(request)
        return self.get_response(request)
