"""API of the sla app, mounted at /api/v1/sla/ (see config/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["sla"])
