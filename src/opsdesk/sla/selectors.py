"""Reads of the SLA engine: compiled policies (cached per process), calendar engines, policies, clocks,
attainment and alerts, each scoped to the viewer.

Who may read a contract's policies and attainment: anyone holding a role on the contract other than plain
requester (staff, client contacts and the client's managers). Who may edit: the contract's project manager and
system administrators (role `system_admin` on the contract), and superusers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.calendars.engine import CalendarEngine
from opsdesk.calendars.models import Calendar
from opsdesk.calendars.selectors import calendar_engine
from opsdesk.core import sql
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError

from .choices import ClockStatus, Grade, Metric, SlaState
from .clock import Event, State, derive
from .models import SlaAlert, SlaClock, SlaClockEvent, SlaPolicy, SlaTarget

EDITOR_ROLES = frozenset({Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})


# --- calendar engines ----------------------------------------------------------------------------------

CalendarKey = tuple[int, Any]  # (revision, updated_at as the database returns it)
_engines: dict[int, tuple[CalendarKey, CalendarEngine]] = {}
_engines_lock = threading.Lock()


class Engines:
    """The engines of the calendars one operation touches: their (revision, updated_at) keys read in one
    query (or handed over by the compiled-policy lookup), the engines themselves from a per-process cache.

    calendars.selectors.calendar_engine checks the revision with a query per call; an operation on a ticket
    with three clocks would pay it three times, creation included. Callable as `engines(calendar_id)`.
    """

    def __init__(self, keys: dict[int, CalendarKey] | None = None) -> None:
        self.keys: dict[int, CalendarKey] = dict(keys or {})
        self._memo: dict[int, CalendarEngine] = {}

    def load(self, ids: Iterable[int]) -> None:
        missing = sorted({i for i in ids if i is not None and i not in self.keys})
        if missing:
            # Raw like the policy lookup's, so both read the same key values (opaque: compared, never shown).
            for pk, revision, updated_at in sql.fetch_all(_calendar_key_sql(len(missing)), missing):
                self.keys[pk] = (revision, updated_at)

    def __call__(self, calendar_id: int) -> CalendarEngine:
        found = self._memo.get(calendar_id)
        if found is not None:
            return found
        if calendar_id not in self.keys:
            self.load([calendar_id])
        key = self.keys.get(calendar_id)
        cached = _engines.get(calendar_id)
        if key is not None and cached is not None and cached[0] == key:
            engine = cached[1]
        else:
            engine = calendar_engine(calendar_id)
            if key is not None:
                with _engines_lock:
                    _engines[calendar_id] = (key, engine)
        self._memo[calendar_id] = engine
        return engine


# --- compiled policies ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompiledPolicy:
    """A policy as plain data: what starting and moving clocks needs, without touching the database."""

    id: int
    revision: int
    contract_id: int
    tier: str
    pause_reasons: frozenset[str]
    on_site_from: str
    response_bounds: tuple[int, int, int]
    resolution_bounds: tuple[int, int, int]
    # (level, catalogue item or None, metric) -> (seconds, calendar id)
    targets: dict[tuple[int, int | None, str], tuple[int, int]] = field(default_factory=dict)
    calendar_codes: dict[int, str] = field(default_factory=dict)
    # Automatic escalation and recurring faults (sla/escalation.py): level -> minutes open before it is
    # raised one level, counted in "wall" or "business" time; N occurrences within M days raise a level.
    escalate_minutes: dict[int, int] = field(default_factory=dict)
    escalation_basis: str = "wall"
    recurrence_count: int = 0
    recurrence_days: int = 0

    def target(self, level: int, item_id: int | None, metric: str) -> tuple[int, int] | None:
        """The target for a ticket of this level and catalogue item: the item's own, else the level's."""
        if item_id is not None:
            found = self.targets.get((level, item_id, metric))
            if found is not None:
                return found
        return self.targets.get((level, None, metric))

    def bounds(self, metric: str) -> tuple[int, int, int] | None:
        """Grading bounds (minutes) of a metric; None for metrics that are not graded."""
        if metric == Metric.RESPONSE:
            return self.response_bounds
        if metric == Metric.RESOLUTION:
            return self.resolution_bounds
        return None


PolicyKey = tuple[int, int, Any]
_policies: dict[int, tuple[PolicyKey, CompiledPolicy]] = {}
_policies_lock = threading.Lock()


def compile_policy(policy: SlaPolicy) -> CompiledPolicy:
    targets = {(t.level, t.category_id, t.metric): (t.minutes * 60, t.calendar_id)
               for t in SlaTarget.objects.filter(policy=policy)}
    return CompiledPolicy(
        id=policy.pk, revision=policy.revision, contract_id=policy.contract_id, tier=policy.tier,
        pause_reasons=frozenset(policy.pause_reasons or []), on_site_from=policy.on_site_from,
        response_bounds=(policy.response_very_satisfied_minutes, policy.response_satisfied_minutes,
                         policy.response_pass_minutes),
        resolution_bounds=(policy.resolution_very_satisfied_minutes, policy.resolution_satisfied_minutes,
                           policy.resolution_pass_minutes),
        targets=targets,
        escalate_minutes={3: policy.escalate_3_to_2_minutes, 2: policy.escalate_2_to_1_minutes},
        escalation_basis=policy.escalation_basis, recurrence_count=policy.recurrence_count,
        recurrence_days=policy.recurrence_days,
        calendar_codes=dict(Calendar.objects.filter(pk__in={c for _s, c in targets.values()})
                            .values_list("id", "code")))


@cache
def _policy_key_sql() -> str:
    policy, target, calendar = (m._meta.db_table for m in (SlaPolicy, SlaTarget, Calendar))
    q = sql.q
    return (f"SELECT DISTINCT p.{q('id')}, p.{q('revision')}, p.{q('updated_at')}, t.{q('calendar_id')}, "
            f"c.{q('revision')}, c.{q('updated_at')} FROM {q(policy)} p "
            f"JOIN {q(target)} t ON t.{q('policy_id')} = p.{q('id')} "
            f"JOIN {q(calendar)} c ON c.{q('id')} = t.{q('calendar_id')} "
            f"WHERE p.{q('contract_id')} = %s AND p.{q('is_active')}")


@cache
def _calendar_key_sql(n: int) -> str:
    q = sql.q
    marks = ", ".join(["%s"] * n)
    return (f"SELECT {q('id')}, {q('revision')}, {q('updated_at')} FROM {q(Calendar._meta.db_table)} "
            f"WHERE {q('id')} IN ({marks})")


def policy_for_contract(contract_id: int) -> tuple[CompiledPolicy | None, Engines]:
    """The policy in effect on a contract, compiled, and the engines of its calendars.

    One query on a warm cache: the policy's (id, revision, updated_at) and its calendars' (revision,
    updated_at), joined. A policy edit bumps the revision, a calendar change the calendar's; `updated_at`
    guards against a revision number reused after a rollback. A policy without targets counts as none.
    The statement is written once (core.sql: prepared on PostgreSQL); compiling the ORM's three-table
    query was most of what a policy lookup cost on incident creation (bench/RESULTS.md, "SLA clocks").
    """
    rows = sql.fetch_all(_policy_key_sql(), [contract_id])
    if not rows:
        return None, Engines()
    key: PolicyKey = (rows[0][0], rows[0][1], rows[0][2])
    engines = Engines({row[3]: (row[4], row[5]) for row in rows})
    cached = _policies.get(contract_id)
    if cached is not None and cached[0] == key:
        return cached[1], engines
    policy = one_or_none(SlaPolicy.objects.filter(pk=key[0]))
    if policy is None:  # deleted in between
        return None, Engines()
    compiled = compile_policy(policy)
    with _policies_lock:
        _policies[contract_id] = (key, compiled)
    return compiled, engines


def forget_caches() -> None:
    """Drop the compiled policies and engines of this process (tests; never needed for correctness)."""
    with _policies_lock:
        _policies.clear()
    with _engines_lock:
        _engines.clear()


# --- clocks --------------------------------------------------------------------------------------------

def clock_events(clock: SlaClock) -> list[Event]:
    """A clock's events as the pure engine takes them (prefetched `events` when present)."""
    rows = clock.events.all()
    return [Event(e.kind, e.at, e.target_seconds, e.calendar_id) for e in rows]


