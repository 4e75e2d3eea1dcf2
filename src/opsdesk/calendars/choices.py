"""Calendar enumerations, each with its badge colour (Tabler colour names)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarKind(models.TextChoices):
    ALWAYS = "24x7", _("7x24 (always open)")
    WORKING_HOURS = "5x8", _("5x8 (working days, working hours)")
    CUSTOM = "custom", _("Custom weekly schedule")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class StatutoryKind(models.TextChoices):
    """A day of the State Council's yearly arrangement: a day off, or a weekend day worked (调休上班)."""

    HOLIDAY = "holiday", _("Statutory holiday")
    WORKDAY = "workday", _("Adjusted working day")


class ArrangementSource(models.TextChoices):
    PACKAGE = "package", _("chinesecalendar package")
    ENTERED = "entered", _("Entered by hand")
    FILE = "file", _("Uploaded file")


class OverrideKind(models.TextChoices):
    """Per-calendar exceptions, by whole days (Asia/Shanghai dates), first one wins in this order."""

    KEY_PERIOD = "key_period", _("Key service period (open all hours)")
    CLOSED = "closed", _("Extra closed day")
    WORKING = "working", _("Extra working day")


class DayKind(models.TextChoices):
    """What a calendar makes of one date (month view, API)."""

    WORKING = "working", _("Working day")
    REST = "rest", _("Rest day")
    HOLIDAY = "holiday", _("Statutory holiday")
    ADJUSTED_WORKING = "adjusted_working", _("Adjusted working day")
    CLOSED = "closed", _("Closed (override)")
    EXTRA_WORKING = "extra_working", _("Extra working day")
    KEY_PERIOD = "key_period", _("Key service period")
    ALWAYS = "always", _("Open all hours")


DAY_COLOURS = {
    DayKind.WORKING: "green",
    DayKind.REST: "secondary",
    DayKind.HOLIDAY: "red",
    DayKind.ADJUSTED_WORKING: "orange",
    DayKind.CLOSED: "dark",
    DayKind.EXTRA_WORKING: "teal",
    DayKind.KEY_PERIOD: "purple",
    DayKind.ALWAYS: "blue",
}

OVERRIDE_COLOURS = {
    OverrideKind.KEY_PERIOD: DAY_COLOURS[DayKind.KEY_PERIOD],
    OverrideKind.CLOSED: DAY_COLOURS[DayKind.CLOSED],
    OverrideKind.WORKING: DAY_COLOURS[DayKind.EXTRA_WORKING],
}
