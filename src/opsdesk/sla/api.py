"""API of the sla app, mounted at /api/v1/sla/ (see config/api.py): policies (read), attainment, and the
`sla` block that ticket resources (incidents) embed.

Handlers stay thin: reads through selectors.py, scoped to the caller (what one may not see is a 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from opsdesk.core.api import ERROR_RESPONSES, CursorPageOut, Text, api_user
from opsdesk.core.pagination import keyset_page

from . import selectors
from .choices import ClockStatus
from .models import SlaPolicy, SlaTarget

router = Router(tags=["sla"])


# --- the `sla` block of a ticket -----------------------------------------------------------------------

class SlaSummaryOut(Schema):
    """A ticket's SLA at a glance (what a list row and its badge need)."""

    state: str = Field(description="`` (no SLA), `running`, `paused`, `met` or `breached` (all clocks ended).")
    badge: str = Field(description="`none`, `ok`, `warning` (75 % of the target used), `critical` (90 %), "
                                   "`breached`, `paused` or `met`, as of the response.")
    due_at: dt.datetime | None = Field(description="The earliest due time among the running clocks.")
    warn_at: dt.datetime | None = Field(description="When that clock reaches 75 % of its target.")
    critical_at: dt.datetime | None = Field(description="When that clock reaches 90 % of its target.")
    breached: bool = Field(description="A clock is over its target (ended late, or running past its due time).")
    remaining_seconds: int | None = Field(
        description="Business seconds left while paused (the least among the paused clocks); the per-clock "
                    "figures are on the single-ticket resource.")


class ClockOut(Schema):
    metric: str = Field(description="`response`, `on_site` or `resolution`.")
    status: str = Field(description="`running`, `paused`, `stopped` or `cancelled`.")
    level: int
    calendar: str = Field(description="Business calendar code.")
    target_seconds: int = Field(description="The target in business seconds.")
    started_at: dt.datetime
    due_at: dt.datetime | None = Field(description="While running: when the target runs out.")
    warn_at: dt.datetime | None
    critical_at: dt.datetime | None
    elapsed_seconds: int = Field(description="Business seconds spent, as of the response.")
    paused_seconds: int = Field(description="Wall-clock seconds paused.")
    remaining_seconds: int = Field(description="Business seconds left (negative: over by that much).")
    breached: bool
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None
    grade: str | None = Field(description="`very_satisfied`, `satisfied`, `pass` or `fail` once stopped "
                                          "(response and resolution).")


