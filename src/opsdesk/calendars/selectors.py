"""Reads of business calendars: the arithmetic engine of a calendar (cached per process), lists, month views.

Who may read: contractor staff (anyone holding a staff role on a contract) and superusers; calendars are the
contractor's business, so client people see none. Who may change them: superusers and system
administrators (role `system_admin` on any contract).
"""

from __future__ import annotations

import calendar as pycalendar
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError

from .choices import CalendarKind
from .engine import AlwaysOpen, CalendarEngine, DayInfo, Override, Rules, ScheduleEngine
from .models import Calendar, CalendarOverride, HolidayYear, StatutoryDay, WorkingPeriod

# --- the engine ----------------------------------------------------------------------------------------

_cache: dict[int, tuple[tuple[Any, ...], CalendarEngine]] = {}
_cache_lock = threading.Lock()


def calendar_engine(calendar: Calendar | int) -> CalendarEngine:
    """The arithmetic engine of a calendar (cached per process, rebuilt when the calendar's revision moves).

    One query on a warm cache: the calendar's (revision, updated_at) by primary key, even when given an
    instance, because an instance may have been read before someone loaded a holiday year. `updated_at` is
    part of the key so that a revision number reused after a rolled-back change can never match a stale
    engine. NotFound for an unknown id.
    """
    pk = calendar if isinstance(calendar, int) else calendar.pk
    key = _revision_key(pk)
    if key is None:
        raise NotFound(_("There is no such calendar."), code="calendar_not_found")
    cached = _cache.get(pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    engine = build_engine(pk)
    with _cache_lock:
        _cache[pk] = (key, engine)
    return engine


@cache
def _revision_sql() -> str:
    q = connection.ops.quote_name
    table = q(Calendar._meta.db_table)
    return f"SELECT {q('revision')}, {q('updated_at')} FROM {table} WHERE {q('id')} = %s"  # noqa: S608 - names only


def _revision_key(pk: int) -> tuple[Any, ...] | None:
    """(revision, updated_at) of a calendar by a fixed SQL text: through the ORM this lookup cost 0.23 ms of
    CPU to build the query, through the cursor 0.02 ms (it runs on every incident creation)."""
    with connection.cursor() as cursor:
        cursor.execute(_revision_sql(), [pk])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def build_engine(pk: int) -> CalendarEngine:
    """A fresh engine from the database (five small queries; the holidays only for calendars that follow them)."""
    calendar = one_or_none(Calendar.objects.filter(pk=pk))
    if calendar is None:
        raise NotFound(_("There is no such calendar."), code="calendar_not_found")
    if calendar.kind == CalendarKind.ALWAYS:
        return AlwaysOpen()
    return ScheduleEngine(calendar_rules(calendar))


def calendar_rules(calendar: Calendar) -> Rules:
    """The rules of a schedule calendar as plain data (see engine.Rules)."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for weekday, start, end in WorkingPeriod.objects.filter(calendar=calendar).order_by(
            "weekday", "start_minute").values_list("weekday", "start_minute", "end_minute"):
        week[weekday].append((start, end))
    statutory: dict[date, tuple[str, str]] = {}
    loaded: frozenset[int] = frozenset()
    if calendar.follows_statutory_holidays:
        statutory = {d: (kind, name) for d, kind, name in StatutoryDay.objects.values_list("date", "kind", "name")}
        loaded = frozenset(HolidayYear.objects.values_list("year", flat=True))
    overrides = tuple(Override(kind, start, end, name) for kind, start, end, name in
                      CalendarOverride.objects.filter(calendar=calendar).values_list(
                          "kind", "start_date", "end_date", "name"))
    return Rules(weekly=tuple(tuple(p) for p in week), timezone=calendar.timezone,
                 follows_holidays=calendar.follows_statutory_holidays,
                 adjusted_weekday=calendar.adjusted_day_weekday, statutory=statutory, loaded_years=loaded,
                 overrides=overrides)


def forget_engines() -> None:
    """Drop every cached engine of this process (tests; never needed for correctness)."""
    with _cache_lock:
        _cache.clear()


# --- who may see and change ----------------------------------------------------------------------------

def can_view_calendars(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        bool(user.is_superuser) or access_for(user).is_staff_member)


def can_admin_calendars(user: User | None) -> bool:
    """Superusers and system administrators (三员分立: configuration is the system administrator's job)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or Role.SYSTEM_ADMIN in access_for(user).roles


def _require_viewer(user: User) -> None:
    if not can_view_calendars(user):
        raise PermissionDenied(_("Only the service staff may see business calendars."))


# --- lists and single calendars ------------------------------------------------------------------------

def calendar_list(*, viewer: User) -> QuerySet[Calendar]:
    """Every calendar, by code (there are a handful; the API pages them anyway)."""
    _require_viewer(viewer)
    return Calendar.objects.order_by("code")


def calendar_get(*, code: str, viewer: User) -> Calendar:
    """A calendar by code; NotFound when there is none."""
    _require_viewer(viewer)
    code = str(code)[:40]
    calendar = None if "\x00" in code else one_or_none(Calendar.objects.filter(code=code))
    if calendar is None:
        raise NotFound(_("There is no calendar “%(code)s”.") % {"code": code.replace("\x00", "")},
                       code="calendar_not_found")
    return calendar


def calendar_periods(*, calendar: Calendar) -> list[list[WorkingPeriod]]:
    """The working periods of each weekday, Monday first."""
    week: list[list[WorkingPeriod]] = [[] for _ in range(7)]
    for period in WorkingPeriod.objects.filter(calendar=calendar).order_by("weekday", "start_minute"):
        week[period.weekday].append(period)
    return week


def calendar_overrides(*, calendar: Calendar, upcoming_from: date | None = None) -> list[CalendarOverride]:
    """A calendar's overrides by start date (with their author); only those not yet over when `upcoming_from`."""
    qs = CalendarOverride.objects.filter(calendar=calendar).select_related("created_by")
    if upcoming_from is not None:
        qs = qs.filter(end_date__gte=upcoming_from)
    return list(qs.order_by("start_date", "id"))


def calendar_override_get(*, calendar: Calendar, override_id: int) -> CalendarOverride:
    """One override of `calendar`; NotFound when it is gone (removed meanwhile) or belongs to another."""
    found = one_or_none(CalendarOverride.objects.filter(pk=override_id, calendar=calendar).select_related("calendar"))
    if found is None:
        raise NotFound(_("This override no longer exists."), code="override_not_found")
    return found


def holiday_calendar() -> Calendar | None:
    """A calendar that follows the holidays (the default 5x8 when present), to show a year's days on."""
    return one_or_none(Calendar.objects.filter(follows_statutory_holidays=True).exclude(
        kind=CalendarKind.ALWAYS).order_by(models.Case(models.When(code="5x8", then=0), default=1), "code"))


def holiday_years(*, viewer: User) -> list[HolidayYear]:
    """The loaded yearly arrangements, newest first, with their counts of holidays and adjusted working days."""
    _require_viewer(viewer)
    rows = list(HolidayYear.objects.select_related("loaded_by").order_by("-year"))
    counts: dict[int, tuple[int, int]] = {
        year: (holidays, workdays) for year, holidays, workdays in StatutoryDay.objects.values("year").annotate(
            holidays=Count("id", filter=Q(kind="holiday")), workdays=Count("id", filter=Q(kind="workday")))
        .values_list("year", "holidays", "workdays")}
    for row in rows:
        row.holiday_count, row.workday_count = counts.get(row.year, (0, 0))  # type: ignore[attr-defined]
    return rows


def loaded_years() -> list[int]:
    """The years with a loaded holiday arrangement, ascending."""
    return sorted(HolidayYear.objects.values_list("year", flat=True))


def statutory_days(*, year: int) -> list[StatutoryDay]:
    """The days of one year's arrangement."""
    return list(StatutoryDay.objects.filter(year=year).order_by("date"))


# --- the month view -------------------------------------------------------------------------------------

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str | None) -> date:
    """`YYYY-MM` → the first of that month; the current month (Asia/Shanghai) when empty."""
    if not value:
        today = timezone.localdate()
        return date(today.year, today.month, 1)
    m = MONTH_RE.match(value.strip())
    if m and 2000 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1)
    raise ValidationError(fields={"month": _("Use a month like 2026-10 (years 2000 to 2100).")})


@dataclass(frozen=True)
class MonthView:
    month: date  # the first of the month
    weeks: list[list[DayInfo | None]]  # Monday first; None pads the first and last week
    missing_years: set[int]

    @property
    def previous(self) -> date:
        return date(self.month.year - 1, 12, 1) if self.month.month == 1 else date(
            self.month.year, self.month.month - 1, 1)

    @property
    def next(self) -> date:
        return date(self.month.year + 1, 1, 1) if self.month.month == 12 else date(
            self.month.year, self.month.month + 1, 1)

    @property
    def open_minutes(self) -> int:
        return sum(day.open_minutes for week in self.weeks for day in week if day is not None)


def calendar_month(*, calendar: Calendar, month: date) -> MonthView:
    """Each day of `month` as the calendar sees it (kind, open periods, holiday or override name)."""
    engine: Any = calendar_engine(calendar)
    first = date(month.year, month.month, 1)
    weeks: list[list[DayInfo | None]] = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([engine.day_info(d) if d.month == first.month else None for d in week])
    noon = datetime(first.year, first.month, 1, 12, tzinfo=ZoneInfo(calendar.timezone))
    return MonthView(month=first, weeks=weeks, missing_years=engine.missing_years(noon, noon))
