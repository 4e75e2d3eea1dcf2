"""Property tests of calendar arithmetic (hypothesis), on the rules as plain data and on the real seeded 5x8.

add(add(t, a), b) == add(t, a + b); between(t, add(t, d)) == d; results are never strictly inside closed
time; next_working is idempotent and open; and between agrees with a minute-by-minute count that shares
nothing with the engine but the day rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.calendars.choices import OverrideKind, StatutoryKind
from opsdesk.calendars.engine import DEFAULT_WEEK, AlwaysOpen, Override, Rules, ScheduleEngine
from opsdesk.calendars.models import CalendarOverride
from opsdesk.calendars.selectors import calendar_engine, calendar_rules

SH = ZoneInfo("Asia/Shanghai")
FIRST, LAST = datetime(2024, 12, 1, tzinfo=SH), datetime(2027, 1, 31, tzinfo=SH)
SIX_WEEKS = 6 * 7 * 24 * 3600

# A few real 2025-2026 days (typed from the notices) so that the generated calendars meet holidays and
# adjusted working weekends, plus random ones below.
REAL_DAYS = {
    date(2025, 1, 26): (StatutoryKind.WORKDAY, "春节"), **{date(2025, 1, 28) + timedelta(days=i):
                                                          (StatutoryKind.HOLIDAY, "春节") for i in range(8)},
    date(2025, 2, 8): (StatutoryKind.WORKDAY, "春节"),
    date(2026, 9, 20): (StatutoryKind.WORKDAY, "国庆节"), **{date(2026, 10, 1) + timedelta(days=i):
                                                            (StatutoryKind.HOLIDAY, "国庆节") for i in range(7)},
    date(2026, 10, 10): (StatutoryKind.WORKDAY, "国庆节"),
}


@st.composite
def day_periods(draw) -> tuple[tuple[int, int], ...]:
    """Non-overlapping periods of one day on a 15-minute grid, sometimes touching midnight at either end."""
    bounds = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    return tuple((bounds[i] * 15, bounds[i + 1] * 15) for i in range(0, len(bounds), 2))


@st.composite
def rules(draw) -> Rules:
    week = draw(st.one_of(st.just(DEFAULT_WEEK), st.lists(day_periods(), min_size=7, max_size=7).map(tuple)))
    if not any(week):
        week = DEFAULT_WEEK
    adjusted = draw(st.sampled_from([d for d in range(7) if week[d]]))
    extra = draw(st.dictionaries(st.dates(date(2025, 1, 1), date(2026, 12, 31)),
                                 st.tuples(st.sampled_from(StatutoryKind.values), st.just("")), max_size=15))
    overrides = draw(st.lists(st.builds(
        lambda kind, start, length: Override(kind, start, start + timedelta(days=length), "o"),
        st.sampled_from(OverrideKind.values), st.dates(date(2025, 1, 1), date(2026, 12, 31)), st.integers(0, 10)),
        max_size=4))
    return Rules(weekly=week, adjusted_weekday=adjusted, follows_holidays=draw(st.booleans()),
                 statutory={**REAL_DAYS, **extra}, loaded_years=frozenset({2025, 2026}), overrides=tuple(overrides))


def instants() -> st.SearchStrategy[datetime]:
    """Aware instants in 2025-2026 in Shanghai or UTC, often on whole minutes (the boundaries), sometimes
    with microseconds."""
    base = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20))
    aligned = base.map(lambda d: d.replace(second=0, microsecond=0, minute=d.minute // 15 * 15))
    whole = base.map(lambda d: d.replace(microsecond=0))
    return st.one_of(aligned, whole, base).flatmap(
        lambda d: st.sampled_from([d.replace(tzinfo=SH), d.replace(tzinfo=UTC)]))


# Quarter-hour multiples make results land exactly on closing instants, where the boundary rules matter.
durations = st.one_of(st.just(0), st.integers(1, 8 * 3600), st.integers(0, SIX_WEEKS),
                      st.integers(1, 4 * 96).map(lambda n: n * 900))


def closed_strictly_inside(engine: ScheduleEngine, instant: datetime) -> bool:
    """True when `instant` is in closed time and not the very instant an open period ends (checked on the
    local wall clock from the day rules, not with the engine's own intervals)."""
    local = instant.astimezone(engine.zone)
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    today = engine.day_info(local.date()).periods
    if any(a <= minute < b or minute == b for a, b in today):
        return False
    if minute == 0:  # midnight closes yesterday's period that ran to 24:00
        return not any(b == 24 * 60 for _a, b in engine.day_info(local.date() - timedelta(days=1)).periods)
    return True


@settings(max_examples=300, deadline=None)
@given(rules(), instants(), durations, durations)
def test_adding_twice_is_adding_the_sum(r, t, a, b):
    engine = ScheduleEngine(r)
    assert engine.add(engine.add(t, a), b) == engine.add(t, a + b)


@settings(max_examples=300, deadline=None)
@given(rules(), instants(), durations)
def test_adding_nothing_to_a_due_instant_keeps_it(r, t, a):
    engine = ScheduleEngine(r)
    due = engine.add(t, a)
    assert engine.add(due, 0) == due


@settings(max_examples=300, deadline=None)
@given(rules(), instants(), durations)
def test_business_time_until_the_due_instant_is_the_duration(r, t, d):
    engine = ScheduleEngine(r)
    due = engine.add(t, d)
    assert due >= t
    assert engine.between(t, due) == d
    assert due.tzinfo is UTC
    if d > 0:  # and it is the earliest such instant: a second earlier, not all of d has passed
        assert engine.between(t, due - timedelta(seconds=1)) < d


@settings(max_examples=300, deadline=None)
@given(rules(), instants(), durations)
def test_results_never_fall_strictly_inside_closed_time(r, t, d):
    engine = ScheduleEngine(r)
    assert not closed_strictly_inside(engine, engine.add(t, d))


@settings(max_examples=300, deadline=None)
@given(rules(), instants())
def test_next_working_is_idempotent_open_and_not_before(r, t):
    engine = ScheduleEngine(r)
    n = engine.next_working(t)
    assert n >= t
    assert engine.next_working(n) == n
    local = n.astimezone(engine.zone)
    minute = local.hour * 60 + local.minute
    assert any(a <= minute < b for a, b in engine.day_info(local.date()).periods)  # open at n
    assert engine.between(t, n) == 0


@settings(max_examples=150, deadline=None)
@given(rules(), instants(), st.integers(0, 3 * 24 * 60))
def test_between_counts_the_open_minutes(r, t, span):
    """Against an oracle: walk minute by minute and ask the day rules whether each minute is open."""
    engine = ScheduleEngine(r)
    start = t.astimezone(SH).replace(second=0, microsecond=0)
    count = 0
    for i in range(span):
        local = start + timedelta(minutes=i)
        minute = local.hour * 60 + local.minute
        count += any(a <= minute < b for a, b in engine.day_info(local.date()).periods)
    assert engine.between(start, start + timedelta(minutes=span)) == count * 60


@settings(max_examples=150, deadline=None)
@given(rules(), instants(), instants(), instants())
def test_between_adds_up(r, x, y, z):
    engine = ScheduleEngine(r)
    a, b, c = sorted(v.replace(microsecond=0) for v in (x, y, z))
    assert engine.between(a, b) + engine.between(b, c) == engine.between(a, c)
    assert engine.between(c, a) == 0


@settings(max_examples=100, deadline=None)
@given(instants(), durations, durations)
def test_always_open_is_wall_clock(t, a, b):
    engine = AlwaysOpen()
    assert engine.add(engine.add(t, a), b) == engine.add(t, a + b)
    assert engine.between(t.replace(microsecond=0), engine.add(t.replace(microsecond=0), a)) == a
    assert engine.next_working(t) == t


def test_boundary_semantics_on_5x8():
    """The documented choices: due at the closing instant, add(t, 0) keeps an open or closing instant."""
    engine = ScheduleEngine(Rules(weekly=DEFAULT_WEEK))
    monday = datetime(2026, 11, 23, tzinfo=SH)
    at = lambda h, m=0: monday.replace(hour=h, minute=m)  # noqa: E731
    assert engine.add(at(9), 3 * 3600) == at(12)          # runs out when the office closes: due at 12:00
    assert engine.add(at(12), 0) == at(12)                # a closing instant is not "inside" closed time
    assert engine.add(at(12, 30), 0) == at(13, 30)        # lunch: the next opening
    assert engine.add(at(12), 1) == at(13, 30) + timedelta(seconds=1)
    assert engine.next_working(at(12)) == at(13, 30)      # closed at 12:00 sharp
    assert engine.next_working(at(9)) == at(9)
    assert engine.add(at(17, 30), 60) == at(9, 1) + timedelta(days=1)
    assert engine.between(at(8), at(18)) == 7 * 3600


def test_a_night_shift_across_midnight_runs_without_a_break():
    week = tuple(((0, 6 * 60), (22 * 60, 24 * 60)) for _ in range(7))
    engine = ScheduleEngine(Rules(weekly=week, follows_holidays=False))
    start = datetime(2026, 11, 23, 23, 0, tzinfo=SH)
    assert engine.add(start, 2 * 3600) == datetime(2026, 11, 24, 1, 0, tzinfo=SH)
    assert engine.add(start, 3600) == datetime(2026, 11, 24, 0, 0, tzinfo=SH)
    assert engine.add(engine.add(start, 3600), 0) == datetime(2026, 11, 24, 0, 0, tzinfo=SH)


def test_a_key_period_day_closes_at_midnight_and_that_instant_is_kept():
    """The last key-period day is open until 24:00 and the next day opens at 09:00: a target running out at
    midnight is due at midnight, and adding nothing to it keeps it there."""
    engine = ScheduleEngine(Rules(weekly=DEFAULT_WEEK, overrides=(
        Override(OverrideKind.KEY_PERIOD, date(2026, 11, 28), date(2026, 11, 28), "重保"),)))
    due = engine.add(datetime(2026, 11, 28, 22, tzinfo=SH), 2 * 3600)
    assert due == datetime(2026, 11, 29, 0, tzinfo=SH)
    assert engine.add(due, 0) == due
    assert engine.add(due, 1) == datetime(2026, 11, 30, 9, 0, 1, tzinfo=SH)  # Sunday closed, Monday 09:00


def test_a_calendar_that_is_never_open_is_refused_not_searched_forever():
    from opsdesk.calendars.engine import CalendarError

    engine = ScheduleEngine(Rules(weekly=DEFAULT_WEEK, overrides=(
        Override(OverrideKind.CLOSED, date(2026, 1, 1), date(2040, 1, 1)),)))
    with pytest.raises(CalendarError):
        engine.add(datetime(2026, 6, 1, tzinfo=SH), 60)
    assert engine.between(datetime(2026, 6, 1, tzinfo=SH), datetime(2036, 6, 1, tzinfo=SH)) == 0


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        ScheduleEngine(Rules(weekly=DEFAULT_WEEK)).add(datetime(2026, 1, 5, 9), 60)


# --- the same properties on the calendars as stored, through the cached engine -----------------------------

@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=instants(), a=durations, b=durations)
def test_properties_hold_on_the_seeded_5x8(five_by_eight, t, a, b):
    engine = calendar_engine(five_by_eight)
    assert engine.add(engine.add(t, a), b) == engine.add(t, a + b)
    assert engine.between(t, engine.add(t, a)) == a
    assert not closed_strictly_inside(engine, engine.add(t, a))
    assert engine.next_working(engine.next_working(t)) == engine.next_working(t)