def clock_state(clock: SlaClock, engines: Engines, *, now: dt.datetime | None = None) -> State:
    return derive(clock_events(clock), engines, now=now or timezone.now())


def ticket_clocks(record: Any) -> list[SlaClock]:
    """The clocks of a ticket with their calendars, response first (what the detail page and API show).

    The creating request hands over the clocks it just made (`_sla_clocks`), so a create response costs no
    extra query.
    """
    attached = getattr(record, "_sla_clocks", None)
    if attached is not None:
        return list(attached)
    ct = ContentType.objects.get_for_model(type(record))
    order = {m: i for i, m in enumerate(Metric.values)}
    clocks = list(SlaClock.objects.filter(content_type=ct, object_id=record.pk).select_related("calendar"))
    return sorted(clocks, key=lambda c: order.get(c.metric, 9))


@dataclass(frozen=True)
class ClockView:
    """A clock as pages and the API show it, its live figures computed at `now`."""

    clock: SlaClock
    elapsed_seconds: int
    paused_seconds: int
    remaining_seconds: int
    breached: bool

    @property
    def metric_label(self) -> str:
        return str(dict(Metric.choices).get(self.clock.metric, self.clock.metric))


def clock_views(record: Any, *, now: dt.datetime | None = None) -> list[ClockView]:
    """The ticket's clocks with elapsed, paused and remaining business seconds as of `now`."""
    now = now or timezone.now()
    clocks = ticket_clocks(record)
    if not clocks:
        return []
    engines = getattr(record, "_sla_engines", None) or Engines()
    engines.load({c.calendar_id for c in clocks})
    out = []
    for c in clocks:
        engine = engines(c.calendar_id)
        if c.status == ClockStatus.RUNNING and c.running_since is not None:
            elapsed = c.elapsed_seconds + engine.between(c.running_since, now)
            if c.due_at is not None and now < c.due_at:
                remaining = engine.between(now, c.due_at)
            elif c.due_at is not None:
                remaining = -engine.between(c.due_at, now)
            else:
                remaining = c.target_seconds - elapsed
            breached = c.breached or (c.due_at is not None and now > c.due_at)
        else:
            elapsed = c.elapsed_seconds
            remaining = c.target_seconds - elapsed
            breached = c.breached
        paused = c.paused_seconds
        if c.status == ClockStatus.PAUSED and c.paused_since is not None:
            paused += max(0, int((now - c.paused_since).total_seconds()))
        out.append(ClockView(clock=c, elapsed_seconds=elapsed, paused_seconds=paused, remaining_seconds=remaining,
                             breached=breached))
    return out


