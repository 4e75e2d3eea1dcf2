"""Request-scoped facts that service functions record without every caller passing them (source IP)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

source_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("opsdesk_source_ip", default=None)


@contextmanager
def request_source(ip: str | None) -> Iterator[None]:
    token = source_ip.set(ip)
    try:
        yield
    finally:
        source_ip.reset(token)


def client_ip(request: Any) -> str | None:
    """The peer address; X-Forwarded-For only when OPSDESK_TRUSTED_PROXY says a proxy is in front."""
    from django.conf import settings

    if getattr(settings, "OPSDESK_TRUSTED_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[0].strip()
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None
