"""The default target tables of DOMAIN.md sections 1 and 6, as data (see docs/decisions.md for the reading).

Minutes per level: (response, on-site arrival, resolution); None means no target (no clock) for that metric.
- Fault handling (vendor table): level 1 = "system paralysed, business stopped" 2 h on site / 4 h resolved,
  level 2 = "partial failure, business still runs" 4 h / 8 h, level 3 = "performance degraded only" 8 h / 24 h;
  levels 1–2 respond within 30 min (section 1: a senior engineer responds within 30 min), levels 3–4 within
  2 h; level 4 (consultation) has no on-site target and a solution within half a working day (section 1).
- Desktop support: 15 min response and 2 h resolution for every request, no on-site target (the engineers
  sit on site: 5x8 on-site service).

Tiers differ by calendar: standard counts every level on 5x8; silver counts levels 1–2 on 7x24 and 3–4 on
5x8; gold counts every level on 7x24 (the cloud platform vendor's 7x24 service).
"""

from __future__ import annotations

from .choices import Metric, Preset, Tier

ALWAYS, OFFICE = "24x7", "5x8"

TABLES: dict[str, dict[int, tuple[int | None, int | None, int | None]]] = {
    Preset.VENDOR: {1: (30, 120, 240), 2: (30, 240, 480), 3: (120, 480, 1440), 4: (120, None, 240)},
    Preset.DESKTOP: {1: (15, None, 120), 2: (15, None, 120), 3: (15, None, 120), 4: (15, None, 120)},
}

CALENDARS: dict[str, dict[int, str]] = {
    Tier.STANDARD: {1: OFFICE, 2: OFFICE, 3: OFFICE, 4: OFFICE},
    Tier.SILVER: {1: ALWAYS, 2: ALWAYS, 3: OFFICE, 4: OFFICE},
    Tier.GOLD: {1: ALWAYS, 2: ALWAYS, 3: ALWAYS, 4: ALWAYS},
}

METRIC_ORDER = (Metric.RESPONSE, Metric.ON_SITE, Metric.RESOLUTION)


def default_targets(*, tier: str, preset: str) -> list[tuple[int, str, int, str]]:
    """(level, metric, minutes, calendar code) rows of the default table for a tier and preset."""
    rows = []
    for level, minutes in TABLES[preset].items():
        for metric, value in zip(METRIC_ORDER, minutes, strict=True):
            if value is not None:
                rows.append((level, str(metric), value, CALENDARS[tier][level]))
    return rows
