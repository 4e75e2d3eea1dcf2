"""Calendar pages: the list, a month view per calendar, and the administration (weekly periods, overrides,
loading a year's holiday arrangement with a preview before it is applied).

Staff and superusers see calendars (client people go to the portal); superusers and system administrators
change them (others get 403). Views read through selectors and write through services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.http import is_htmx, page_errors, staff_only

from . import selectors, services
from .arrangements import YEAR_MAX, YEAR_MIN, arrangement_preview, format_lines, package_version, package_years
from .choices import DAY_COLOURS, OVERRIDE_COLOURS, ArrangementSource, CalendarKind, DayKind, Weekday
from .forms import CalendarCreateForm, OverrideForm, ScheduleForm, YearLoadForm, periods_text
from .models import Calendar

RECENT_YEARS = 5


def _require_admin(request: HttpRequest) -> None:
    if not selectors.can_admin_calendars(request.user):
        raise PermissionDenied(_("Only system administrators may change business calendars."))


# --- list ------------------------------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    """Every calendar with its kind and holiday rule, and how far the loaded holiday years reach."""
    return render(request, "calendars/calendar_list.html", _list_context(request, CalendarCreateForm()))


def _list_context(request: HttpRequest, create_form: CalendarCreateForm, **extra: Any) -> dict[str, Any]:
    years = selectors.loaded_years()
    this_year = timezone.localdate().year
    return {
        "calendars": list(selectors.calendar_list(viewer=request.user)), "years": years,
        "last_year": years[-1] if years else None, "this_year": this_year,
        "this_year_missing": this_year not in years, "next_year_missing": (this_year + 1) not in years,
        "is_admin": selectors.can_admin_calendars(request.user), "create_form": create_form, **extra,
    }


@login_required
@page_errors
@staff_only
@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    """A new calendar (7x24, or working hours starting from 5x8, then edited); administrators only."""
    _require_admin(request)
    form = CalendarCreateForm(request.POST)
    if form.is_valid():
        try:
            calendar = services.calendar_create(by=request.user, code=form.cleaned_data["code"],
                                                name=form.cleaned_data["name"],
                                                kind=form.cleaned_data["kind"] or CalendarKind.WORKING_HOURS,
                                                follows_statutory_holidays=form.cleaned_data[
                                                    "follows_statutory_holidays"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Calendar %(code)s created.") % {"code": calendar.code})
            if calendar.kind == CalendarKind.ALWAYS:
                return redirect("calendars:calendar_detail", code=calendar.code)
            return redirect("calendars:calendar_edit", code=calendar.code)
    return render(request, "calendars/calendar_list.html", _list_context(request, form, create_open=True),
                  status=422)


# --- month view ------------------------------------------------------------------------------------------

def _day_cells(view: selectors.MonthView) -> list[list[dict[str, Any] | None]]:
    today = timezone.localdate()
    return [[None if day is None else {
        "date": day.date, "kind": day.kind, "kind_label": DayKind(day.kind).label,
        "colour": DAY_COLOURS.get(DayKind(day.kind), "secondary"), "name": day.name,
        "hours": periods_text(day.periods).replace("-", "–"), "is_today": day.date == today,
        "open_minutes": day.open_minutes,
    } for day in week] for week in view.weeks]


def detail_context(request: HttpRequest, calendar: Calendar, *, override_form: OverrideForm | None = None,
                   month: date | None = None) -> dict[str, Any]:
    month = month or selectors.parse_month(request.GET.get("month"))
    view = selectors.calendar_month(calendar=calendar, month=month)
    week = selectors.calendar_periods(calendar=calendar)
    # Overrides still to come and those of the month shown (earlier ones show when paging back to them).
    overrides = selectors.calendar_overrides(calendar=calendar, upcoming_from=min(timezone.localdate(), month))
    return {
        "calendar": calendar, "month": view, "cells": _day_cells(view),
        "week": [{"weekday": i, "label": label, "hours": periods_text(
            [(p.start_minute, p.end_minute) for p in week[i]]).replace("-", "–")}
            for i, label in enumerate(_weekday_labels())],
        "overrides": [{"override": o, "colour": OVERRIDE_COLOURS.get(o.kind, "secondary")} for o in overrides],
        "is_admin": selectors.can_admin_calendars(request.user),
        "override_form": override_form or OverrideForm(),
        "legend": [(DayKind(k).label, c) for k, c in DAY_COLOURS.items() if k != DayKind.ALWAYS
                   or calendar.kind == CalendarKind.ALWAYS],
        "weekday_labels": _weekday_labels(),
        "month_hours": view.open_minutes / 60,
    }


def _weekday_labels() -> list[str]:
    return [str(label) for _v, label in Weekday.choices]


@login_required
@page_errors
@staff_only
@require_GET
def calendar_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The month view (?month=YYYY-MM): each day's kind and hours, previous and next month; htmx swaps the month."""
    calendar = selectors.calendar_get(code=code, viewer=request.user)
    context = detail_context(request, calendar)
    if is_htmx(request) and not request.htmx.history_restore_request:
        return render(request, "calendars/_month.html", context)
    return render(request, "calendars/calendar_detail.html", context)


# --- administration ----------------------------------------------------------------------------------------

