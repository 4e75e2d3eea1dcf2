"""Thin background jobs of the SLA engine; each safe to run twice (a second run finds nothing to move)."""

from __future__ import annotations

import datetime as dt

from huey.contrib.djhuey import db_task

from . import services


@db_task()
def recompute_clocks_for_calendars(calendar_ids: list[int], reason: str) -> int:
    """Recompute the running clocks on changed calendars and note it on their tickets' timelines."""
    return services.clocks_recompute_for_calendars(calendar_ids=calendar_ids, reason=reason)


@db_task()
def reapply_policy(policy_id: int, by_id: int | None = None) -> int:
    """Bring the running clocks of a policy's contract in line with its edited targets, keeping time spent."""
    return services.policy_reapply(policy_id=policy_id, by_id=by_id)


@db_task()
def sweep_sla(now: str | None = None) -> dict[str, int]:
    """One SLA sweep (sla/sweep.py); `now` (ISO 8601) only for replaying a past instant. Safe to run twice and
    alongside other sweeps: each warning, breach and escalation is claimed once in the database."""
    from .sweep import sla_sweep

    instant = dt.datetime.fromisoformat(now) if now else None
    return sla_sweep(now=instant).as_dict()
