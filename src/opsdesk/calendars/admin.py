"""Calendars in the Django admin: read-only, because every change must bump revisions, be audited and tell
the SLA engine (the calendar pages and services do that)."""

from django.contrib import admin

from opsdesk.core.admin import ReadOnlyAdmin

from .models import Calendar, CalendarOverride, HolidayYear, StatutoryDay


@admin.register(Calendar)
class CalendarAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "follows_statutory_holidays", "revision", "is_active")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin):
    list_display = ("calendar", "kind", "start_date", "end_date", "name")
    list_select_related = ("calendar",)
    list_filter = ("kind",)


@admin.register(HolidayYear)
class HolidayYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "source", "source_detail", "loaded_at", "loaded_by")
    list_select_related = ("loaded_by",)


@admin.register(StatutoryDay)
class StatutoryDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "year")
    list_filter = ("kind", "year")
