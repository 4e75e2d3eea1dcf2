"""Writes to calendars: loading a year with a preview, overrides, schedules; revisions, audit, the signal, the
engine cache."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.calendars import services
from opsdesk.calendars.arrangements import ArrangementErrors, arrangement_preview, parse_arrangement
from opsdesk.calendars.choices import ArrangementSource, CalendarKind, OverrideKind
from opsdesk.calendars.models import Calendar, CalendarOverride, HolidayYear, StatutoryDay, WorkingPeriod
from opsdesk.calendars.selectors import calendar_engine
from opsdesk.calendars.signals import calendar_changed
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

# What a 2027 notice might say (the real one is not published yet): typed the way an operator would.
NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知（示例）
date,kind,name
2027-01-01,holiday,元旦
2027-02-06~2027-02-13,休,春节
2027-02-14,班,春节
2027-02-20，班，春节
"""


@pytest.fixture
def received():
    """The calendar_changed signals sent (after commit) during the test."""
    seen: list[dict] = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    calendar_changed.connect(receiver)
    yield seen
    calendar_changed.disconnect(receiver)


def revisions() -> dict[str, int]:
    return dict(Calendar.objects.values_list("code", "revision"))


# --- loading a year ------------------------------------------------------------------------------------

def test_preview_then_apply_a_new_year(superuser, received, django_capture_on_commit_callbacks):
    days = parse_arrangement(NOTICE_2027, year=2027)
    assert len(days) == 1 + 8 + 2
    preview = arrangement_preview(year=2027, days=days)
    assert preview.loaded is None and preview.counts == {"added": 11, "removed": 0, "changed": 0}
    assert not StatutoryDay.objects.filter(year=2027).exists()  # a preview writes nothing
    before = revisions()
    engine = calendar_engine(Calendar.objects.get(code="5x8"))
    assert engine.missing_years(datetime(2027, 2, 1, tzinfo=SH), datetime(2027, 2, 1, tzinfo=SH)) == {2027}

    with django_capture_on_commit_callbacks(execute=True):
        applied = services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED,
                                              by=superuser, notice="国办发明电〔2026〕X号",
                                              expected_fingerprint=preview.fingerprint)
    assert len(applied.changes) == 11
    record = HolidayYear.objects.get(year=2027)
    assert (record.source, record.loaded_by, record.notice) == ("entered", superuser, "国办发明电〔2026〕X号")
    after = revisions()
    assert after["5x8"] == before["5x8"] + 1 and after["24x7"] == before["24x7"]  # 7x24 follows no holidays
    entry = AuditEntry.objects.filter(action="calendar.holidays.load").latest("id")
    assert entry.object_id == str(record.pk) and entry.actor == superuser and entry.after["counts"]["added"] == 11
    assert received == [{"calendar_ids": [Calendar.objects.get(code="5x8").pk], "dates": [d.date for d in days],
                         "reason": "holidays:2027", "signal": calendar_changed}]

    engine = calendar_engine(Calendar.objects.get(code="5x8"))  # rebuilt: the revision moved
    assert engine.missing_years(datetime(2027, 2, 1, tzinfo=SH), datetime(2027, 2, 1, tzinfo=SH)) == set()
    # Friday 5 Feb 2027 17:20 + 2 h: the holiday runs to Saturday 13th, Sunday 14th is worked
    assert engine.add(datetime(2027, 2, 5, 17, 20, tzinfo=SH), 7200) == datetime(2027, 2, 14, 10, 50, tzinfo=SH)


def test_reloading_a_year_previews_removed_and_changed_days(superuser):
    days = parse_arrangement(NOTICE_2027, year=2027)
    services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED, by=superuser)
    corrected = parse_arrangement("2027-01-01,holiday,元旦\n2027-02-06~2027-02-13,holiday,春节\n"
                                  "2027-02-14,workday,春节调休\n", year=2027)
    preview = arrangement_preview(year=2027, days=corrected)
    assert preview.counts == {"added": 0, "removed": 1, "changed": 1}
    assert {(c.date, c.change) for c in preview.changes} == {(date(2027, 2, 20), "removed"),
                                                             (date(2027, 2, 14), "changed")}


