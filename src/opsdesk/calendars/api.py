"""API of the calendars app, mounted at /api/v1/sla/calendars/ (see config/api.py).

Read-only for integrators and the service staff: the calendars with their schedules, overrides and loaded
holiday years, and the calendar arithmetic itself (`/add`, `/between`), which is what the SLA engine uses.
A time without an offset is read in the calendar's time zone (Asia/Shanghai); answers carry the offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from opsdesk.core.api import ERROR_RESPONSES, CursorPageOut, Text, api_user
from opsdesk.core.errors import ValidationError
from opsdesk.core.pagination import keyset_page

from . import selectors
from .choices import DayKind, OverrideKind, Weekday
from .engine import CalendarError
from .models import Calendar, minutes_label

router = Router(tags=["calendars"])

MAX_MINUTES = 1_000_000  # about nine years of 5x8 business time
MAX_SPAN_DAYS = 3660
YEAR_MIN, YEAR_MAX = 1970, 2100
# `+08:00` sent unencoded in a query string arrives as ` 08:00`: put the plus back.
_LOST_PLUS = re.compile(r"^(.+\d)\s(\d{2}:?\d{2})$")


# --- schemas -------------------------------------------------------------------------------------------

class CalendarItemOut(Schema):
    code: str = Field(examples=["5x8"])
    name: str
    kind: str = Field(description="`24x7`, `5x8` or `custom`.")
    kind_label: str
    timezone: str
    follows_statutory_holidays: bool
    revision: int = Field(description="Grows with every change of the calendar's hours or of the holidays it follows.")
    is_active: bool


class PeriodOut(Schema):
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["12:00"], description="At most `24:00`.")


class WeekdayOut(Schema):
    weekday: int = Field(description="0 Monday … 6 Sunday.")
    label: str
    periods: list[PeriodOut]


class OverrideOut(Schema):
    id: int
    kind: str = Field(description="`key_period` (open all hours), `closed` or `working`.")
    kind_label: str
    start_date: dt.date
    end_date: dt.date
    name: str


class CalendarOut(CalendarItemOut):
    description: str
    adjusted_day_weekday: int = Field(description="Adjusted and extra working days have this weekday's periods.")
    week: list[WeekdayOut] = Field(description="Empty for a 7x24 calendar.")
    overrides: list[OverrideOut]
    loaded_years: list[int] = Field(description="Years whose statutory-holiday arrangement is loaded (empty for "
                                                "calendars that do not follow the holidays).")


class CalendarPageOut(CursorPageOut):
    items: list[CalendarItemOut]


class AddOut(Schema):
    calendar: str
    start: dt.datetime
    minutes: int
    seconds: int
    due: dt.datetime = Field(description="When `minutes` of business time have passed since `start`, in the "
                                         "calendar's time zone.")
    missing_years: list[int] = Field(description="Years touched without a loaded holiday arrangement: the answer "
                                                 "counts their holidays as ordinary days and may change.")


class BetweenOut(Schema):
    calendar: str
    start: dt.datetime
    end: dt.datetime
    seconds: int = Field(description="Business seconds in [start, end).")
    minutes: int = Field(description="Whole business minutes (seconds // 60).")
    missing_years: list[int]


class DayOut(Schema):
    date: dt.date
    kind: str = Field(description="working, rest, holiday, adjusted_working, closed, extra_working, key_period, "
                                  "always.")
    kind_label: str
    name: str
    periods: list[PeriodOut]


class MonthOut(Schema):
    calendar: str
    month: str = Field(examples=["2026-10"])
    days: list[DayOut]
    missing_years: list[int]


class ListParams(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: Text | None = None


class AddParams(Schema):
    start: Text = Field(description="ISO 8601; without an offset, in the calendar's time zone (Asia/Shanghai).")
    minutes: int = Field(ge=0, le=MAX_MINUTES, description="Business minutes to add.")


class BetweenParams(Schema):
    start: Text = Field(description="ISO 8601; without an offset, in the calendar's time zone (Asia/Shanghai).")
    end: Text = Field(description="ISO 8601, not before `start`.")


class MonthParams(Schema):
    month: Text = Field(description="YYYY-MM.")


# --- helpers ------------------------------------------------------------------------------------------------

def parse_instant(value: str, *, field: str, zone: ZoneInfo) -> dt.datetime:
    """An ISO 8601 instant; naive ones are read in `zone`. ValidationError naming `field` otherwise."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(fields={field: _("This field is required.")})
    lost = _LOST_PLUS.match(text)
    if lost and ("T" in text or ":" in lost.group(1)):
        text = f"{lost.group(1)}+{lost.group(2)}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(fields={field: _("Use an ISO 8601 time such as 2026-10-09T17:20:00+08:00.")}) from None
    if not YEAR_MIN <= parsed.year <= YEAR_MAX:
        raise ValidationError(fields={field: _("The year must be between %(first)d and %(last)d.")
                                      % {"first": YEAR_MIN, "last": YEAR_MAX}})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def _periods(periods: Any) -> list[dict[str, str]]:
    return [{"start": minutes_label(a), "end": minutes_label(b)} for a, b in periods]


