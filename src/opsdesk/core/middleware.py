"""Request middleware: a strict Content-Security-Policy, and the source IP for the audit trail."""

from __future__ import annotations

from .context import client_ip, source_ip

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


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