@pytest.mark.django_db
def test_properties_hold_with_overrides_added_through_the_service(five_by_eight, superuser):
    from opsdesk.calendars import services

    services.calendar_override_add(calendar=five_by_eight, by=superuser, kind=OverrideKind.KEY_PERIOD,
                                   start_date=date(2026, 3, 3), end_date=date(2026, 3, 12), name="两会重保期")
    services.calendar_override_add(calendar=five_by_eight, by=superuser, kind=OverrideKind.CLOSED,
                                   start_date=date(2026, 6, 15), end_date=date(2026, 6, 16), name="机房搬迁")
    services.calendar_override_add(calendar=five_by_eight, by=superuser, kind=OverrideKind.WORKING,
                                   start_date=date(2026, 6, 20), name="周六加班")
    engine = calendar_engine(five_by_eight)
    assert isinstance(engine, ScheduleEngine) and len(engine.rules.overrides) == 3

    @settings(max_examples=150, deadline=None)
    @given(t=instants(), a=durations, b=durations)
    def check(t, a, b):
        assert engine.add(engine.add(t, a), b) == engine.add(t, a + b)
        assert engine.between(t, engine.add(t, a)) == a
        assert not closed_strictly_inside(engine, engine.add(t, a))

    check()
    # and the rules the engine was built from are the stored ones
    assert calendar_rules(five_by_eight).overrides == engine.rules.overrides
    assert CalendarOverride.objects.filter(calendar=five_by_eight).count() == 3


