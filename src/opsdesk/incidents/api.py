"""REST API for incidents (placeholder router; filled in below)."""

from ninja import Router

router = Router(tags=["incidents"])
