"""Business calendars: when the clock of a service level runs (7x24, 5x8, custom weekly hours, holidays).

The rules, in the order they decide one date (see engine.py, `Rules.day`):
1. a per-calendar override: a key service period (重保期) is open all 24 hours, an extra closed day is closed,
   an extra working day has the hours of the calendar's "adjusted working day" weekday;
2. for calendars that follow China's statutory holidays, the State Council's yearly arrangement: a holiday is
   closed all day, an adjusted working day (调休上班, usually a weekend) has the same hours as (1);
3. the weekly schedule: the working periods of that weekday (none: a rest day).
Every change bumps `Calendar.revision`, so the per-process engine cache (selectors.calendar_engine) rebuilds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.core.models import TimeStampedModel

from .choices import ArrangementSource, CalendarKind, OverrideKind, StatutoryKind, Weekday

__all__ = ["Calendar", "CalendarKind", "CalendarOverride", "HolidayYear", "StatutoryDay", "WorkingPeriod"]

MINUTES_PER_DAY = 24 * 60
NAME_MAX = 100


class Calendar(TimeStampedModel):
    """A named business calendar. `revision` grows with every change to it or to the holidays it follows,
    so cached engines (see engine.py) can tell they are stale."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarKind.choices, default=CalendarKind.WORKING_HOURS)
    timezone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    follows_statutory_holidays = models.BooleanField(
        _("follows China's statutory holidays"), default=True,
        help_text=_("Closed on the State Council's statutory holidays, open on its adjusted working days (调休)."))
    adjusted_day_weekday = models.PositiveSmallIntegerField(
        _("hours of an adjusted working day"), choices=Weekday.choices, default=Weekday.MONDAY,
        help_text=_("An adjusted working day (调休上班) and an extra working day have the working periods of this "
                    "weekday."))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(adjusted_day_weekday__lte=6), name="calendar_adjusted_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_always_open(self) -> bool:
        return self.kind == CalendarKind.ALWAYS


class WorkingPeriod(models.Model):
    """One working period of a weekday, in minutes after local midnight: [start, end), end at most 24:00.

    A night shift across midnight is two periods (22:00–24:00 and 00:00–06:00 of the next weekday); the
    engine joins touching periods, so its clock runs on without a break.
    """

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField(_("from (minute of the day)"))
    end_minute = models.PositiveSmallIntegerField(_("to (minute of the day)"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["calendar", "weekday", "start_minute"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "weekday", "start_minute"], name="working_period_unique"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_period_weekday_valid"),
            models.CheckConstraint(condition=Q(start_minute__lt=F("end_minute")) & Q(end_minute__lte=MINUTES_PER_DAY),
                                   name="working_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {minutes_label(self.start_minute)}–{minutes_label(self.end_minute)}"


class HolidayYear(models.Model):
    """The statutory-holiday arrangement of one year as loaded (国务院办公厅关于YYYY年部分节假日安排的通知):
    where it came from, who loaded it and when, and the notice's text for reference.

    A year without a row is "missing": calendars that follow holidays say so instead of guessing.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=20, choices=ArrangementSource.choices)
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True,
                                     help_text=_("Package version or file name."))
    notice = models.TextField(_("notice text"), blank=True)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("loaded by"))
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("holiday arrangement")
        verbose_name_plural = _("holiday arrangements")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class StatutoryDay(models.Model):
    """One date of a yearly arrangement: a statutory holiday, or an adjusted working day (调休上班).

    `year` is the arrangement (notice) the day belongs to, usually the date's year; a notice may reach into
    the last days of the previous year (e.g. 2011-12-31 was worked for New Year 2012).
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=StatutoryKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(_("arrangement year"))

    class Meta:
        verbose_name = _("statutory day")
        verbose_name_plural = _("statutory days")
        ordering = ["date"]
        indexes = [models.Index(fields=["year", "date"], name="statutory_day_year_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarOverride(models.Model):
    """An exception on one calendar for whole days [start_date, end_date] (dates in the calendar's zone).

    Key service period (重保期): the service is staffed round the clock, so the clock runs all 24 hours of
    those days whatever the schedule or holidays say. Extra closed day: no service. Extra working day: the
    hours of the calendar's adjusted-working-day weekday. Overlaps are allowed: key period beats closed beats
    working.
    """

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="overrides",
                                 verbose_name=_("calendar"))
    kind = models.CharField(_("kind"), max_length=20, choices=OverrideKind.choices)
    start_date = models.DateField(pgettext_lazy("date range", "from"))
    end_date = models.DateField(pgettext_lazy("date range", "to"))
    name = models.CharField(_("reason"), max_length=NAME_MAX)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["calendar", "start_date", "id"]
        indexes = [models.Index(fields=["calendar", "start_date"], name="calendar_override_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="calendar_override_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}–{self.end_date} {self.name}"


def minutes_label(minutes: int) -> str:
    """A minute of the day as HH:MM (1440 as 24:00)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
