"""Fixed cases on the seeded 5x8 calendar, typed by hand from the State Council's notices (not derived from
the chinesecalendar package, so a wrong package, seed or engine fails here):

国办发明电〔2024〕12号 (2025): 春节 1月28日（除夕、周二）至2月4日（周二）放假调休，共8天；1月26日（周日）、
2月8日（周六）上班。国庆节、中秋节 10月1日（周三）至8日（周三）放假调休，共8天；9月28日（周日）、10月11日
（周六）上班。
国办发明电〔2025〕7号 (2026): 春节 2月15日（周日）至23日（周一）放假调休，共9天；2月14日（周六）、2月28日
（周六）上班。中秋节 9月25日（周五）至27日（周日）放假。国庆节 10月1日（周四）至7日（周三）放假调休，共7天；
9月20日（周日）、10月10日（周六）上班。

5x8 = Monday to Friday 09:00–12:00 and 13:30–17:30 (7 hours), adjusted working days with the same hours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opsdesk.calendars.choices import DayKind
from opsdesk.calendars.models import StatutoryDay

SH = ZoneInfo("Asia/Shanghai")
TWO_HOURS = 2 * 3600
pytestmark = pytest.mark.django_db


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# (opened, target seconds, due): a level-3 incident opened at 17:20 on the last working day before the
# holiday has 10 minutes that day; the other 110 run from 09:00 of the first working day after it.
CASES = [
    pytest.param(at(2025, 1, 27, 17, 20), TWO_HOURS, at(2025, 2, 5, 10, 50), id="2025 Spring Festival"),
    pytest.param(at(2025, 9, 30, 17, 20), TWO_HOURS, at(2025, 10, 9, 10, 50), id="2025 National Day"),
    pytest.param(at(2026, 2, 14, 17, 20), TWO_HOURS, at(2026, 2, 24, 10, 50), id="2026 Spring Festival"),
    pytest.param(at(2026, 9, 30, 17, 20), TWO_HOURS, at(2026, 10, 8, 10, 50), id="2026 National Day"),
    pytest.param(at(2026, 9, 24, 17, 20), TWO_HOURS, at(2026, 9, 28, 10, 50), id="2026 Mid-Autumn"),
    # Adjusted working weekends count as working days.
    pytest.param(at(2025, 1, 24, 17, 0), TWO_HOURS, at(2025, 1, 26, 10, 30), id="2025-01-26 Sunday worked"),
    pytest.param(at(2025, 2, 7, 17, 0), TWO_HOURS, at(2025, 2, 8, 10, 30), id="2025-02-08 Saturday worked"),
    pytest.param(at(2025, 9, 26, 17, 20), TWO_HOURS, at(2025, 9, 28, 10, 50), id="2025-09-28 Sunday worked"),
    pytest.param(at(2025, 10, 10, 17, 20), TWO_HOURS, at(2025, 10, 11, 10, 50), id="2025-10-11 Saturday worked"),
    pytest.param(at(2026, 2, 13, 17, 20), TWO_HOURS, at(2026, 2, 14, 10, 50), id="2026-02-14 Saturday worked"),
    pytest.param(at(2026, 2, 27, 17, 20), TWO_HOURS, at(2026, 2, 28, 10, 50), id="2026-02-28 Saturday worked"),
    pytest.param(at(2026, 9, 18, 17, 20), TWO_HOURS, at(2026, 9, 20, 10, 50), id="2026-09-20 Sunday worked"),
    pytest.param(at(2026, 10, 9, 17, 20), TWO_HOURS, at(2026, 10, 10, 10, 50), id="2026-10-10 Saturday worked"),
    # Opened during the holiday: the clock starts on the first working day.
    pytest.param(at(2026, 10, 3, 11, 0), TWO_HOURS, at(2026, 10, 8, 11, 0), id="opened during 2026 National Day"),
    # Over lunch and a weekend: 4 h from Friday 16:00 = 1.5 h Friday + 2.5 h Monday (09:00–11:30).
    pytest.param(at(2025, 3, 7, 16, 0), 4 * 3600, at(2025, 3, 10, 11, 30), id="weekend"),
    pytest.param(at(2025, 3, 10, 11, 0), TWO_HOURS, at(2025, 3, 10, 14, 30), id="lunch break"),
]


@pytest.mark.parametrize(("opened", "target", "due"), CASES)
def test_due_times_on_5x8_with_statutory_holidays(engine_of, opened, target, due):
    engine = engine_of("5x8")
    assert engine.add(opened, target) == due
    assert engine.between(opened, due) == target


# Working hours in a whole month: (working days on the notice) × 7 h.
MONTHS = [
    # Jan 2025: 23 weekdays − 1 Jan and 28–31 Jan + Sunday 26 Jan = 19 days
    pytest.param(date(2025, 1, 1), 19 * 7, id="2025-01"),
    # Feb 2025: 20 weekdays − 3, 4 Feb + Saturday 8 Feb = 19 days
    pytest.param(date(2025, 2, 1), 19 * 7, id="2025-02"),
    # Oct 2025: 23 weekdays − 1, 2, 3, 6, 7, 8 Oct + Saturday 11 Oct = 18 days
    pytest.param(date(2025, 10, 1), 18 * 7, id="2025-10"),
    # Feb 2026: 20 weekdays − 16, 17, 18, 19, 20, 23 Feb + Saturdays 14 and 28 Feb = 16 days
    pytest.param(date(2026, 2, 1), 16 * 7, id="2026-02"),
    # Sep 2026: 22 weekdays − Friday 25 Sep + Sunday 20 Sep = 22 days
    pytest.param(date(2026, 9, 1), 22 * 7, id="2026-09"),
    # Oct 2026: 22 weekdays − 1, 2, 5, 6, 7 Oct + Saturday 10 Oct = 18 days
    pytest.param(date(2026, 10, 1), 18 * 7, id="2026-10"),
]


@pytest.mark.parametrize(("first", "hours"), MONTHS)
def test_working_hours_per_month(engine_of, first, hours):
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start, end = datetime.combine(first, datetime.min.time(), SH), datetime.combine(nxt, datetime.min.time(), SH)
    assert engine_of("5x8").between(start, end) == hours * 3600


@pytest.mark.parametrize(("day", "kind"), [
    (date(2025, 1, 26), DayKind.ADJUSTED_WORKING), (date(2025, 1, 28), DayKind.HOLIDAY),
    (date(2025, 2, 4), DayKind.HOLIDAY), (date(2025, 2, 5), DayKind.WORKING),
    (date(2025, 2, 8), DayKind.ADJUSTED_WORKING),
    (date(2025, 9, 28), DayKind.ADJUSTED_WORKING), (date(2025, 10, 8), DayKind.HOLIDAY),
    (date(2025, 10, 11), DayKind.ADJUSTED_WORKING), (date(2025, 10, 12), DayKind.REST),
    (date(2026, 2, 14), DayKind.ADJUSTED_WORKING), (date(2026, 2, 15), DayKind.HOLIDAY),
    (date(2026, 2, 23), DayKind.HOLIDAY), (date(2026, 2, 24), DayKind.WORKING),
    (date(2026, 2, 28), DayKind.ADJUSTED_WORKING), (date(2026, 9, 20), DayKind.ADJUSTED_WORKING),
    (date(2026, 9, 25), DayKind.HOLIDAY), (date(2026, 10, 7), DayKind.HOLIDAY),
    (date(2026, 10, 8), DayKind.WORKING), (date(2026, 10, 10), DayKind.ADJUSTED_WORKING),
])
def test_day_kinds_match_the_notices(engine_of, day, kind):
    assert engine_of("5x8").day_info(day).kind == kind


def test_the_24x7_calendar_ignores_holidays(engine_of):
    engine = engine_of("24x7")
    assert engine.add(at(2026, 9, 30, 17, 20), TWO_HOURS) == at(2026, 9, 30, 19, 20)
    assert engine.missing_years(at(2030, 1, 1), at(2031, 1, 1)) == set()


def test_years_without_an_arrangement_are_reported(engine_of):
    engine = engine_of("5x8")
    assert engine.missing_years(at(2026, 12, 31, 17), at(2027, 1, 4, 10)) == {2027}
    assert engine.missing_years(at(2025, 3, 1), at(2026, 3, 1)) == set()
    # 2027 is not loaded: its days follow the weekly schedule (1 January 2027 is a Friday, worked).
    assert engine.add(at(2026, 12, 31, 17, 20), TWO_HOURS) == at(2027, 1, 1, 10, 50)


def test_the_seed_holds_every_year_of_the_package():
    years = set(StatutoryDay.objects.values_list("year", flat=True))
    assert set(range(2004, 2027)) <= years
    # spot checks against the notices' counts: 2026 Spring Festival 9 days, National Day 7 days
    spring = StatutoryDay.objects.filter(date__range=(date(2026, 2, 15), date(2026, 2, 23)), kind="holiday")
    assert spring.count() == 9
    assert {d.date for d in StatutoryDay.objects.filter(year=2026, kind="workday")} == {
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
        date(2026, 10, 10)}


def test_durations_of_weeks(engine_of):
    """Four weeks of 5x8 business time (140 h) from Monday 2 March 2026 09:00: twenty working days later."""
    engine = engine_of("5x8")
    due = engine.add(at(2026, 3, 2, 9), 140 * 3600)
    assert due == at(2026, 3, 27, 17, 30)
    # across the 2026 National Day: 10 working days of 7 h from 2026-09-28 09:00 are 28, 29, 30 September,
    # 8, 9, 10 (Saturday, worked), 12, 13, 14 and 15 October
    assert engine.add(at(2026, 9, 28, 9), 70 * 3600) == at(2026, 10, 15, 17, 30)
    assert engine.between(at(2026, 9, 28, 9), at(2026, 10, 15, 17, 30)) == 70 * 3600
    assert engine.add(at(2026, 9, 28, 9), 70 * 3600 + 1) == at(2026, 10, 16, 9) + timedelta(seconds=1)
