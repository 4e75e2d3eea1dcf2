"""Enumerations of the SLA engine, with the badge colours (Tabler colour names) where they are shown."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """Service tiers of DOMAIN.md section 6 (标准级 / 银牌级 / 金牌级)."""

    STANDARD = "standard", _("Standard")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")


class Metric(models.TextChoices):
    """What a clock measures: time to respond, to arrive on site, to resolve."""

    RESPONSE = "response", _("Response")
    ON_SITE = "on_site", _("On-site arrival")
    RESOLUTION = "resolution", _("Resolution")


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_CLOCK_STATUSES = (ClockStatus.RUNNING, ClockStatus.PAUSED)


class EventKind(models.TextChoices):
    """What can happen to a clock. The clock's state is derived from these (sla/clock.py)."""

    START = "start", _("Started")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    STOP = "stop", _("Stopped")
    RESTART = "restart", _("Restarted")
    TARGET = "target", _("Target changed")
    CANCEL = "cancel", _("Cancelled")
    RECOMPUTE = "recompute", _("Recomputed")


class Grade(models.TextChoices):
    """Engineer grading of DOMAIN.md section 6."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


GRADE_COLOURS = {Grade.VERY_SATISFIED: "green", Grade.SATISFIED: "teal", Grade.PASS: "yellow", Grade.FAIL: "red"}


class TimeBasis(models.TextChoices):
    WALL = "wall", _("Wall-clock time")
    BUSINESS = "business", _("Business time")


class OnSiteFrom(models.TextChoices):
    """Where the on-site clock counts from once an engineer is dispatched."""

    REPORTED = "reported", _("From when the incident was reported")
    DISPATCH = "dispatch", _("From the dispatch")


class Preset(models.TextChoices):
    """Default target tables a new policy can start from (DOMAIN.md sections 1 and 6)."""

    VENDOR = "vendor", _("Fault handling (vendor table)")
    DESKTOP = "desktop", _("Desktop support (15 min / 2 h)")


class SlaState(models.TextChoices):
    """The summary of a ticket's clocks that lists show (stored on the ticket)."""

    NONE = "", _("No SLA")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class AlertKind(models.TextChoices):
    MISSING_HOLIDAYS = "missing_holidays", _("Holiday arrangement not loaded")