class TicketSlaOut(SlaSummaryOut):
    """A ticket's SLA with each of its clocks."""

    clocks: list[ClockOut]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def sla_summary(record: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    badge = selectors.badge_of(record, now)
    return {
        "state": record.sla_state or "", "badge": badge, "due_at": _local(record.sla_due_at),
        "warn_at": _local(record.sla_warn_at), "critical_at": _local(record.sla_critical_at),
        "breached": bool(record.sla_breached) or badge == "breached",
        "remaining_seconds": record.sla_remaining_seconds,
    }


def calendar_code(clock: Any) -> str:
    code = getattr(clock, "_calendar_code", None)
    return str(code) if code else str(clock.calendar.code)


def sla_detail(record: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The summary plus every clock with live figures (one query for the clocks, none when there are none)."""
    now = now or timezone.now()
    out = sla_summary(record, now)
    views = selectors.clock_views(record, now=now) if record.sla_state else []
    out["clocks"] = [{
        "metric": v.clock.metric, "status": v.clock.status, "level": v.clock.level,
        "calendar": calendar_code(v.clock), "target_seconds": v.clock.target_seconds,
        "started_at": _local(v.clock.started_at), "due_at": _local(v.clock.due_at),
        "warn_at": _local(v.clock.warn_at), "critical_at": _local(v.clock.critical_at),
        "elapsed_seconds": v.elapsed_seconds, "paused_seconds": v.paused_seconds,
        "remaining_seconds": v.remaining_seconds, "breached": v.breached,
        "breached_at": _local(v.clock.breached_at), "stopped_at": _local(v.clock.stopped_at),
        "grade": (v.clock.grade or None) if v.clock.status == ClockStatus.STOPPED else None,
    } for v in views]
    return out


# --- policies ------------------------------------------------------------------------------------------

class TargetOut(Schema):
    level: int
    metric: str
    category: int | None = Field(description="Service-catalogue item (incident category id); null: any.")
    minutes: int
    calendar: str = Field(description="Business calendar code.")


class GradingOut(Schema):
    very_satisfied_minutes: int
    satisfied_minutes: int
    pass_minutes: int


class PolicyOut(Schema):
    id: int
    contract: str = Field(description="Contract code.")
    tier: str = Field(description="`standard`, `silver` or `gold`.")
    name: str
    is_active: bool = Field(description="The policy in effect for the contract's new tickets.")
    revision: int
    pause_reasons: list[str] = Field(description="Hold reasons that pause the clocks.")
    on_site_from: str = Field(description="`reported` or `dispatch`: where the on-site clock counts from.")
    escalate_3_to_2_minutes: int
    escalate_2_to_1_minutes: int
    escalation_basis: str = Field(description="`wall` or `business` time.")
    recurrence_count: int
    recurrence_days: int
    response_grading: GradingOut
    resolution_grading: GradingOut
    updated_at: dt.datetime


class PolicyDetailOut(PolicyOut):
    targets: list[TargetOut]


class PolicyPageOut(CursorPageOut):
    items: list[PolicyOut]


class PolicyListParams(Schema):
    contract: Text = Field("", description="Contract code.")
    limit: int = Field(50, ge=1, le=200)
    cursor: Text | None = None


def _policy(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk, "contract": policy.contract.code, "tier": policy.tier, "name": policy.name,
        "is_active": policy.is_active, "revision": policy.revision, "pause_reasons": list(policy.pause_reasons),
        "on_site_from": policy.on_site_from, "escalate_3_to_2_minutes": policy.escalate_3_to_2_minutes,
        "escalate_2_to_1_minutes": policy.escalate_2_to_1_minutes, "escalation_basis": policy.escalation_basis,
        "recurrence_count": policy.recurrence_count, "recurrence_days": policy.recurrence_days,
        "response_grading": {"very_satisfied_minutes": policy.response_very_satisfied_minutes,
                             "satisfied_minutes": policy.response_satisfied_minutes,
                             "pass_minutes": policy.response_pass_minutes},
        "resolution_grading": {"very_satisfied_minutes": policy.resolution_very_satisfied_minutes,
                               "satisfied_minutes": policy.resolution_satisfied_minutes,
                               "pass_minutes": policy.resolution_pass_minutes},
        "updated_at": _local(policy.updated_at),
    }


def _target(target: SlaTarget) -> dict[str, Any]:
    return {"level": target.level, "metric": target.metric, "category": target.category_id,
            "minutes": target.minutes, "calendar": target.calendar.code}


@router.get("/policies", response={200: PolicyPageOut, **ERROR_RESPONSES}, summary="List SLA policies")
def policy_list(request: HttpRequest, params: Query[PolicyListParams]) -> dict[str, Any]:
    user = api_user(request)
    qs = selectors.policy_queryset(visible_to=user)
    if params.contract:
        qs = qs.filter(contract__code=params.contract)
    page = keyset_page(qs, order=("id",), limit=params.limit, cursor=params.cursor)
    contracts = {p.contract_id for p in page.items}
    from opsdesk.accounts.models import Contract

    by_id = Contract.objects.in_bulk(contracts)
    for p in page.items:
        p.contract = by_id[p.contract_id]
    return {"items": [_policy(p) for p in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.get("/policies/{policy_id}", response={200: PolicyDetailOut, **ERROR_RESPONSES},
            summary="An SLA policy with its targets")
def policy_detail(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    user = api_user(request)
    policy = selectors.policy_get(pk=policy_id, visible_to=user)
    out = _policy(policy)
    out["targets"] = [_target(t) for t in selectors.policy_targets(policy=policy)]
    return out


# --- attainment ----------------------------------------------------------------------------------------

class AttainmentRowOut(Schema):
    level: int
    metric: str
    total: int = Field(description="Clocks that ended in the month (stopped, or cancelled after their target).")
    met: int
    breached: int
    rate: float | None = Field(description="Percentage met; null when none ended.")
    grades: dict[str, int] = Field(description="Count per grade (response and resolution).")


class AttainmentOut(Schema):
    contract: str
    month: str
    rows: list[AttainmentRowOut]


class AttainmentParams(Schema):
    contract: Text = Field(description="Contract code.")
    month: Text = Field(description="YYYY-MM (Asia/Shanghai).")


@router.get("/attainment", response={200: AttainmentOut, **ERROR_RESPONSES},
            summary="SLA attainment of a contract in a month, per level and metric")
def attainment(request: HttpRequest, params: Query[AttainmentParams]) -> dict[str, Any]:
    user = api_user(request)
    month = selectors.parse_month(params.month)
    contract = selectors.attainment_contract(code=params.contract, visible_to=user)
    rows = selectors.attainment(contract=contract, month=month, visible_to=user)
    return {"contract": contract.code, "month": f"{month:%Y-%m}", "rows": [
        {"level": r.level, "metric": r.metric, "total": r.total, "met": r.met, "breached": r.breached,
         "rate": r.rate, "grades": r.grades} for r in rows]}
