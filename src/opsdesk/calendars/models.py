"""Business calendars: when the clock of a service level runs (7x24, 5x8, custom weekly hours, holidays)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel


class CalendarKind(models.TextChoices):
    ALWAYS = "24x7", _("7x24 (always open)")
    WORKING_HOURS = "5x8", _("5x8 (working days, working hours)")
    CUSTOM = "custom", _("Custom weekly schedule")


class Calendar(TimeStampedModel):
    """A named business calendar. `revision` grows with every change to it or to the holidays it follows,
    so cached engines (see engine.py) can tell they are stale."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarKind.choices, default=CalendarKind.WORKING_HOURS)
    timezone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
