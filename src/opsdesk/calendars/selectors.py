"""Reads of business calendars."""

from __future__ import annotations

from .engine import AlwaysOpen, CalendarEngine
from .models import Calendar


def calendar_engine(calendar: Calendar | int) -> CalendarEngine:
    """The arithmetic engine of a calendar (cached per process, rebuilt when the calendar's revision moves)."""
    return AlwaysOpen()  # placeholder until working hours and holidays land
