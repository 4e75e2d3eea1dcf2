"""The calendars every installation starts with, and the holiday years of the installed chinesecalendar.

Used by the data migration (with its historical models) and by `install_defaults()` callers that need the
defaults back after a test flushed the tables. Idempotent: only what is missing is created.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .engine import DEFAULT_WEEK

# Names are data (shown as typed), in the language of the people who run the service.
DEFAULT_CALENDARS: list[dict[str, Any]] = [
    {"code": "24x7", "name": "7×24 全天候", "kind": "24x7", "follows_statutory_holidays": False, "week": None,
     "description": "全天候服务：每天 24 小时计时，不区分节假日。"},
    {"code": "5x8", "name": "5×8 工作日", "kind": "5x8", "follows_statutory_holidays": True, "week": DEFAULT_WEEK,
     "description": "周一至周五 09:00–12:00、13:30–17:30（北京时间），法定节假日休息，调休上班日按周一时间上班。"},
]


def install_defaults(apps: Any = None) -> None:
    """Create the default calendars and load every year the installed package knows, where missing."""
    from .arrangements import package_days, package_version, package_years

    if apps is None:
        from django.apps import apps
    calendar_model = apps.get_model("calendars", "Calendar")
    period_model = apps.get_model("calendars", "WorkingPeriod")
    year_model = apps.get_model("calendars", "HolidayYear")
    day_model = apps.get_model("calendars", "StatutoryDay")

    for spec in DEFAULT_CALENDARS:
        calendar, created = calendar_model.objects.get_or_create(code=spec["code"], defaults={
            "name": spec["name"], "kind": spec["kind"], "description": spec["description"],
            "follows_statutory_holidays": spec["follows_statutory_holidays"]})
        if created and spec["week"]:
            period_model.objects.bulk_create([
                period_model(calendar=calendar, weekday=weekday, start_minute=start, end_minute=end)
                for weekday, periods in enumerate(spec["week"]) for start, end in periods])

    loaded = set(year_model.objects.values_list("year", flat=True))
    taken = set(day_model.objects.values_list("date", flat=True))
    now = timezone.now()
    for year in package_years():
        if year in loaded:
            continue
        year_model.objects.create(year=year, source="package", source_detail=package_version(), loaded_at=now)
        day_model.objects.bulk_create([day_model(date=d.date, kind=d.kind, name=d.name, year=year)
                                       for d in package_days(year) if d.date not in taken])
