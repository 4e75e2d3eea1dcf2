"""Every write to business calendars: calendars and their weekly schedules, per-calendar overrides, and the
yearly statutory-holiday arrangements.

Each write runs in one transaction, checks that the actor may administer calendars (superuser or system
administrator; `by=None` is the command line), bumps the revision of every calendar whose hours it changes
(so cached engines rebuild), leaves one audit record and, after commit, sends `signals.calendar_changed`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError

from .arrangements import (
    ArrangementDay,
    ArrangementPreview,
    arrangement_preview,
    check_year,
    decode_upload,
    package_days,
    package_version,
    parse_arrangement,
)
from .choices import ArrangementSource, CalendarKind, OverrideKind, Weekday
from .engine import DEFAULT_WEEK, MINUTES_PER_DAY, Period
from .models import NAME_MAX, Calendar, CalendarOverride, HolidayYear, StatutoryDay, WorkingPeriod, minutes_label
from .selectors import can_admin_calendars
from .signals import calendar_changed

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
# Paths under /calendars/ that a calendar code would shadow.
RESERVED_CODES = frozenset({"holidays", "new"})
MAX_OVERRIDE_DAYS = 366
NOTICE_MAX = 20000
CALENDAR_AUDIT_FIELDS = ("code", "name", "kind", "follows_statutory_holidays", "adjusted_day_weekday",
                         "description", "revision")


def _require_admin(by: User | None) -> None:
    if by is not None and not can_admin_calendars(by):
        raise PermissionDenied(_("Only system administrators may change business calendars."))


def _bump(calendar_ids: Sequence[int]) -> None:
    """Move the revision (and the change time, which is part of the engine cache key) of these calendars."""
    if calendar_ids:
        Calendar.objects.filter(pk__in=list(calendar_ids)).update(revision=F("revision") + 1,
                                                                  updated_at=timezone.now())


def _announce(calendar_ids: Sequence[int], dates: Sequence[date], reason: str) -> None:
    ids, days = sorted(calendar_ids), sorted(set(dates))
    if ids:
        transaction.on_commit(lambda: calendar_changed.send(sender=Calendar, calendar_ids=ids, dates=days,
                                                            reason=reason))


def _week_snapshot(week: Sequence[Sequence[Period]]) -> list[str]:
    return [", ".join(f"{minutes_label(a)}-{minutes_label(b)}" for a, b in day) for day in week]


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = False, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[name] = _("Null characters are not allowed.")
    elif required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > max_length:
        errors[name] = _("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text


# --- calendars and their weekly schedules ----------------------------------------------------------------

def check_week(week: Sequence[Sequence[Period]]) -> dict[str, str]:
    """Per-weekday problems of a weekly schedule (`day_0` … `day_6`); empty when it is valid."""
    errors: dict[str, str] = {}
    if len(week) != 7:
        return {"week": _("Give the periods of all seven weekdays.")}
    for weekday, periods in enumerate(week):
        ordered = sorted(periods)
        for start, end in ordered:
            if not (0 <= start < end <= MINUTES_PER_DAY):
                errors[f"day_{weekday}"] = _("%(start)s–%(end)s is not a period within one day (00:00–24:00, "
                                             "start before end).") % {"start": minutes_label(max(0, start)),
                                                                      "end": minutes_label(max(0, end))}
                break
        else:
            for (_a, b), (c, _d) in itertools.pairwise(ordered):
                if c < b:
                    errors[f"day_{weekday}"] = _("Periods overlap at %(time)s.") % {"time": minutes_label(c)}
                    break
    if not errors and not any(week):
        errors["week"] = _("A calendar needs at least one working period (use a 7x24 calendar for round-the-clock "
                           "service).")
    return errors


def _kind_of(week: Sequence[Sequence[Period]]) -> str:
    """5x8 when Monday to Friday share their hours and the weekend is closed; custom otherwise."""
    weekdays = [tuple(sorted(day)) for day in week[:5]]
    if weekdays[0] and all(day == weekdays[0] for day in weekdays) and not week[5] and not week[6]:
        return CalendarKind.WORKING_HOURS
    return CalendarKind.CUSTOM


def calendar_create(*, by: User | None, code: str, name: str, kind: str = CalendarKind.WORKING_HOURS,
                    follows_statutory_holidays: bool = True, description: str = "") -> Calendar:
    """A new calendar: 7x24, or a schedule calendar starting from the 5x8 week (then edit its periods)."""
    _require_admin(by)
    errors: dict[str, str] = {}
    code = _text(errors, "code", code, required=True, max_length=40)
    name = _text(errors, "name", name, required=True, max_length=NAME_MAX)
    description = _text(errors, "description", description, max_length=2000)
    if "code" not in errors:
        if not CODE_RE.match(code):
            errors["code"] = _("Use letters, digits, - and _ only (for example gov-5x8).")
        elif code.lower() in RESERVED_CODES:
            errors["code"] = _("“%(code)s” is reserved; choose another code.") % {"code": code}
        elif Calendar.objects.filter(code=code).exists():
            errors["code"] = _("A calendar with this code already exists.")
    if kind not in CalendarKind.values:
        errors["kind"] = _("Unknown kind “%(value)s”.") % {"value": str(kind)[:20]}
    if errors:
        raise ValidationError(fields=errors)
    always = kind == CalendarKind.ALWAYS
    try:
        with transaction.atomic():
            follows = bool(follows_statutory_holidays) and not always
            calendar = Calendar.objects.create(code=code, name=name, kind=kind, description=description,
                                               follows_statutory_holidays=follows)
            if not always:
                WorkingPeriod.objects.bulk_create([
                    WorkingPeriod(calendar=calendar, weekday=weekday, start_minute=a, end_minute=b)
                    for weekday, periods in enumerate(DEFAULT_WEEK) for a, b in periods])
                calendar.kind = _kind_of(DEFAULT_WEEK) if kind == CalendarKind.WORKING_HOURS else kind
            audit_record(actor=by, action="calendar.create", instance=calendar,
                         after={**snapshot(calendar, CALENDAR_AUDIT_FIELDS),
                                "week": None if always else _week_snapshot(DEFAULT_WEEK)})
    except IntegrityError:
        raise ValidationError(fields={"code": _("A calendar with this code already exists.")}) from None
    return calendar


def calendar_update(*, calendar: Calendar, by: User | None, week: Sequence[Sequence[Period]] | None = None,
                    name: str | None = None, description: str | None = None,
                    follows_statutory_holidays: bool | None = None, adjusted_day_weekday: int | None = None,
                    revision: int | None = None) -> Calendar:
    """Change a calendar's name, weekly periods, holiday rule or the weekday whose hours adjusted working days
    have. `revision`, when given, is the one the editor saw: a calendar changed since is a Conflict.

    The kind follows the periods (5x8 when Monday to Friday share their hours and the weekend is closed).
    A 7x24 calendar has no periods to edit.
    """
    _require_admin(by)
    errors: dict[str, str] = {}
    if name is not None:
        name = _text(errors, "name", name, required=True, max_length=NAME_MAX)
    if description is not None:
        description = _text(errors, "description", description, max_length=2000)
    always = calendar.kind == CalendarKind.ALWAYS
    if always and (week is not None or follows_statutory_holidays):
        errors["week"] = _("A 7x24 calendar is always open: it has no working periods or holidays.")
    new_week = [sorted((int(a), int(b)) for a, b in day) for day in week] if week is not None else None
    if new_week is not None and not always:
        errors.update(check_week(new_week))
    if adjusted_day_weekday is not None and adjusted_day_weekday not in Weekday.values:
        errors["adjusted_day_weekday"] = _("Choose a weekday.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        locked = Calendar.objects.select_for_update().get(pk=calendar.pk)
        if revision is not None and locked.revision != revision:
            raise Conflict(_("Someone else changed this calendar in the meantime. Reload it and try again."),
                           code="stale_revision")
        current_week = [[(p.start_minute, p.end_minute) for p in WorkingPeriod.objects.filter(
            calendar=locked, weekday=d).order_by("start_minute")] for d in range(7)]
        weekday = locked.adjusted_day_weekday if adjusted_day_weekday is None else adjusted_day_weekday
        effective_week = new_week if new_week is not None else current_week
        if not always and not effective_week[weekday]:
            raise ValidationError(fields={"adjusted_day_weekday": _(
                "%(weekday)s has no working periods, so adjusted working days would be closed: choose a weekday "
                "with working hours.") % {"weekday": Weekday(weekday).label}})
        before = {**snapshot(locked, CALENDAR_AUDIT_FIELDS), "week": _week_snapshot(current_week)}
        if name is not None:
            locked.name = name
        if description is not None:
            locked.description = description
        if follows_statutory_holidays is not None and not always:
            locked.follows_statutory_holidays = bool(follows_statutory_holidays)
        locked.adjusted_day_weekday = weekday
        if new_week is not None and not always:
            WorkingPeriod.objects.filter(calendar=locked).delete()
            WorkingPeriod.objects.bulk_create([
                WorkingPeriod(calendar=locked, weekday=d, start_minute=a, end_minute=b)
                for d, periods in enumerate(new_week) for a, b in periods])
            locked.kind = _kind_of(new_week)
        hours_changed = (new_week is not None and new_week != current_week) or \
            before["follows_statutory_holidays"] != locked.follows_statutory_holidays or \
            before["adjusted_day_weekday"] != locked.adjusted_day_weekday
        if hours_changed:
            locked.revision += 1
        locked.save()
        audit_record(actor=by, action="calendar.update", instance=locked, before=before,
                     after={**snapshot(locked, CALENDAR_AUDIT_FIELDS), "week": _week_snapshot(effective_week)})
        if hours_changed:
            _announce([locked.pk], [], "schedule")
    return locked


# --- per-calendar overrides ---------------------------------------------------------------------------------

def _date(errors: dict[str, str], name: str, value: Any) -> date | None:
    if isinstance(value, date):
        parsed: date | None = value
    else:
        try:
            parsed = date.fromisoformat(str(value or "").strip())
        except ValueError:
            parsed = None
        if parsed is None:
            errors[name] = (_("This field is required.") if not str(value or "").strip()
                            else _("Use a date like 2026-11-22."))
            return None
    assert parsed is not None
    if not 2000 <= parsed.year <= 2100:
        errors[name] = _("The date must be between the years 2000 and 2100.")
        return None
    return parsed


def calendar_override_add(*, calendar: Calendar, by: User | None, kind: str, start_date: date | str,
                          end_date: date | str | None = None, name: str) -> CalendarOverride:
    """Add an extra closed day, an extra working day or a key service period (重保期, open all hours) for
    whole days [start_date, end_date] (one day when end_date is empty) on one calendar."""
    _require_admin(by)
    errors: dict[str, str] = {}
    if kind not in OverrideKind.values:
        errors["kind"] = _("Choose a closed day, a working day or a key service period.")
    first = _date(errors, "start_date", start_date)
    last = first if end_date in (None, "") else _date(errors, "end_date", end_date)
    name = _text(errors, "name", name, required=True, max_length=NAME_MAX)
    if first is not None and last is not None and "end_date" not in errors:
        if last < first:
            errors["end_date"] = _("The last day is before the first.")
        elif (last - first).days >= MAX_OVERRIDE_DAYS:
            errors["end_date"] = _("An override may cover at most %(n)d days.") % {"n": MAX_OVERRIDE_DAYS}
    if calendar.kind == CalendarKind.ALWAYS:
        errors["kind"] = _("A 7x24 calendar is always open: it takes no overrides.")
    if errors:
        raise ValidationError(fields=errors)
    assert first is not None and last is not None
    with transaction.atomic():
        override = CalendarOverride.objects.create(calendar=calendar, kind=kind, start_date=first, end_date=last,
                                                   name=name, created_by=by)
        _bump([calendar.pk])
        audit_record(actor=by, action="calendar.override.add", instance=override,
                     after={"calendar": calendar.code, **snapshot(override, ("kind", "start_date", "end_date",
                                                                             "name"))})
        _announce([calendar.pk], _days(first, last), "override.add")
    return override


def calendar_override_remove(*, override: CalendarOverride, by: User | None) -> None:
    """Remove an override; the days it covered follow the schedule and the holidays again."""
    _require_admin(by)
    with transaction.atomic():
        found = one_or_none(CalendarOverride.objects.select_for_update().filter(pk=override.pk))
        if found is None:
            return  # already removed (a double submit): nothing more to do
        audit_record(actor=by, action="calendar.override.remove", instance=found,
                     before={"calendar": found.calendar.code, **snapshot(found, ("kind", "start_date", "end_date",
                                                                                 "name"))})
        found.delete()
        _bump([found.calendar_id])
        _announce([found.calendar_id], _days(found.start_date, found.end_date), "override.remove")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- yearly statutory-holiday arrangements -----------------------------------------------------------------

def arrangement_days(*, year: Any, source: str, text: str = "", file_data: bytes | None = None) -> list[ArrangementDay]:
    """The days of a year's arrangement from the installed package, typed lines or an uploaded file.

    Bad input raises ValidationError (per line for text and files: ArrangementErrors); nothing is written.
    """
    year = check_year(year)
    if source == ArrangementSource.PACKAGE:
        return package_days(year)
    if source == ArrangementSource.FILE:
        if file_data is None:
            raise ValidationError(fields={"file": _("Choose the file to upload.")})
        return parse_arrangement(decode_upload(file_data), year=year)
    if source == ArrangementSource.ENTERED:
        return parse_arrangement(text or "", year=year)
    raise ValidationError(fields={"source": _("Choose where the arrangement comes from.")})


def holiday_year_apply(*, year: int, days: list[ArrangementDay], source: str, by: User | None,
                       source_detail: str = "", notice: str = "",
                       expected_fingerprint: str | None = None) -> ArrangementPreview:
    """Make `days` the statutory arrangement of `year`; returns what changed (the preview's comparison).

    `expected_fingerprint` is the one of the preview the operator saw: if the loaded days changed since,
    nothing is applied (Conflict) so that what is applied is exactly what was previewed. Every calendar
    that follows the holidays gets a new revision when a day changed; the arrangement record (source, who,
    when, notice) is written in any case.
    """
    _require_admin(by)
    errors: dict[str, str] = {}
    year = check_year(year)
    if source not in ArrangementSource.values:
        errors["source"] = _("Choose where the arrangement comes from.")
    source_detail = _text(errors, "source_detail", source_detail, max_length=200)
    notice = _text(errors, "notice", notice, max_length=NOTICE_MAX)
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            existing = one_or_none(HolidayYear.objects.select_for_update().filter(year=year))
            preview = arrangement_preview(year=year, days=days)
            if expected_fingerprint and preview.fingerprint != expected_fingerprint:
                raise Conflict(_("The %(year)d arrangement changed since this preview (someone else loaded it). "
                                 "Preview again.") % {"year": year}, code="stale_preview")
            before = [f"{c.date} {c.before[0]} {c.before[1]}" for c in preview.changes if c.before]
            StatutoryDay.objects.filter(year=year).delete()
            StatutoryDay.objects.filter(date__in=[d.date for d in days]).delete()
            StatutoryDay.objects.bulk_create([StatutoryDay(date=d.date, kind=d.kind, name=d.name, year=year)
                                              for d in days])
            record = existing or HolidayYear(year=year)
            record.source = source
            record.source_detail = source_detail or (package_version() if source == ArrangementSource.PACKAGE else "")
            record.notice = notice
            record.loaded_by = by
            record.loaded_at = timezone.now()
            record.save()
            following: list[int] = []
            if preview.changes:
                following = list(Calendar.objects.filter(follows_statutory_holidays=True).exclude(
                    kind=CalendarKind.ALWAYS).values_list("pk", flat=True))
                _bump(following)
            audit_record(actor=by, action="calendar.holidays.load", instance=record,
                         before={"changed_days": before} if existing else None,
                         after={"source": record.source, "source_detail": record.source_detail,
                                "counts": preview.counts, "holidays": preview.holidays,
                                "workdays": preview.workdays,
                                "changed_days": [f"{c.date} {c.after[0]} {c.after[1]}" for c in preview.changes
                                                 if c.after],
                                "removed_days": [str(c.date) for c in preview.changes if c.after is None]})
            _announce(following, preview.changed_dates, f"holidays:{year}")
    except IntegrityError:
        raise Conflict(_("Someone else loaded the %(year)d arrangement at the same moment. Preview again.")
                       % {"year": year}, code="stale_preview") from None
    return preview
