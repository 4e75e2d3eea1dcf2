"""The pure part of the SLA engine: a clock's state derived from its events. No database, no "now" guessing.

A clock is what happened to it: start (with a target and a calendar), pause, resume, stop, restart, target
change, cancel. `derive()` replays the events on the calendars' arithmetic and returns elapsed business
seconds, paused wall seconds, and the instants at which 75 %, 90 % and 100 % of the *current* target are (or
were) reached. Because the events are kept and the state is derived, a corrected calendar or a re-applied
policy recomputes a clock without losing paused time or time already spent: replay the same events again.

Each running stretch is measured on the calendar in force during it, so a level change that moves the
clock from a 5x8 to a 7x24 target keeps the business time spent under 5x8 and counts on from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from opsdesk.calendars.engine import CalendarEngine

START, PAUSE, RESUME, STOP, RESTART, TARGET, CANCEL, RECOMPUTE = (
    "start", "pause", "resume", "stop", "restart", "target", "cancel", "recompute")
RUNNING, PAUSED, STOPPED, CANCELLED = "running", "paused", "stopped", "cancelled"

WARN_RATIO = (3, 4)  # 75 %
CRITICAL_RATIO = (9, 10)  # 90 %


@dataclass(frozen=True)
class Event:
    kind: str
    at: dt.datetime
    target_seconds: int | None = None
    calendar_id: int | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch during which the clock ran: [start, end) on `calendar_id`, elapsed before it and after it."""

    start: dt.datetime
    end: dt.datetime
    calendar_id: int
    elapsed_before: int
    elapsed_after: int


@dataclass
class State:
    status: str = ""  # "" before a start event
    target_seconds: int = 0
    calendar_id: int | None = None
    started_at: dt.datetime | None = None
    running_since: dt.datetime | None = None
    paused_since: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    elapsed_seconds: int = 0  # business seconds up to `running_since` (running) or in total (otherwise)
    paused_seconds: int = 0  # wall seconds of completed pauses (and of a pause that ended in a stop)
    due_at: dt.datetime | None = None
    warn_at: dt.datetime | None = None
    critical_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None  # when elapsed reached the target, if it has by `now`
    missing_years: set[int] = field(default_factory=set)

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def remaining_seconds(self) -> int:
        """Business seconds left of the target as of the last event (negative once over)."""
        return self.target_seconds - self.elapsed_seconds

    def elapsed_at(self, now: dt.datetime, engine: CalendarEngine) -> int:
        """Business seconds spent up to `now` (the running stretch counted on the clock's calendar)."""
        if self.status == RUNNING and self.running_since is not None:
            return self.elapsed_seconds + engine.between(self.running_since, now)
        return self.elapsed_seconds

    def paused_at(self, now: dt.datetime) -> int:
        """Wall seconds paused up to `now`, an ongoing pause included."""
        if self.status == PAUSED and self.paused_since is not None:
            return self.paused_seconds + max(0, int((now - self.paused_since).total_seconds()))
        return self.paused_seconds


EngineOf = Callable[[int], CalendarEngine]


def threshold(target: int, ratio: tuple[int, int]) -> int:
    return target * ratio[0] // ratio[1]