def test_key_period_closed_and_extra_working_days_on_fixed_dates():
    r = Rules(weekly=DEFAULT_WEEK, statutory=REAL_DAYS, loaded_years=frozenset({2025, 2026}), overrides=(
        Override(OverrideKind.KEY_PERIOD, date(2026, 10, 1), date(2026, 10, 3), "国庆重保"),
        Override(OverrideKind.CLOSED, date(2026, 10, 3), date(2026, 10, 3), "never wins over the key period"),
        Override(OverrideKind.CLOSED, date(2026, 11, 25), date(2026, 11, 25), "停电"),
        Override(OverrideKind.WORKING, date(2026, 11, 28), date(2026, 11, 28), "周六加班"),
    ))
    engine = ScheduleEngine(r)
    # a key period is open all 24 hours even on a statutory holiday
    assert engine.add(datetime(2026, 10, 1, 23, tzinfo=SH), 2 * 3600) == datetime(2026, 10, 2, 1, tzinfo=SH)
    assert engine.day_info(date(2026, 10, 3)).kind == "key_period"
    assert engine.day_info(date(2026, 10, 4)).kind == "holiday"  # the holiday resumes after the key period
    # an extra closed Wednesday, an extra working Saturday with Monday's hours
    assert engine.add(datetime(2026, 11, 24, 17, tzinfo=SH), 3600) == datetime(2026, 11, 26, 9, 30, tzinfo=SH)
    assert engine.add(datetime(2026, 11, 27, 17, tzinfo=SH), 3600) == datetime(2026, 11, 28, 9, 30, tzinfo=SH)
    assert engine.missing_years(datetime(2026, 12, 30, tzinfo=SH), datetime(2027, 1, 2, tzinfo=SH)) == {2027}
    assert engine.missing_years(datetime(2025, 1, 2, tzinfo=SH), datetime(2026, 1, 2, tzinfo=SH)) == set()


def test_a_calendar_not_following_holidays_has_no_missing_years():
    engine = ScheduleEngine(Rules(weekly=DEFAULT_WEEK, follows_holidays=False))
    assert engine.missing_years(datetime(2030, 1, 1, tzinfo=SH), datetime(2031, 1, 1, tzinfo=SH)) == set()
    assert engine.add(datetime(2026, 10, 1, 9, tzinfo=SH), 3600) == datetime(2026, 10, 1, 10, tzinfo=SH)
    assert AlwaysOpen().missing_years(datetime(2030, 1, 1, tzinfo=SH), datetime(2031, 1, 1, tzinfo=SH)) == set()


def test_open_minutes_of_a_day_match_between_over_that_day():
    engine = ScheduleEngine(Rules(weekly=DEFAULT_WEEK, statutory=REAL_DAYS))
    for d in (date(2025, 1, 26), date(2025, 1, 28), date(2025, 1, 27), date(2025, 2, 1)):
        start = datetime.combine(d, time(), tzinfo=SH)
        assert engine.between(start, start + timedelta(days=1)) == engine.day_info(d).open_minutes * 60