def test_a_stale_preview_is_refused_and_changes_nothing(superuser):
    days = parse_arrangement(NOTICE_2027, year=2027)
    stale = arrangement_preview(year=2027, days=days)
    services.holiday_year_apply(year=2027, days=days[:3], source=ArrangementSource.ENTERED, by=superuser)
    rows = set(StatutoryDay.objects.filter(year=2027).values_list("date", "kind", "name"))
    with pytest.raises(Conflict):
        services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED, by=superuser,
                                    expected_fingerprint=stale.fingerprint)
    assert set(StatutoryDay.objects.filter(year=2027).values_list("date", "kind", "name")) == rows


def test_bad_lines_are_reported_per_line_and_change_nothing():
    text = ("2027-01-01,holiday,元旦\n"
            "2027-02-30,holiday,春节\n"          # no such date
            "2027-02-10,workday,春节\n"          # a Wednesday cannot be an adjusted working day
            "2027-03-01,vacation,x\n"            # unknown kind
            "2026-06-01,holiday,端午\n"          # not in 2027
            "2027-01-01,holiday,again\n"         # listed twice
            "just some words\n")
    count = StatutoryDay.objects.count()
    with pytest.raises(ArrangementErrors) as caught:
        parse_arrangement(text, year=2027)
    lines = dict(caught.value.lines)
    assert sorted(lines) == [2, 3, 4, 5, 6, 7]
    assert "2027-02-30" in lines[2] and "2027-02-10" in lines[3] and "vacation" in lines[4]
    assert "2026-06-01" in lines[5] and "第 1 行" in lines[6]  # messages in the site language (zh-hans)
    assert caught.value.fields["line 7"]
    assert StatutoryDay.objects.count() == count and not HolidayYear.objects.filter(year=2027).exists()


def test_uploaded_files_in_gbk_are_read():
    data = "日期,类型,名称\n2027-01-01,放假,元旦\n2027-02-14,补班,春节\n".encode("gb18030")
    days = services.arrangement_days(year=2027, source=ArrangementSource.FILE, file_data=data)
    assert [(d.date, d.kind, d.name) for d in days] == [(date(2027, 1, 1), "holiday", "元旦"),
                                                         (date(2027, 2, 14), "workday", "春节")]


def test_a_binary_upload_is_refused():
    with pytest.raises(ValidationError) as caught:
        services.arrangement_days(year=2027, source=ArrangementSource.FILE, file_data=b"\x00\x01\xff\xfe" * 10)
    assert "file" in caught.value.fields


def test_the_package_knows_only_its_years():
    assert len(services.arrangement_days(year=2026, source=ArrangementSource.PACKAGE)) == 39
    with pytest.raises(ValidationError) as caught:
        services.arrangement_days(year=2027, source=ArrangementSource.PACKAGE)
    assert "2026" in caught.value.fields["year"]


def test_reapplying_the_package_year_changes_no_day_and_bumps_nothing(superuser, received,
                                                                      django_capture_on_commit_callbacks):
    before = revisions()
    days = services.arrangement_days(year=2026, source=ArrangementSource.PACKAGE)
    with django_capture_on_commit_callbacks(execute=True):
        applied = services.holiday_year_apply(year=2026, days=days, source=ArrangementSource.PACKAGE, by=superuser)
    assert applied.changes == [] and revisions() == before and received == []
    assert HolidayYear.objects.get(year=2026).loaded_by == superuser  # the record still says who and when


def test_only_administrators_load_years(world):
    days = parse_arrangement(NOTICE_2027, year=2027)
    with pytest.raises(PermissionDenied):
        services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED, by=world.pm)
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_a_system_administrator_may_load_years(sysadmin):
    days = parse_arrangement(NOTICE_2027, year=2027)
    services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED, by=sysadmin)
    assert HolidayYear.objects.get(year=2027).loaded_by == sysadmin