def derive(events: Iterable[Event], engine_of: EngineOf, *, now: dt.datetime | None = None) -> State:
    """Replay `events` (in order of `at`, ties in the given order) into a State.

    `now` decides only whether a running clock's target has already been reached (breached); without it,
    the last event's instant is used. Events that make no sense in the current state (a resume while not
    paused, a second start) change nothing.
    """
    ordered = sorted(events, key=lambda e: e.at)  # stable: same-instant events keep their recorded order
    state = State()
    segments: list[Segment] = []
    elapsed = 0

    def close(at: dt.datetime) -> None:
        nonlocal elapsed
        assert state.running_since is not None and state.calendar_id is not None
        end = max(at, state.running_since)
        spent = engine_of(state.calendar_id).between(state.running_since, end)
        segments.append(Segment(state.running_since, end, state.calendar_id, elapsed, elapsed + spent))
        elapsed += spent

    for ev in ordered:
        if ev.kind == START:
            if state.status == "":
                state.status = RUNNING
                state.started_at = state.running_since = ev.at
                state.target_seconds = int(ev.target_seconds or 0)
                state.calendar_id = ev.calendar_id
            continue
        if state.status == "":
            continue
        if ev.kind == PAUSE and state.status == RUNNING:
            close(ev.at)
            state.status, state.paused_since, state.running_since = PAUSED, ev.at, None
        elif ev.kind == RESUME and state.status == PAUSED:
            assert state.paused_since is not None
            state.paused_seconds += max(0, int((ev.at - state.paused_since).total_seconds()))
            state.status, state.running_since, state.paused_since = RUNNING, ev.at, None
        elif ev.kind in (STOP, CANCEL) and state.status in (RUNNING, PAUSED):
            if state.status == RUNNING:
                close(ev.at)
            else:
                assert state.paused_since is not None
                state.paused_seconds += max(0, int((ev.at - state.paused_since).total_seconds()))
            state.status = STOPPED if ev.kind == STOP else CANCELLED
            state.stopped_at, state.running_since, state.paused_since = ev.at, None, None
        elif ev.kind == RESTART and state.status in (STOPPED, CANCELLED):
            state.status, state.running_since, state.stopped_at = RUNNING, ev.at, None
        elif ev.kind == TARGET and state.status in (RUNNING, PAUSED):
            if state.status == RUNNING:
                close(ev.at)
                state.running_since = ev.at
            if ev.target_seconds:
                state.target_seconds = int(ev.target_seconds)
            if ev.calendar_id:
                state.calendar_id = ev.calendar_id
    state.elapsed_seconds = elapsed
    if state.status == "":
        return state
    _project(state, segments, engine_of, now or (ordered[-1].at if ordered else None))
    return state


def _crossing(state: State, segments: list[Segment], engine_of: EngineOf, amount: int) -> dt.datetime | None:
    """The instant the clock's elapsed business time reached `amount`: in a past stretch, or projected on
    the running one; None while paused or stopped short of it."""
    for seg in segments:
        if seg.elapsed_before < amount <= seg.elapsed_after:
            return engine_of(seg.calendar_id).add(seg.start, amount - seg.elapsed_before)
    if amount <= 0 and state.started_at is not None:
        return state.started_at
    if state.status == RUNNING and state.running_since is not None and state.calendar_id is not None:
        return engine_of(state.calendar_id).add(state.running_since, amount - state.elapsed_seconds)
    return None


def _project(state: State, segments: list[Segment], engine_of: EngineOf, now: dt.datetime | None) -> None:
    target = state.target_seconds
    reached = _crossing(state, segments, engine_of, target)
    if state.status == RUNNING:
        state.due_at = reached
        state.warn_at = _crossing(state, segments, engine_of, threshold(target, WARN_RATIO))
        state.critical_at = _crossing(state, segments, engine_of, threshold(target, CRITICAL_RATIO))
    # Over the target means strictly more than it: a response at exactly the due second is on time.
    if state.status == RUNNING:
        if reached is not None and now is not None and reached < now:
            state.breached_at = reached
    elif state.elapsed_seconds > target:
        state.breached_at = reached
    for seg in segments:
        state.missing_years |= engine_of(seg.calendar_id).missing_years(seg.start, seg.end)
    if state.status == RUNNING and state.due_at is not None and state.running_since is not None:
        assert state.calendar_id is not None
        state.missing_years |= engine_of(state.calendar_id).missing_years(state.running_since,
                                                                          max(state.due_at, state.running_since))


def grade(elapsed_seconds: int, bounds_minutes: tuple[int, int, int]) -> str:
    """The grade of a time: very satisfied / satisfied / pass up to each bound (inclusive), fail beyond."""
    very, satisfied, passing = (b * 60 for b in bounds_minutes)
    if elapsed_seconds <= very:
        return "very_satisfied"
    if elapsed_seconds <= satisfied:
        return "satisfied"
    if elapsed_seconds <= passing:
        return "pass"
    return "fail"
