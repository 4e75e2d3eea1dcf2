"""Calendar arithmetic, exact to the second, on one business calendar.

This is the interface the SLA engine (and later e-mail reply deadlines, inspections) relies on:

- `add(start, seconds)`: the instant at which `seconds` of business time have passed since `start`;
- `between(start, end)`: the business seconds in [start, end) (0 when end <= start);
- `next_working(instant)`: `instant` itself when the calendar is open then, else the next opening instant;
- `missing_years(start, end)`: the years touched by [start, end] for which no holiday arrangement is
  loaded, so callers can tell people instead of silently guessing.

Instants are aware datetimes; results are aware datetimes in UTC.

Boundary semantics. Open time is a union of half-open intervals [opens, closes): a calendar is open at 09:00
and closed at 12:00 sharp. `add(t, d)` is the earliest instant r >= t with between(t, r) == d that is not
strictly inside closed time. So a target that runs out exactly when the office closes is due at the closing
instant (12:00, not 13:30), and `add(t, 0)` is t itself when the calendar is open at t or closes exactly at
t, else `next_working(t)`. With these rules add(add(t, a), b) == add(t, a + b) and between(t, add(t, d)) == d
hold for every t, a, b, d >= 0 (tests/calendars/test_properties.py). Arithmetic runs in whole microseconds,
so inputs with fractions of a second stay exact; `between` truncates to whole seconds.

For a year whose holiday arrangement is not loaded the engine uses the weekly schedule alone; callers check
`missing_years` and tell people (the SLA clock notes it on the ticket's timeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .choices import DayKind, OverrideKind, StatutoryKind

MINUTES_PER_DAY = 24 * 60
US_PER_SECOND = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A calendar with no open time for this many days in a row is refused rather than searched forever.
MAX_CLOSED_DAYS = 3660
# Engines keep the open intervals of the days they have computed; a process that wanders further forgets.
DAY_CACHE_SIZE = 20_000

Period = tuple[int, int]  # minutes after local midnight, [start, end)


class CalendarEngine(Protocol):
    def add(self, start: datetime, seconds: int) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> int: ...

    def next_working(self, instant: datetime) -> datetime: ...

    def missing_years(self, start: datetime, end: datetime) -> set[int]: ...


class CalendarError(ValueError):
    """The calendar cannot answer (no open time at all within ten years, or outside the datetime range)."""


@dataclass(frozen=True)
class DayInfo:
    """What a calendar makes of one local date: its kind, its open periods (minutes) and the name of the
    holiday or override that decided it."""

    date: date
    kind: str
    periods: tuple[Period, ...]
    name: str = ""

    @property
    def is_open(self) -> bool:
        return bool(self.periods)

    @property
    def open_minutes(self) -> int:
        return sum(end - start for start, end in self.periods)


@dataclass(frozen=True)
class Override:
    kind: str
    start: date
    end: date
    name: str = ""


@dataclass(frozen=True)
class Rules:
    """Everything that decides when a calendar is open, as plain data (no database): see models.py."""

    weekly: tuple[tuple[Period, ...], ...]  # seven entries, Monday first
    timezone: str = "Asia/Shanghai"
    follows_holidays: bool = True
    adjusted_weekday: int = 0
    statutory: Mapping[date, tuple[str, str]] = field(default_factory=dict)  # date -> (kind, name)
    loaded_years: frozenset[int] = frozenset()
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven weekdays")
        for periods in self.weekly:
            for start, end in periods:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"bad period {start}-{end}")
        # Key periods first, then closed, then working: the first override covering a date decides it.
        order = {OverrideKind.KEY_PERIOD: 0, OverrideKind.CLOSED: 1, OverrideKind.WORKING: 2}
        object.__setattr__(self, "overrides", tuple(sorted(self.overrides, key=lambda o: order.get(o.kind, 9))))

    def day(self, d: date) -> DayInfo:
        """The kind and open periods of local date `d`."""
        for o in self.overrides:
            if o.start <= d <= o.end:
                if o.kind == OverrideKind.KEY_PERIOD:
                    return DayInfo(d, DayKind.KEY_PERIOD, ((0, MINUTES_PER_DAY),), o.name)
                if o.kind == OverrideKind.CLOSED:
                    return DayInfo(d, DayKind.CLOSED, (), o.name)
                return DayInfo(d, DayKind.EXTRA_WORKING, self.weekly[self.adjusted_weekday], o.name)
        if self.follows_holidays:
            found = self.statutory.get(d)
            if found is not None:
                kind, name = found
                if kind == StatutoryKind.HOLIDAY:
                    return DayInfo(d, DayKind.HOLIDAY, (), name)
                return DayInfo(d, DayKind.ADJUSTED_WORKING, self.weekly[self.adjusted_weekday], name)
        periods = self.weekly[d.weekday()]
        return DayInfo(d, DayKind.WORKING if periods else DayKind.REST, periods)


def _us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("calendar arithmetic needs aware datetimes")
    return (instant - EPOCH) // timedelta(microseconds=1)


def _instant(us: int) -> datetime:
    try:
        return EPOCH + timedelta(microseconds=us)
    except OverflowError:
        raise CalendarError("the result is outside the supported range of dates") from None


class ScheduleEngine:
    """Arithmetic over `Rules`: walks day by day over each day's open intervals (UTC microseconds), which
    it computes once and keeps. A four-week target on 5x8 is about thirty dictionary lookups."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.zone = ZoneInfo(rules.timezone)
        self._days: dict[date, tuple[tuple[int, int], ...]] = {}

    # --- days ----------------------------------------------------------------------------------------

    def day_info(self, d: date) -> DayInfo:
        return self.rules.day(d)

    def _intervals(self, d: date) -> tuple[tuple[int, int], ...]:
        """The open intervals of local date `d` as [start, end) in UTC microseconds, touching ones joined."""
        found = self._days.get(d)
        if found is not None:
            return found
        midnight = datetime(d.year, d.month, d.day, tzinfo=self.zone)
        out: list[tuple[int, int]] = []
        for start, end in self.rules.day(d).periods:
            # aware + timedelta is wall-clock arithmetic in zoneinfo: 24:00 is the next midnight
            a, b = _us(midnight + timedelta(minutes=start)), _us(midnight + timedelta(minutes=end))
            if b <= a:
                continue  # a period swallowed by a daylight-saving jump
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        result = tuple(out)
        if len(self._days) >= DAY_CACHE_SIZE:
            self._days.clear()
        self._days[d] = result
        return result

    def _local_date(self, us: int) -> date:
        return _instant(us).astimezone(self.zone).date()

    def _days_from(self, us: int, *, guard: bool = True) -> Iterable[tuple[date, tuple[tuple[int, int], ...]]]:
        """Local dates with their intervals, from the day before the one of instant `us` (whose last interval
        may close exactly at `us`) on; with `guard`, stops with CalendarError after ten closed years."""
        try:
            d = self._local_date(us) - timedelta(days=1)
        except OverflowError:
            raise CalendarError("the instant is outside the supported range of dates") from None
        closed_run = 0
        while True:
            intervals = self._intervals(d)
            yield d, intervals
            closed_run = 0 if intervals else closed_run + 1
            if guard and closed_run > MAX_CLOSED_DAYS:
                raise CalendarError("the calendar has no working time within ten years")
            try:
                d += timedelta(days=1)
            except OverflowError:
                raise CalendarError("the result is outside the supported range of dates") from None

    # --- the interface ---------------------------------------------------------------------------------

    def add(self, start: datetime, seconds: int) -> datetime:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        t = _us(start)
        remaining = int(seconds) * US_PER_SECOND
        for _day, intervals in self._days_from(t):
            for a, b in intervals:
                if remaining == 0:
                    if a <= t <= b:
                        return _instant(t)  # open at t, or closing exactly at t
                    if a > t:
                        return _instant(a)
                    continue
                if b <= t:
                    continue
                s = max(a, t)
                if remaining <= b - s:
                    return _instant(s + remaining)
                remaining -= b - s
        raise AssertionError("unreachable")  # pragma: no cover - _days_from never ends without raising

    def between(self, start: datetime, end: datetime) -> int:
        t, u = _us(start), _us(end)
        if u <= t:
            return 0
        last_day = self._local_date(u)
        total = 0
        for day, intervals in self._days_from(t, guard=False):
            for a, b in intervals:
                if a >= u:
                    return total // US_PER_SECOND
                total += max(0, min(b, u) - max(a, t))
            if day >= last_day:
                return total // US_PER_SECOND
        raise AssertionError("unreachable")  # pragma: no cover

    def next_working(self, instant: datetime) -> datetime:
        t = _us(instant)
        for _day, intervals in self._days_from(t):
            for a, b in intervals:
                if a <= t < b:
                    return _instant(t)
                if a > t:
                    return _instant(a)
        raise AssertionError("unreachable")  # pragma: no cover

    def missing_years(self, start: datetime, end: datetime) -> set[int]:
        if not self.rules.follows_holidays:
            return set()
        first, last = sorted((start.astimezone(self.zone).year, end.astimezone(self.zone).year))
        return {y for y in range(first, last + 1) if y not in self.rules.loaded_years}


class AlwaysOpen:
    """7x24: business time is wall-clock time."""

    def add(self, start: datetime, seconds: int) -> datetime:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        _us(start)
        try:
            return (start + timedelta(seconds=seconds)).astimezone(UTC)
        except OverflowError:
            raise CalendarError("the result is outside the supported range of dates") from None

    def between(self, start: datetime, end: datetime) -> int:
        return max(0, (_us(end) - _us(start)) // US_PER_SECOND)

    def next_working(self, instant: datetime) -> datetime:
        _us(instant)
        return instant.astimezone(UTC)

    def missing_years(self, start: datetime, end: datetime) -> set[int]:
        return set()

    def day_info(self, d: date) -> DayInfo:
        return DayInfo(d, DayKind.ALWAYS, ((0, MINUTES_PER_DAY),))


FIVE_BY_EIGHT: tuple[Period, ...] = ((9 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
# The default weekly schedule (DOMAIN.md section 6): Monday to Friday 09:00–12:00 and 13:30–17:30.
DEFAULT_WEEK: tuple[tuple[Period, ...], ...] = (FIVE_BY_EIGHT,) * 5 + ((), ())