# --- overrides ---------------------------------------------------------------------------------------------

def test_override_add_and_remove(five_by_eight, superuser, received, django_capture_on_commit_callbacks):
    engine = calendar_engine(five_by_eight)
    tuesday = datetime(2026, 12, 1, 17, 0, tzinfo=SH)
    assert engine.add(tuesday, 3600) == datetime(2026, 12, 2, 9, 30, tzinfo=SH)
    rev = five_by_eight.revision
    with django_capture_on_commit_callbacks(execute=True):
        override = services.calendar_override_add(calendar=five_by_eight, by=superuser, kind=OverrideKind.CLOSED,
                                                  start_date="2026-12-02", end_date="2026-12-03", name="机房停电")
    assert Calendar.objects.get(pk=five_by_eight.pk).revision == rev + 1
    assert calendar_engine(five_by_eight).add(tuesday, 3600) == datetime(2026, 12, 4, 9, 30, tzinfo=SH)
    assert received[-1]["dates"] == [date(2026, 12, 2), date(2026, 12, 3)]
    assert received[-1]["reason"] == "override.add"
    assert AuditEntry.objects.filter(action="calendar.override.add", object_id=str(override.pk)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_override_remove(override=override, by=superuser)
    assert not CalendarOverride.objects.filter(pk=override.pk).exists()
    assert calendar_engine(five_by_eight).add(tuesday, 3600) == datetime(2026, 12, 2, 9, 30, tzinfo=SH)
    assert received[-1]["reason"] == "override.remove"
    assert AuditEntry.objects.filter(action="calendar.override.remove").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "holiday"}, "kind"),
    ({"start_date": "2026-13-01"}, "start_date"),
    ({"start_date": ""}, "start_date"),
    ({"end_date": "2026-11-30"}, "end_date"),
    ({"end_date": "2028-01-01"}, "end_date"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"start_date": "1999-12-31"}, "start_date"),
])
def test_bad_overrides_are_refused_per_field(five_by_eight, superuser, data, field):
    args = {"kind": OverrideKind.KEY_PERIOD, "start_date": "2026-12-01", "end_date": "2026-12-05", "name": "重保"}
    with pytest.raises(ValidationError) as caught:
        services.calendar_override_add(calendar=five_by_eight, by=superuser, **{**args, **data})
    assert field in caught.value.fields
    assert not CalendarOverride.objects.exists()


def test_no_overrides_on_7x24(superuser):
    with pytest.raises(ValidationError):
        services.calendar_override_add(calendar=Calendar.objects.get(code="24x7"), by=superuser,
                                       kind=OverrideKind.CLOSED, start_date="2026-12-01", name="x")


# --- calendars and schedules ------------------------------------------------------------------------------------

def test_create_a_custom_calendar_and_edit_its_week(superuser, received, django_capture_on_commit_callbacks):
    calendar = services.calendar_create(by=superuser, code="gov-6x9", name="政务大厅 6×9")
    assert calendar.kind == CalendarKind.WORKING_HOURS and WorkingPeriod.objects.filter(calendar=calendar).count() == 10
    week = [[(8 * 60 + 30, 17 * 60 + 30)]] * 6 + [[]]
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_update(calendar=calendar, by=superuser, week=week, revision=calendar.revision,
                                 adjusted_day_weekday=5)
    calendar.refresh_from_db()
    assert calendar.kind == CalendarKind.CUSTOM and calendar.adjusted_day_weekday == 5 and calendar.revision == 2
    assert received[-1] == {"calendar_ids": [calendar.pk], "dates": [], "reason": "schedule",
                            "signal": calendar_changed}
    engine = calendar_engine(calendar)
    saturday = datetime(2026, 11, 28, 17, 0, tzinfo=SH)
    assert engine.add(saturday, 3600) == datetime(2026, 11, 30, 9, 0, tzinfo=SH)
    assert AuditEntry.objects.filter(action="calendar.update", object_id=str(calendar.pk)).get().before["week"][5] == ""


