"""API of the calendars app, mounted at /api/v1/sla/calendars/ (see config/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["calendars"])