def _item(calendar: Calendar) -> dict[str, Any]:
    return {"code": calendar.code, "name": calendar.name, "kind": calendar.kind,
            "kind_label": str(calendar.get_kind_display()), "timezone": calendar.timezone,
            "follows_statutory_holidays": calendar.follows_statutory_holidays, "revision": calendar.revision,
            "is_active": calendar.is_active}


def _calendar(request: HttpRequest, code: str) -> Calendar:
    return selectors.calendar_get(code=code, viewer=api_user(request))


def _arith_error(exc: CalendarError, field: str) -> ValidationError:
    return ValidationError(fields={field: _("The calendar cannot answer this: %(reason)s.") % {"reason": str(exc)}})


# --- endpoints ---------------------------------------------------------------------------------------------

@router.get("", response={200: CalendarPageOut, **ERROR_RESPONSES}, summary="List business calendars")
def calendar_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = keyset_page(selectors.calendar_list(viewer=api_user(request)), order=("code",), limit=params.limit,
                       cursor=params.cursor)
    return {"items": [_item(c) for c in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.get("/{code}", response={200: CalendarOut, **ERROR_RESPONSES},
            summary="A calendar: weekly schedule, overrides, loaded holiday years")
def calendar_detail(request: HttpRequest, code: Text) -> dict[str, Any]:
    calendar = _calendar(request, code)
    week = selectors.calendar_periods(calendar=calendar)
    out = _item(calendar)
    out.update(
        description=calendar.description, adjusted_day_weekday=calendar.adjusted_day_weekday,
        week=[] if calendar.is_always_open else [
            {"weekday": d, "label": str(Weekday(d).label),
             "periods": _periods((p.start_minute, p.end_minute) for p in week[d])} for d in range(7)],
        overrides=[{"id": o.pk, "kind": o.kind, "kind_label": str(OverrideKind(o.kind).label),
                    "start_date": o.start_date, "end_date": o.end_date, "name": o.name}
                   for o in selectors.calendar_overrides(calendar=calendar)],
        loaded_years=selectors.loaded_years() if calendar.follows_statutory_holidays
        and not calendar.is_always_open else [],
    )
    return out


@router.get("/{code}/add", response={200: AddOut, **ERROR_RESPONSES}, summary="Add business minutes to a time",
            description="`due` is the earliest instant at which `minutes` of business time have passed since "
                        "`start`; a target that runs out exactly at closing time is due at closing time.")
def calendar_add(request: HttpRequest, code: Text, params: Query[AddParams]) -> dict[str, Any]:
    calendar = _calendar(request, code)
    zone = ZoneInfo(calendar.timezone)
    start = parse_instant(params.start, field="start", zone=zone)
    engine = selectors.calendar_engine(calendar)
    try:
        due = engine.add(start, params.minutes * 60)
    except CalendarError as exc:
        raise _arith_error(exc, "minutes") from None
    return {"calendar": calendar.code, "start": start.astimezone(zone), "minutes": params.minutes,
            "seconds": params.minutes * 60, "due": due.astimezone(zone),
            "missing_years": sorted(engine.missing_years(start, due))}


@router.get("/{code}/between", response={200: BetweenOut, **ERROR_RESPONSES},
            summary="Business time between two times")
def calendar_between(request: HttpRequest, code: Text, params: Query[BetweenParams]) -> dict[str, Any]:
    calendar = _calendar(request, code)
    zone = ZoneInfo(calendar.timezone)
    errors: dict[str, str] = {}
    start = end = None
    for name in ("start", "end"):
        try:
            value = parse_instant(getattr(params, name), field=name, zone=zone)
        except ValidationError as exc:
            errors.update(exc.fields)
            continue
        if name == "start":
            start = value
        else:
            end = value
    if start is not None and end is not None:
        if end < start:
            errors["end"] = _("The end is before the start.")
        elif (end - start).days > MAX_SPAN_DAYS:
            errors["end"] = _("At most %(n)d days apart.") % {"n": MAX_SPAN_DAYS}
    if errors:
        raise ValidationError(fields=errors)
    assert start is not None and end is not None
    engine = selectors.calendar_engine(calendar)
    seconds = engine.between(start, end)
    return {"calendar": calendar.code, "start": start.astimezone(zone), "end": end.astimezone(zone),
            "seconds": seconds, "minutes": seconds // 60, "missing_years": sorted(engine.missing_years(start, end))}


@router.get("/{code}/month", response={200: MonthOut, **ERROR_RESPONSES},
            summary="Each day of a month: kind (working, holiday, adjusted working …) and open periods")
def calendar_month(request: HttpRequest, code: Text, params: Query[MonthParams]) -> dict[str, Any]:
    calendar = _calendar(request, code)
    view = selectors.calendar_month(calendar=calendar, month=selectors.parse_month(params.month or "-"))
    return {"calendar": calendar.code, "month": view.month.strftime("%Y-%m"),
            "days": [{"date": day.date, "kind": day.kind, "kind_label": str(DayKind(day.kind).label),
                      "name": day.name, "periods": _periods(day.periods)}
                     for week in view.weeks for day in week if day is not None],
            "missing_years": sorted(view.missing_years)}
