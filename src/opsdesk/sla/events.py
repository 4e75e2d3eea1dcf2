"""Signals the SLA engine receives from other apps (connected in SlaConfig.ready)."""

from __future__ import annotations

from typing import Any


def on_calendar_changed(sender: Any, calendar_ids: list[int] | None = None, dates: list[Any] | None = None,
                        reason: str = "", **kwargs: Any) -> None:
    """A calendar or the holiday table changed (sent after commit): recompute the running clocks in a job."""
    from .tasks import recompute_clocks_for_calendars

    ids = sorted({int(i) for i in (calendar_ids or [])})
    if ids:
        recompute_clocks_for_calendars(ids, str(reason or "calendar")[:300])


def connect() -> None:
    from opsdesk.calendars.signals import calendar_changed

    calendar_changed.connect(on_calendar_changed, dispatch_uid="sla.on_calendar_changed")