def clock_history(*, clock: SlaClock) -> list[SlaClockEvent]:
    return list(clock.events.select_related("calendar").order_by("at", "id"))


def badge_of(record: Any, now: dt.datetime | None = None) -> str:
    """The badge a ticket shows now, from its list fields alone (no query): `ok` (under 75 % of the target),
    `warning` (75 %), `critical` (90 %), `breached`, `paused`, `met` or `none`."""
    state = getattr(record, "sla_state", "") or ""
    if state == SlaState.RUNNING and record.sla_due_at is not None:
        now = now or timezone.now()
        if now > record.sla_due_at:
            return "breached"
        if record.sla_critical_at is not None and now >= record.sla_critical_at:
            return "critical"
        if record.sla_warn_at is not None and now >= record.sla_warn_at:
            return "warning"
        return "ok"
    if state == SlaState.PAUSED:
        return "paused"
    if state == SlaState.MET:
        return "met"
    if state == SlaState.BREACHED:
        return "breached"
    return "none"


# --- policies: who sees what ---------------------------------------------------------------------------

def _readable_contract_ids(user: User) -> set[int]:
    access = access_for(user)
    return {cid for cid, roles in access.roles_by_contract.items() if roles - {Role.REQUESTER}}


def can_edit_policy(user: User, contract_id: int) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or bool(access_for(user).roles_on(contract_id) & EDITOR_ROLES)


