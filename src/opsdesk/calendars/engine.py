"""Calendar arithmetic, exact to the second, on one business calendar.

This is the interface the SLA engine (and later e-mail reply deadlines, inspections) relies on:

- `add(start, seconds)`: the instant at which `seconds` of business time have passed since `start`;
- `between(start, end)`: the business seconds in [start, end) (0 when end <= start);
- `next_working(instant)`: `instant` itself when the calendar is open then, else the next opening instant;
- `missing_years(start, end)`: the years touched by [start, end] for which no holiday arrangement is
  loaded, so callers can tell people instead of silently guessing.

Instants are aware datetimes; results are aware datetimes in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class CalendarEngine(Protocol):
    def add(self, start: datetime, seconds: int) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> int: ...

    def next_working(self, instant: datetime) -> datetime: ...

    def missing_years(self, start: datetime, end: datetime) -> set[int]: ...


class AlwaysOpen:
    """7x24: business time is wall-clock time."""

    def add(self, start: datetime, seconds: int) -> datetime:
        return (start + timedelta(seconds=seconds)).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> int:
        return max(0, int((end - start).total_seconds()))

    def next_working(self, instant: datetime) -> datetime:
        return instant.astimezone(UTC)

    def missing_years(self, start: datetime, end: datetime) -> set[int]:
        return set()
