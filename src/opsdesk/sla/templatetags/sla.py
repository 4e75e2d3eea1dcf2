"""Template tags of the SLA engine: the countdown badge of a ticket and durations in words.

The badge reads the ticket's list fields only (sla_due_at and the 75 % / 90 % instants of its earliest
running clock), so a list page draws one per row without a query: green until 75 % of the target is used,
amber from 75 %, red from 90 %, solid red once past due; grey while paused; ended clocks say met or breached.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from opsdesk.sla.choices import Metric
from opsdesk.sla.selectors import badge_of

register = template.Library()

COLOURS = {"ok": "bg-green-lt", "warning": "bg-yellow-lt", "critical": "bg-red-lt", "breached": "bg-red text-red-fg",
           "paused": "bg-secondary-lt", "met": "bg-green-lt"}


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as days, hours and minutes (`1d 2h`, `3h 05m`, `12m`); negative values keep their sign."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)dm") % {"m": minutes}
    return sign + text


def _when(instant: dt.datetime, now: dt.datetime) -> str:
    local = timezone.localtime(instant)
    if local.date() == timezone.localtime(now).date():
        return date_format(local, "H:i")
    return date_format(local, "m-d H:i")


@register.simple_tag
def sla_badge(record: Any, now: dt.datetime | None = None) -> str:
    """The ticket's SLA badge (nothing when it has no SLA clock)."""
    now = now or timezone.now()
    badge = badge_of(record, now)
    if badge == "none":
        return ""
    due = getattr(record, "sla_due_at", None)
    full = date_format(timezone.localtime(due), "Y-m-d H:i") if due is not None else ""
    if badge in ("ok", "warning", "critical") and due is not None:
        text = _("Due %(time)s") % {"time": _when(due, now)}
        title = _("SLA due %(time)s") % {"time": full}
    elif badge == "breached" and due is not None and record.sla_state == "running":
        text = _("Overdue since %(time)s") % {"time": _when(due, now)}
        title = _("SLA due %(time)s") % {"time": full}
    elif badge == "breached":
        text = title = _("SLA breached")
    elif badge == "paused":
        left = getattr(record, "sla_remaining_seconds", None)
        text = _("Paused · %(left)s left") % {"left": duration(left)} if left is not None else _("Paused")
        title = _("SLA clocks paused while waiting for the customer or a third party")
    else:
        text = title = _("SLA met")
    return format_html('<span class="badge sla-badge {}" data-sla="{}" title="{}">{}</span>',
                       COLOURS.get(badge, "bg-secondary-lt"), badge, title, text)


@register.filter
def sla_metric(value: Any) -> str:
    """A metric code (`response` …) as its label."""
    return str(dict(Metric.choices).get(str(value), value))


@register.filter
def multiply_minutes(value: Any) -> int:
    """Minutes as seconds (for `duration`)."""
    try:
        return int(value) * 60
    except (TypeError, ValueError):
        return 0


@register.filter
def hold_reason(value: Any) -> str:
    """A hold reason code as its label."""
    from opsdesk.incidents.choices import HoldReason

    return str(dict(HoldReason.choices).get(str(value), value))