@pytest.mark.parametrize(("week", "field"), [
    ([[(540, 720), (700, 800)]] + [[]] * 6, "day_0"),   # overlap
    ([[(720, 540)]] + [[]] * 6, "day_0"),               # backwards
    ([[(0, 1500)]] + [[]] * 6, "day_0"),                # past 24:00
    ([[]] * 7, "week"),                                 # never open
])
def test_bad_weeks_are_refused_per_weekday(five_by_eight, superuser, week, field):
    with pytest.raises(ValidationError) as caught:
        services.calendar_update(calendar=five_by_eight, by=superuser, week=week)
    assert field in caught.value.fields
    assert WorkingPeriod.objects.filter(calendar=five_by_eight).count() == 10


def test_adjusted_days_need_a_weekday_with_hours(five_by_eight, superuser):
    with pytest.raises(ValidationError) as caught:
        services.calendar_update(calendar=five_by_eight, by=superuser, adjusted_day_weekday=6)
    assert "adjusted_day_weekday" in caught.value.fields


def test_a_stale_schedule_edit_is_a_conflict(five_by_eight, superuser):
    services.calendar_update(calendar=five_by_eight, by=superuser, name="5×8 新名称")
    with pytest.raises(Conflict):
        services.calendar_update(calendar=five_by_eight, by=superuser, name="旧页面", revision=0)


@pytest.mark.parametrize(("code", "field"), [("5x8", "code"), ("holidays", "code"), ("has space", "code"),
                                             ("", "code")])
def test_bad_calendar_codes(superuser, code, field):
    with pytest.raises(ValidationError) as caught:
        services.calendar_create(by=superuser, code=code, name="x")
    assert field in caught.value.fields


def test_only_administrators_change_calendars(world, five_by_eight):
    with pytest.raises(PermissionDenied):
        services.calendar_update(calendar=five_by_eight, by=world.agent, name="x")
    with pytest.raises(PermissionDenied):
        services.calendar_override_add(calendar=five_by_eight, by=world.pm, kind=OverrideKind.CLOSED,
                                       start_date="2026-12-01", name="x")


# --- the engine cache --------------------------------------------------------------------------------------

def test_a_warm_engine_costs_one_query(five_by_eight):
    calendar_engine(five_by_eight)
    with CaptureQueriesContext(connection) as ctx:
        first = calendar_engine(five_by_eight)
        second = calendar_engine(five_by_eight.pk)
    assert len(ctx.captured_queries) == 2 and first is second


def test_a_changed_calendar_gets_a_new_engine(five_by_eight, superuser):
    old = calendar_engine(five_by_eight)
    services.calendar_override_add(calendar=five_by_eight, by=superuser, kind=OverrideKind.WORKING,
                                   start_date="2026-11-28", name="周六加班")
    new = calendar_engine(five_by_eight)
    assert new is not old
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=SH)
    assert old.next_working(saturday) != saturday and new.next_working(saturday) == saturday


def test_a_notice_may_reach_into_the_previous_december(superuser):
    """Like 2012's notice (2011-12-31 worked): a 2027 notice listing 2026-12-26 takes that day over from 2026,
    and the preview says so."""
    StatutoryDay.objects.create(date=date(2026, 12, 26), kind="holiday", name="虚构", year=2026)
    days = parse_arrangement("2026-12-26,workday,元旦\n2027-01-01,holiday,元旦\n", year=2027)
    preview = arrangement_preview(year=2027, days=days)
    moved = next(c for c in preview.changes if c.date == date(2026, 12, 26))
    assert (moved.change, moved.before, moved.after, moved.before_year) == (
        "changed", ("holiday", "虚构"), ("workday", "元旦"), 2026)
    services.holiday_year_apply(year=2027, days=days, source=ArrangementSource.ENTERED, by=superuser)
    assert StatutoryDay.objects.get(date=date(2026, 12, 26)).year == 2027
    with pytest.raises(ArrangementErrors):
        parse_arrangement("2026-11-30,holiday,x\n", year=2027)  # only December of the year before