@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Edit the weekly periods (one line per weekday), the holiday rule and the adjusted-working-day hours."""
    _require_admin(request)
    calendar = selectors.calendar_get(code=code, viewer=request.user)
    week = [[(p.start_minute, p.end_minute) for p in day] for day in selectors.calendar_periods(calendar=calendar)]
    status = 200
    if request.method == "POST":
        form = ScheduleForm(request.POST, calendar=calendar)
        if form.is_valid():
            try:
                services.calendar_update(calendar=calendar, by=request.user, **form.service_kwargs())
            except ValidationError as exc:
                form.apply_service_errors(exc)
            except Conflict as exc:
                messages.warning(request, exc.message)
                return redirect("calendars:calendar_edit", code=calendar.code)
            else:
                messages.success(request, _("Calendar %(code)s saved.") % {"code": calendar.code})
                return redirect("calendars:calendar_detail", code=calendar.code)
        status = 422
    else:
        form = ScheduleForm(calendar=calendar, week=week)
    return render(request, "calendars/calendar_edit.html", {"calendar": calendar, "form": form}, status=status)


@login_required
@page_errors
@staff_only
@require_POST
def override_add(request: HttpRequest, code: str) -> HttpResponse:
    _require_admin(request)
    calendar = selectors.calendar_get(code=code, viewer=request.user)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.calendar_override_add(calendar=calendar, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Override added."))
            start = form.cleaned_data["start_date"][:7]
            return redirect(reverse("calendars:calendar_detail", args=[calendar.code]) + f"?month={start}")
    month = None
    start_value = str(form.data.get("start_date", ""))[:7]
    if selectors.MONTH_RE.match(start_value):
        month = selectors.parse_month(start_value)
    return render(request, "calendars/calendar_detail.html",
                  detail_context(request, calendar, override_form=form, month=month), status=422)


@login_required
@page_errors
@staff_only
@require_POST
def override_remove(request: HttpRequest, code: str, override_id: int) -> HttpResponse:
    _require_admin(request)
    calendar = selectors.calendar_get(code=code, viewer=request.user)
    override = selectors.calendar_override_get(calendar=calendar, override_id=override_id)
    services.calendar_override_remove(override=override, by=request.user)
    messages.success(request, _("Override removed."))
    return redirect("calendars:calendar_detail", code=calendar.code)


# --- holiday arrangements ----------------------------------------------------------------------------------

def _holidays_context(request: HttpRequest, form: YearLoadForm, **extra: Any) -> dict[str, Any]:
    years = selectors.holiday_years(viewer=request.user)
    return {"recent_years": years[:RECENT_YEARS], "older_years": years[RECENT_YEARS:], "form": form,
            "is_admin": selectors.can_admin_calendars(request.user), "package": package_version(),
            "package_years": package_years(), **extra}


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def holiday_years(request: HttpRequest) -> HttpResponse:
    """The loaded years and, for administrators, the form to load one: Preview shows what would change;
    Apply (from the preview, carrying the previewed days and the preview's fingerprint) applies exactly that."""
    if request.method == "GET":
        form = YearLoadForm(initial={"year": timezone.localdate().year + 1})
        return render(request, "calendars/holiday_years.html", _holidays_context(request, form))
    _require_admin(request)
    form = YearLoadForm(request.POST, request.FILES)
    if not form.is_valid():  # lenient fields: nothing gets here but an over-long upload
        return render(request, "calendars/holiday_years.html", _holidays_context(request, form), status=422)
    data = form.cleaned_data
    source = data.get("source") or ""
    upload = data.get("file")
    step = request.POST.get("step", "preview")
    try:
        if step == "apply" and source != ArrangementSource.PACKAGE:
            # The preview carried the days as normalised lines; the file is not sent twice.
            days = services.arrangement_days(year=data.get("year"), source=ArrangementSource.ENTERED,
                                             text=data.get("lines") or "")
        else:
            days = services.arrangement_days(year=data.get("year"), source=source, text=data.get("lines") or "",
                                             file_data=upload.read() if upload is not None else None)
        year = int(data["year"])
        if step == "apply":
            applied = services.holiday_year_apply(
                year=year, days=days, source=source, by=request.user,
                source_detail=data.get("source_detail") or "", notice=data.get("notice") or "",
                expected_fingerprint=data.get("fingerprint") or None)
            if applied.changes:
                messages.success(request, _("The %(year)d arrangement is loaded: %(n)d days changed.")
                                 % {"year": year, "n": len(applied.changes)})
            else:
                messages.info(request, _("The %(year)d arrangement is recorded; no day changed.") % {"year": year})
            return redirect("calendars:holiday_year_detail", year=year)
        preview = arrangement_preview(year=year, days=days)
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return render(request, "calendars/holiday_years.html", _holidays_context(request, form), status=422)
    except Conflict as exc:
        messages.warning(request, exc.message)
        return render(request, "calendars/holiday_years.html", _holidays_context(request, form), status=409)
    apply_form = YearLoadForm(initial={
        "year": year, "source": source, "lines": format_lines(days), "notice": data.get("notice") or "",
        "fingerprint": preview.fingerprint,
        "source_detail": upload.name[:200] if upload is not None else data.get("source_detail") or ""})
    return render(request, "calendars/holiday_years.html", _holidays_context(
        request, form, preview=preview, apply_form=apply_form,
        source_label=ArrangementSource(source).label if source in ArrangementSource.values else ""))


@login_required
@page_errors
@staff_only
@require_GET
def holiday_year_detail(request: HttpRequest, year: int) -> HttpResponse:
    """One loaded year: its days and the arrangement record (source, who, when, notice)."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise NotFound(_("No arrangement is loaded for %(year)d.") % {"year": year})
    found = next((y for y in selectors.holiday_years(viewer=request.user) if y.year == year), None)
    days = selectors.statutory_days(year=year)
    if found is None and not days:
        raise NotFound(_("No arrangement is loaded for %(year)d.") % {"year": year})
    return render(request, "calendars/holiday_year_detail.html", {
        "record": found, "year": year, "days": days, "month_calendar": selectors.holiday_calendar()})