def can_admin_sla(user: User) -> bool:
    """Who sees the SLA alerts page: superusers and system administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or Role.SYSTEM_ADMIN in access_for(user).roles


def policy_queryset(*, visible_to: User) -> QuerySet[SlaPolicy]:
    """Policies of the contracts the user holds a role on (plain requesters: none; superusers: all)."""
    if not getattr(visible_to, "is_authenticated", False):
        return SlaPolicy.objects.none()
    if visible_to.is_superuser:
        return SlaPolicy.objects.all()
    return SlaPolicy.objects.filter(contract_id__in=sorted(_readable_contract_ids(visible_to)))


def policy_list(*, visible_to: User) -> list[SlaPolicy]:
    """The visible policies with their contracts, in effect first."""
    return list(policy_queryset(visible_to=visible_to).select_related("contract")
                .order_by("contract__code", "-is_active", "tier"))


def policy_get(*, pk: int, visible_to: User) -> SlaPolicy:
    """A policy the user may see, with its contract; NotFound otherwise."""
    policy = one_or_none(policy_queryset(visible_to=visible_to).filter(pk=pk).select_related("contract"))
    if policy is None:
        raise NotFound(_("There is no such SLA policy."), code="sla_policy_not_found")
    return policy


def policy_targets(*, policy: SlaPolicy) -> list[SlaTarget]:
    return list(SlaTarget.objects.filter(policy=policy).select_related("calendar", "category", "category__parent")
                .order_by("category_id", "level", "metric"))


def contracts_without_policy(*, user: User) -> list[Contract]:
    """Contracts the user may give a policy to that have none in effect yet."""
    qs = Contract.objects.filter(is_active=True).exclude(sla_policies__is_active=True).order_by("code")
    if not user.is_superuser:
        ids = [cid for cid, roles in access_for(user).roles_by_contract.items() if roles & EDITOR_ROLES]
        qs = qs.filter(pk__in=ids)
    return list(qs)


def editable_contract(*, code: str, user: User) -> Contract:
    contract = one_or_none(Contract.objects.filter(code=str(code)[:40]))
    if contract is None or (not user.is_superuser and contract.pk not in _readable_contract_ids(user)):
        raise NotFound(_("There is no such contract."), code="contract_not_found")
    if not can_edit_policy(user, contract.pk):
        raise PermissionDenied(_("Only the contract's project manager or a system administrator may do this."))
    return contract


# --- attainment ----------------------------------------------------------------------------------------

@dataclass
class AttainmentRow:
    level: int
    metric: str
    total: int = 0
    met: int = 0
    breached: int = 0
    grades: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        """Share of clocks that met their target (0–100), None when nothing ended."""
        return round(100.0 * self.met / self.total, 1) if self.total else None

    @property
    def metric_label(self) -> str:
        return str(dict(Metric.choices).get(self.metric, self.metric))


def parse_month(value: str) -> dt.date:
    """`YYYY-MM` as the first of that month; ValidationError on the `month` field otherwise."""
    try:
        year, month = str(value).strip().split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationError(fields={"month": _("Use a month like 2026-11.")}) from None


def month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first and next month's first instants, Asia/Shanghai (the current time zone)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, dt.datetime(nxt.year, nxt.month, 1, tzinfo=tz)


def attainment(*, contract: Contract, month: dt.date, visible_to: User) -> list[AttainmentRow]:
    """SLA attainment of a contract in a month, per level and metric: clocks that ended that month (stopped,
    or cancelled after their target had passed), how many met the target, and the grades. One query.
    """
    if not visible_to.is_superuser and contract.pk not in _readable_contract_ids(visible_to):
        raise NotFound(_("There is no such contract."), code="contract_not_found")
    start, end = month_range(month)
    qs = (SlaClock.objects.filter(contract=contract, stopped_at__gte=start, stopped_at__lt=end)
          .filter(Q(status=ClockStatus.STOPPED) | Q(breached=True))
          .values("level", "metric", "grade")
          .annotate(total=Count("id"), breached=Count("id", filter=Q(breached=True))))
    rows: dict[tuple[int, str], AttainmentRow] = {}
    for level in range(1, 5):
        for metric in Metric.values:
            rows[(level, metric)] = AttainmentRow(level=level, metric=metric,
                                                  grades={g: 0 for g in Grade.values})
    for rec in qs.order_by():
        row = rows.setdefault((rec["level"], rec["metric"]), AttainmentRow(level=rec["level"], metric=rec["metric"]))
        row.total += rec["total"]
        row.breached += rec["breached"]
        row.met += rec["total"] - rec["breached"]
        if rec["grade"]:
            row.grades[rec["grade"]] = row.grades.get(rec["grade"], 0) + rec["total"]
    return list(rows.values())


def attainment_contract(*, code: str, visible_to: User) -> Contract:
    """The contract of an attainment request, if the user may read it; NotFound otherwise."""
    contract = one_or_none(Contract.objects.filter(code=str(code).strip()[:40]))
    if contract is None or (not visible_to.is_superuser and contract.pk not in _readable_contract_ids(visible_to)):
        raise NotFound(_("There is no such contract."), code="contract_not_found")
    return contract


# --- alerts --------------------------------------------------------------------------------------------

def alert_list(*, viewer: User, include_resolved: bool = False, limit: int = 200) -> list[SlaAlert]:
    """SLA alerts for administrators, open ones first."""
    if not can_admin_sla(viewer):
        raise PermissionDenied(_("Only system administrators may see SLA alerts."))
    qs = SlaAlert.objects.select_related("calendar", "resolved_by")
    if not include_resolved:
        qs = qs.filter(resolved_at__isnull=True)
    return list(qs.order_by("-id")[:limit])


def open_alert_count() -> int:
    return SlaAlert.objects.filter(resolved_at__isnull=True).count()
