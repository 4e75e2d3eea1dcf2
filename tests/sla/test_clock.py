"""The pure clock: state derived from events on real calendar arithmetic (no database).

7x24 (AlwaysOpen) is where business time is wall time, so expectations are plain date arithmetic; 5x8
uses the calendars app's ScheduleEngine with the default week (09:00–12:00, 13:30–17:30, Monday–Friday).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.calendars.engine import DEFAULT_WEEK, AlwaysOpen, Rules, ScheduleEngine
from opsdesk.sla.clock import Event, derive, grade

from .conftest import local

ALWAYS, OFFICE = 1, 2
ENGINES = {ALWAYS: AlwaysOpen(), OFFICE: ScheduleEngine(Rules(weekly=DEFAULT_WEEK, follows_holidays=False))}
H = 3600
T0 = local(2026, 11, 23, 9, 0)  # a Monday


def engine_of(calendar_id: int):
    return ENGINES[calendar_id]


def start(at=T0, target=4 * H, calendar=ALWAYS) -> Event:
    return Event("start", at, target, calendar)


def ev(kind: str, at: dt.datetime, **kw) -> Event:
    return Event(kind, at, kw.get("target"), kw.get("calendar"))


def test_a_running_clock_is_due_after_its_target_with_warnings_at_75_and_90_percent():
    state = derive([start()], engine_of, now=T0)
    assert state.status == "running"
    assert state.due_at == T0 + dt.timedelta(hours=4)
    assert state.warn_at == T0 + dt.timedelta(hours=3)
    assert state.critical_at == T0 + dt.timedelta(hours=3, minutes=36)
    assert not state.breached


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.tuples(st.integers(0, 5 * H), st.integers(0, 30 * H)), min_size=1, max_size=8))
def test_pause_and_resume_never_count_paused_time(gaps):
    """Runs of `run` seconds, each followed by a pause of `pause` seconds: on 7x24 the due time moves by
    exactly the paused time, and the elapsed time is exactly the running time."""
    events = [start(target=100 * H)]
    at = T0
    running = paused = 0
    for run, pause in gaps:
        at += dt.timedelta(seconds=run)
        running += run
        events.append(ev("pause", at))
        at += dt.timedelta(seconds=pause)
        paused += pause
        events.append(ev("resume", at))
    state = derive(events, engine_of, now=at)
    assert state.elapsed_seconds == running
    assert state.paused_seconds == paused
    assert state.due_at == T0 + dt.timedelta(seconds=100 * H + paused)


@settings(max_examples=100, deadline=None)
@given(pause_at=st.integers(0, 40 * H), pause_for=st.integers(1, 200 * H))
def test_on_5x8_a_pause_removes_exactly_the_business_time_it_covers(pause_at, pause_for):
    office = ENGINES[OFFICE]
    p = T0 + dt.timedelta(seconds=pause_at)
    r = p + dt.timedelta(seconds=pause_for)
    state = derive([start(target=16 * H, calendar=OFFICE), ev("pause", p), ev("resume", r)], engine_of, now=r)
    spent_before = office.between(T0, p)
    assert state.elapsed_seconds == spent_before
    if spent_before < 16 * H:
        assert state.due_at == office.add(r, 16 * H - spent_before)
        assert office.between(T0, state.due_at) - office.between(p, r) == 16 * H


def test_a_target_change_keeps_the_time_already_spent():
    # Level 3 (24 h) upgraded to level 2 (8 h) after 5 h: 3 h left from the change.
    change = T0 + dt.timedelta(hours=5)
    state = derive([start(target=24 * H), ev("target", change, target=8 * H)], engine_of, now=change)
    assert state.elapsed_seconds == 5 * H
    assert state.due_at == change + dt.timedelta(hours=3)
    assert state.target_seconds == 8 * H


def test_a_target_below_the_time_spent_is_breached_when_it_was_reached():
    change = T0 + dt.timedelta(hours=5)
    state = derive([start(target=24 * H), ev("target", change, target=4 * H)], engine_of, now=change)
    assert state.breached
    assert state.breached_at == T0 + dt.timedelta(hours=4)
    assert state.due_at == T0 + dt.timedelta(hours=4)


def test_each_stretch_counts_on_the_calendar_in_force_during_it():
    """Friday 17:00 on 5x8, moved to 7x24 on Saturday 10:00: 30 min spent on Friday, the rest in wall time."""
    friday = local(2026, 11, 27, 17, 0)
    saturday = local(2026, 11, 28, 10, 0)
    state = derive([start(friday, target=2 * H, calendar=OFFICE),
                    ev("target", saturday, target=2 * H, calendar=ALWAYS)], engine_of, now=saturday)
    assert state.elapsed_seconds == 30 * 60
    assert state.due_at == saturday + dt.timedelta(minutes=90)


def test_a_stop_at_the_due_second_is_on_time_and_one_second_later_is_not():
    due = T0 + dt.timedelta(hours=4)
    on_time = derive([start(), ev("stop", due)], engine_of)
    late = derive([start(), ev("stop", due + dt.timedelta(seconds=1))], engine_of)
    assert on_time.status == late.status == "stopped"
    assert not on_time.breached and on_time.elapsed_seconds == 4 * H
    assert late.breached and late.breached_at == due


def test_a_running_clock_is_breached_only_once_now_is_past_its_due_time():
    due = T0 + dt.timedelta(hours=4)
    assert not derive([start()], engine_of, now=due).breached
    assert derive([start()], engine_of, now=due + dt.timedelta(seconds=1)).breached


def test_restart_after_stop_does_not_count_the_time_in_between():
    stop = T0 + dt.timedelta(hours=1)
    restart = stop + dt.timedelta(hours=10)
    state = derive([start(), ev("stop", stop), ev("restart", restart)], engine_of, now=restart)
    assert state.status == "running"
    assert state.elapsed_seconds == H
    assert state.due_at == restart + dt.timedelta(hours=3)


def test_events_that_make_no_sense_change_nothing():
    stop = T0 + dt.timedelta(hours=1)
    base = derive([start(), ev("stop", stop)], engine_of)
    noisy = derive([ev("resume", T0 - dt.timedelta(hours=1)), start(), ev("resume", T0 + dt.timedelta(minutes=5)),
                    start(T0 + dt.timedelta(minutes=6), target=H), ev("stop", stop),
                    ev("pause", stop + dt.timedelta(hours=1))], engine_of)
    assert (noisy.status, noisy.elapsed_seconds, noisy.target_seconds) == (base.status, base.elapsed_seconds,
                                                                          base.target_seconds)


def test_a_cancel_after_the_due_time_still_counts_as_breached():
    state = derive([start(), ev("cancel", T0 + dt.timedelta(hours=5))], engine_of)
    assert state.status == "cancelled" and state.breached


def test_pause_during_a_5x8_weekend_costs_nothing():
    friday = local(2026, 11, 27, 16, 30)
    state = derive([start(friday, target=2 * H, calendar=OFFICE), ev("pause", local(2026, 11, 28, 10, 0)),
                    ev("resume", local(2026, 11, 29, 10, 0))], engine_of, now=local(2026, 11, 29, 10, 0))
    assert state.elapsed_seconds == H
    assert state.due_at == local(2026, 11, 30, 10, 0)  # Monday: one business hour left from 09:00


def test_grading_boundaries_are_inclusive_upper_bounds():
    response = (5, 10, 15)
    assert [grade(s, response) for s in (0, 300, 301, 600, 601, 900, 901)] == [
        "very_satisfied", "very_satisfied", "satisfied", "satisfied", "pass", "pass", "fail"]
    resolution = (30, 60, 120)
    assert [grade(s, resolution) for s in (1799, 1800, 1801, 3600, 3601, 7200, 7201)] == [
        "very_satisfied", "very_satisfied", "satisfied", "satisfied", "pass", "pass", "fail"]
