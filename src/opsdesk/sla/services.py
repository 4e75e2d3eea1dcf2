"""Every write of the SLA engine: the clocks on tickets, policies, alerts.

Clock writes happen inside the transaction of the ticket change that causes them (creation, a workflow
action, a reply), so a ticket and its clocks never disagree. Each appends events and stores what
`clock.derive` makes of them; the ticket's list fields (`SlaTracked`) follow. Clocks are generic: a ticket
is any model with `contract_id` and `level` (and optionally `category_id` as its catalogue item,
`reported_at`, `hold_reason`) that extends `SlaTracked`. Every service takes the instant of what happened
(`at=`), so tests and imports of past work run on explicit instants.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.calendars.models import Calendar
from opsdesk.core import sql
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind

from . import clock as pure
from . import escalation
from .choices import (
    ACTIVE_CLOCK_STATUSES,
    AlertKind,
    ClockStatus,
    EventKind,
    Metric,
    OnSiteFrom,
    Preset,
    SlaState,
    Tier,
    TimeBasis,
)
from .defaults import default_targets
from .models import SlaAlert, SlaClock, SlaClockEvent, SlaPolicy, SlaTarget
from .selectors import CompiledPolicy, Engines, can_edit_policy, compile_policy, policy_for_contract

log = logging.getLogger(__name__)

DERIVED_FIELDS = ("status", "target_seconds", "calendar", "started_at", "running_since", "paused_since",
                  "stopped_at", "elapsed_seconds", "paused_seconds", "due_at", "warn_at", "critical_at",
                  "breached", "breached_at", "grade", "next_event_at", "escalate_at", "level", "policy",
                  "pause_reasons", "noted_years")
TICKET_FIELDS = ("sla_due_at", "sla_warn_at", "sla_critical_at", "sla_state", "sla_breached",
                 "sla_remaining_seconds")
START_METRICS = (Metric.RESPONSE, Metric.RESOLUTION)  # on-site arrival starts with a dispatch


# --- helpers -------------------------------------------------------------------------------------------

def _ct(record: Any) -> ContentType:
    return ContentType.objects.get_for_model(type(record))


def _item_id(record: Any) -> int | None:
    return getattr(record, "category_id", None)


def _label(record: Any) -> str:
    return str(getattr(record, "number", "") or f"{type(record).__name__}:{record.pk}")


def _as_event(row: SlaClockEvent) -> pure.Event:
    return pure.Event(row.kind, row.at, row.target_seconds, row.calendar_id)


def clock_next_event_at(clock: SlaClock) -> dt.datetime | None:
    """The next instant the sweep must act on: the first warning or breach stage not yet handled, or the
    automatic escalation (`escalate_at`, sla/escalation.py) when that comes first."""
    if clock.status != ClockStatus.RUNNING:
        return None
    stage_at = next((instant for stage, instant in ((1, clock.warn_at), (2, clock.critical_at), (3, clock.due_at))
                     if stage > clock.notified_stage and instant is not None), None)
    return min((t for t in (stage_at, clock.escalate_at) if t is not None), default=None)


def _store(clock: SlaClock, state: pure.State, *, bounds: tuple[int, int, int] | None = None) -> None:
    """Copy a derived state onto the clock row (not saved). A stopped clock is graded when `bounds` is given."""
    clock.status = state.status
    clock.target_seconds = state.target_seconds
    if state.calendar_id is not None:
        clock.calendar_id = state.calendar_id
    if state.started_at is not None:
        clock.started_at = state.started_at
    clock.running_since = state.running_since
    clock.paused_since = state.paused_since
    clock.stopped_at = state.stopped_at
    clock.elapsed_seconds = state.elapsed_seconds
    clock.paused_seconds = state.paused_seconds
    clock.due_at = state.due_at
    clock.warn_at = state.warn_at
    clock.critical_at = state.critical_at
    clock.breached = state.breached
    clock.breached_at = state.breached_at
    if state.status != ClockStatus.STOPPED:
        clock.grade = ""
    elif bounds is not None:
        clock.grade = pure.grade(state.elapsed_seconds, bounds)
    clock.next_event_at = clock_next_event_at(clock)


def ticket_fields(clocks: Sequence[SlaClock]) -> dict[str, Any]:
    """What a ticket's list fields are, given all its clocks."""
    running = [c for c in clocks if c.status == ClockStatus.RUNNING and c.due_at is not None]
    paused = [c for c in clocks if c.status == ClockStatus.PAUSED]
    ended = [c for c in clocks if c.status == ClockStatus.STOPPED or c.breached]
    breached = any(c.breached for c in clocks)
    out: dict[str, Any] = {"sla_due_at": None, "sla_warn_at": None, "sla_critical_at": None,
                           "sla_breached": breached, "sla_remaining_seconds": None}
    if running:
        first = min(running, key=lambda c: (c.due_at, c.pk or 0))
        out.update(sla_due_at=first.due_at, sla_warn_at=first.warn_at, sla_critical_at=first.critical_at,
                   sla_state=SlaState.RUNNING)
    elif paused:
        out.update(sla_state=SlaState.PAUSED,
                   sla_remaining_seconds=min(c.target_seconds - c.elapsed_seconds for c in paused))
    elif ended:
        out["sla_state"] = SlaState.BREACHED if breached else SlaState.MET
    else:
        out["sla_state"] = SlaState.NONE
    return out


def ticket_sla_sync(record: Any, clocks: Sequence[SlaClock]) -> None:
    """Write the ticket's list fields when they changed (one UPDATE, the record's version untouched)."""
    fields = ticket_fields(clocks)
    changed = {k: v for k, v in fields.items() if getattr(record, k, None) != v}
    if changed:
        type(record)._default_manager.filter(pk=record.pk).update(**changed)
        for key, value in changed.items():
            setattr(record, key, value)


def _timeline(record: Any, *, action: str, body: str, data: dict[str, Any]) -> Activity:
    return Activity(content_type=_ct(record), object_id=record.pk, kind=ActivityKind.SYSTEM, action=action,
                    body=body, data=data, internal=True)


def _note_missing_years(record: Any, clock: SlaClock, years: set[int]) -> list[Activity]:
    """Tell the ticket's timeline and the administrators, once per clock and year, that a clock runs through
    a year whose holiday arrangement is not loaded (the calendar then counts by its weekly hours alone)."""
    new = sorted(set(years) - set(clock.noted_years or []))
    if not new:
        return []
    clock.noted_years = sorted(set(clock.noted_years or []) | set(new))
    code = one_or_none(Calendar.objects.filter(pk=clock.calendar_id).values_list("code", flat=True)) or ""
    for year in new:
        _raise_alert(calendar_id=clock.calendar_id, year=year, ticket=_label(record),
                     message=_("No holiday arrangement is loaded for %(year)s on calendar %(code)s: SLA clocks "
                               "count that year by the weekly working hours alone.") % {"year": year, "code": code})
    years_text = ", ".join(str(y) for y in new)
    return [_timeline(record, action="sla_missing_years",
                      body=_("The %(metric)s clock runs into %(years)s, for which no holiday arrangement is "
                             "loaded on calendar %(code)s: its due time counts working hours only and may move "
                             "once the arrangement is loaded.") % {
                          "metric": Metric(clock.metric).label, "years": years_text, "code": code},
                      data={"metric": clock.metric, "years": new, "calendar": code})]


def _raise_alert(*, calendar_id: int, year: int, ticket: str, message: str) -> None:
    kind = AlertKind.MISSING_HOLIDAYS
    open_alert = SlaAlert.objects.filter(kind=kind, calendar_id=calendar_id, year=year, resolved_at__isnull=True)
    if open_alert.update(occurrences=F("occurrences") + 1, last_seen_at=timezone.now()):
        return
    try:
        with transaction.atomic():
            alert = SlaAlert.objects.create(kind=kind, calendar_id=calendar_id, year=year, message=message[:500],
                                            first_ticket=ticket[:64])
            audit_record(actor=None, action="sla_alert.raise", instance=alert,
                         after={"kind": kind, "calendar": calendar_id, "year": year, "ticket": ticket})
    except IntegrityError:  # raised by someone else meanwhile: count on theirs
        open_alert.update(occurrences=F("occurrences") + 1, last_seen_at=timezone.now())


def _bounds(policy: CompiledPolicy | None, metric: str) -> tuple[int, int, int] | None:
    return policy.bounds(metric) if policy is not None else None


# --- starting clocks -----------------------------------------------------------------------------------

def clocks_prepare(record: Any, *, at: dt.datetime,
                   looked_up: tuple[CompiledPolicy | None, Engines] | None = None, recurrence: bool = True,
                   now: dt.datetime | None = None, memo: dict[Any, Any] | None = None) -> None:
    """Before a new ticket's INSERT: work out its clocks (started at `at`) and fill in its list fields, so
    the row goes in complete and `clocks_start` needs no UPDATE afterwards.

    One query on a warm cache (the compiled policy, unless the caller looked it up: `looked_up`, as
    `policy_for_contract` returns it); nothing more without a policy. One clock per metric with a target at
    the ticket's level; on-site arrival waits for a dispatch. `recurrence=False` leaves the recurring-fault
    check to the caller (a batch checks after its INSERT, so that it sees its own earlier tickets).

    A batch passes one `now` and a `memo` dict: tickets alike in contract, level, catalogue item and start
    get copies of the clocks worked out for the first of them (the calendar arithmetic is most of the cost).
    """
    policy, engines = looked_up if looked_up is not None else policy_for_contract(record.contract_id)
    planned: list[tuple[SlaClock, set[int]]] = []
    key = (record.contract_id, policy.id if policy is not None else None, record.level, _item_id(record), at)
    if memo is not None and key in memo:
        planned = [(copy.copy(clock), years) for clock, years in memo[key]]
    elif policy is not None:
        now = now or timezone.now()
        for metric in START_METRICS:
            target = policy.target(record.level, _item_id(record), metric)
            if target is None:
                continue
            seconds, calendar_id = target
            clock = SlaClock(contract_id=record.contract_id, metric=metric, policy_id=policy.id,
                             level=record.level, item_id=_item_id(record), calendar_id=calendar_id,
                             target_seconds=seconds, pause_reasons=sorted(policy.pause_reasons), started_at=at)
            state = pure.derive([pure.Event(EventKind.START, at, seconds, calendar_id)], engines, now=now)
            clock.escalate_at = escalation.escalate_at(clock, state, [], engines, policy)
            _store(clock, state)
            clock._calendar_code = policy.calendar_codes.get(calendar_id, "")  # type: ignore[attr-defined]
            planned.append((clock, state.missing_years))
        if memo is not None:
            memo[key] = [(copy.copy(clock), years) for clock, years in planned]
    for name, value in ticket_fields([c for c, _years in planned]).items():
        setattr(record, name, value)
    record._sla_prepared = planned
    # raised in clocks_start
    record._sla_recurrence = (escalation.recurring_fault(record, policy) if recurrence else [], policy)
    record._sla_engines = engines  # the create response computes remaining time on them, no query


def clocks_start(record: Any, *, at: dt.datetime) -> list[SlaClock]:
    """Start the SLA clocks of a new ticket at `at` (inside the creating transaction, after its INSERT).

    Cheap on purpose (creation runs at hundreds per second): with `clocks_prepare` called before the INSERT,
    two INSERTs (clocks, start events); without it, one query more for the policy and an UPDATE of the
    ticket's list fields. Nothing at all when the contract has no policy.
    """
    if getattr(record, "_sla_prepared", None) is None:
        clocks_prepare(record, at=at)
        fields = {k: getattr(record, k) for k in TICKET_FIELDS}
        if record._sla_prepared:
            type(record)._default_manager.filter(pk=record.pk).update(**fields)
    clocks_insert_many([record], at=[at])
    clocks = list(record._sla_clocks)
    clocks_started_many([record])
    return clocks


def clocks_insert_many(records: Sequence[Any], *, at: Sequence[dt.datetime]) -> None:
    """The first half of `clocks_start` for many new tickets of one type, each prepared by `clocks_prepare`
    and started at its own instant: all their clocks in one INSERT and all the start events in another.

    The tickets need their keys, not their rows: a creation that took its keys beforehand may write the
    clocks before the tickets. `clocks_started_many` finishes, once the tickets are in."""
    if not records:
        return
    ct = _ct(records[0])
    clocks: list[SlaClock] = []
    for record in records:
        prepared = record.__dict__.pop("_sla_prepared")
        record._sla_clocks = [c for c, _years in prepared]
        record._sla_missing_years = [(c, years) for c, years in prepared if years]
        for clock, _years in prepared:
            clock.content_type, clock.object_id = ct, record.pk
            clocks.append(clock)
    if clocks:
        sql.insert_rows(clocks)
        by_clock = {id(c): when for record, when in zip(records, at, strict=True) for c in record._sla_clocks}
        sql.insert_rows([SlaClockEvent(clock=c, kind=EventKind.START, at=by_clock[id(c)],
                                       target_seconds=c.target_seconds, calendar_id=c.calendar_id) for c in clocks])


def clocks_started_many(records: Sequence[Any]) -> None:
    """The second half, once the tickets are inserted: the notes of clocks running into a year without
    holiday arrangement, and the level raised of a recurring fault (`clocks_prepare`'s `_sla_recurrence`)."""
    notes = [note for record in records for clock, years in record.__dict__.pop("_sla_missing_years", [])
             for note in _note_missing_years(record, clock, years)]
    if notes:
        Activity.objects.bulk_create(notes)
    for record in records:
        escalation.raise_recurring(record, *record.__dict__.pop("_sla_recurrence", ([], None)))


def clock_start(record: Any, *, metric: str, at: dt.datetime, reason: str = "") -> SlaClock | None:
    """Start one clock that begins later in a ticket's life (on-site arrival, on dispatch); nothing when the
    ticket has it already or the policy sets no target for it.

    With the policy's `on_site_from` = reported (the default), the clock counts from when the incident was
    reported, skipping the time the ticket has spent paused so far (copied from its resolution clock), so a
    late dispatch does not hide a late arrival.
    """
    ct = _ct(record)
    existing = list(SlaClock.objects.select_for_update().filter(content_type=ct, object_id=record.pk))
    if any(c.metric == metric for c in existing):
        return None
    policy, engines = policy_for_contract(record.contract_id)
    target = policy.target(record.level, _item_id(record), metric) if policy is not None else None
    if policy is None or target is None:
        return None
    seconds, calendar_id = target
    start = at
    copied: list[SlaClockEvent] = []
    if policy.on_site_from == OnSiteFrom.REPORTED:
        start = min(getattr(record, "reported_at", None) or at, at)
        source = next((c for c in existing if c.metric == Metric.RESOLUTION), None)
        if source is not None:
            copied = [SlaClockEvent(kind=e.kind, at=e.at, reason=e.reason)
                      for e in source.events.filter(kind__in=(EventKind.PAUSE, EventKind.RESUME), at__gte=start)
                      .order_by("at", "id")]
    clock = SlaClock(content_type=ct, object_id=record.pk, contract_id=record.contract_id, metric=metric,
                     policy_id=policy.id, level=record.level, item_id=_item_id(record), calendar_id=calendar_id,
                     target_seconds=seconds, pause_reasons=sorted(policy.pause_reasons), started_at=start)
    rows = [SlaClockEvent(kind=EventKind.START, at=start, target_seconds=seconds, calendar_id=calendar_id,
                          reason=reason[:300]), *copied]
    state = pure.derive([_as_event(r) for r in rows], engines, now=timezone.now())
    _store(clock, state)
    notes = _note_missing_years(record, clock, state.missing_years)
    clock.save()
    for row in rows:
        row.clock = clock
    SlaClockEvent.objects.bulk_create(rows)
    if notes:
        Activity.objects.bulk_create(notes)
    ticket_sla_sync(record, [*existing, clock])
    return clock


# --- moving clocks -------------------------------------------------------------------------------------

Decide = Callable[[SlaClock], list[SlaClockEvent]]


def _change(record: Any, decide: Decide, *, grade: bool = False,
            before: Callable[[SlaClock], None] | None = None) -> list[SlaClock]:
    """Append the events `decide` returns for each of the ticket's clocks, re-derive those clocks, store them
    and the ticket's list fields; with `grade`, stopped clocks are graded by the policy in effect. Clock rows
    are locked first (PostgreSQL), so a background recompute and an action on the same ticket take turns.
    Returns all the ticket's clocks."""
    clocks = list(SlaClock.objects.select_for_update().filter(content_type=_ct(record), object_id=record.pk))
    planned: dict[int, list[SlaClockEvent]] = {}
    for c in clocks:
        rows = decide(c)
        if rows:
            for row in rows:
                row.clock = c
            planned[c.pk] = rows
    if not planned:
        return clocks
    touched = [c for c in clocks if c.pk in planned]
    policy = policy_for_contract(record.contract_id)[0] if grade else None
    history: dict[int, list[SlaClockEvent]] = defaultdict(list)
    for row in SlaClockEvent.objects.filter(clock_id__in=list(planned)).order_by("at", "id"):
        history[row.clock_id].append(row)
    new_rows = [row for rows in planned.values() for row in rows]
    SlaClockEvent.objects.bulk_create(new_rows)
    engines = Engines()
    engines.load({c.calendar_id for c in touched} | {r.calendar_id for r in new_rows if r.calendar_id})
    now = timezone.now()
    notes: list[Activity] = []
    esc_policy = policy
    for c in touched:
        if before is not None:
            before(c)
        state = pure.derive([_as_event(r) for r in history[c.pk] + planned[c.pk]], engines, now=now)
        if esc_policy is None and escalation.applies(c):
            esc_policy = policy_for_contract(record.contract_id)[0]
        c.escalate_at = escalation.escalate_at(c, state, history[c.pk] + planned[c.pk], engines, esc_policy)
        _store(c, state, bounds=_bounds(policy, c.metric))
        notes += _note_missing_years(record, c, state.missing_years)
    SlaClock.objects.bulk_update(touched, DERIVED_FIELDS)
    if notes:
        Activity.objects.bulk_create(notes)
    ticket_sla_sync(record, clocks)
    return clocks


def _event(kind: str, at: dt.datetime, reason: str = "", **kwargs: Any) -> SlaClockEvent:
    return SlaClockEvent(kind=kind, at=at, reason=reason[:300], **kwargs)


def clocks_pause(record: Any, *, reason: str, at: dt.datetime) -> bool:
    """Pause the running clocks whose policy pauses for this hold `reason`; True when any paused.

    A hold for a reason the policy does not list (e.g. waiting for our own colleagues) leaves them running.
    """
    def decide(c: SlaClock) -> list[SlaClockEvent]:
        if c.status == ClockStatus.RUNNING and reason in (c.pause_reasons or []):
            return [_event(EventKind.PAUSE, at, reason)]
        return []

    if not _any_active(record):
        return False
    clocks = _change(record, decide)
    return any(c.status == ClockStatus.PAUSED for c in clocks)


def clocks_resume(record: Any, *, at: dt.datetime) -> None:
    """Resume every paused clock of the ticket."""
    if _any_active(record):
        _change(record, lambda c: [_event(EventKind.RESUME, at)] if c.status == ClockStatus.PAUSED else [])


def clocks_stop(record: Any, *, metrics: Iterable[str], at: dt.datetime, reason: str = "",
                cancel: Iterable[str] = ()) -> None:
    """Stop the ticket's running or paused clocks of `metrics` (responded, arrived, resolved) and grade them;
    clocks of `cancel` end without a result in the same step."""
    wanted, dropped = set(metrics), set(cancel)

    def decide(c: SlaClock) -> list[SlaClockEvent]:
        if c.status not in ACTIVE_CLOCK_STATUSES:
            return []
        if c.metric in wanted:
            return [_event(EventKind.STOP, at, reason)]
        if c.metric in dropped:
            return [_event(EventKind.CANCEL, at, reason)]
        return []

    if _any_active(record):
        _change(record, decide, grade=True)


def _any_active(record: Any) -> bool:
    """A cheap check before locking: the ticket's list fields say whether a clock runs or is paused.

    They are written in the same transactions as the clocks; a stale instance can only claim a clock is
    active that another transaction stopped meanwhile, which costs one needless read, never a missed change.
    """
    state = getattr(record, "sla_state", None)
    return state is None or state in (SlaState.RUNNING, SlaState.PAUSED)


def clocks_cancel(record: Any, *, at: dt.datetime, reason: str = "", metrics: Iterable[str] | None = None) -> None:
    """Stop active clocks without a result (ticket rejected, closed before an arrival was needed)."""
    wanted = set(metrics) if metrics is not None else None
    if not _any_active(record):
        return
    _change(record, lambda c: [_event(EventKind.CANCEL, at, reason)]
            if c.status in ACTIVE_CLOCK_STATUSES and (wanted is None or c.metric in wanted) else [])


def clocks_restart(record: Any, *, metrics: Iterable[str], at: dt.datetime, reason: str = "") -> None:
    """Restart stopped clocks (a reopened incident's resolution clock); time while stopped does not count."""
    wanted = set(metrics)
    _change(record, lambda c: [_event(EventKind.RESTART, at, reason)]
            if c.metric in wanted and c.status == ClockStatus.STOPPED else [])


def clocks_retarget(record: Any, *, at: dt.datetime, reason: str = "") -> None:
    """Take the targets of the ticket's (new) level from the policy in effect, keeping the time spent.

    Active clocks get a target-change event (elapsed business time carries over, measured on the calendar
    in force at each moment); a metric without a target at the new level is cancelled. Stopped clocks keep
    the level and result they ended with.
    """
    if not _any_active(record):
        return
    policy, _engines = policy_for_contract(record.contract_id)
    level = record.level
    item = _item_id(record)

    def decide(c: SlaClock) -> list[SlaClockEvent]:
        if c.status not in ACTIVE_CLOCK_STATUSES:
            return []
        target = policy.target(level, item, c.metric) if policy is not None else None
        if target is None:
            return [_event(EventKind.CANCEL, at, reason or "no target at this level", data={"level": level})]
        seconds, calendar_id = target
        if (seconds, calendar_id, level) == (c.target_seconds, c.calendar_id, c.level):
            return []
        return [_event(EventKind.TARGET, at, reason, target_seconds=seconds, calendar_id=calendar_id,
                       data={"level": level, "from_level": c.level})]

    def before(c: SlaClock) -> None:
        if c.status in ACTIVE_CLOCK_STATUSES:
            c.level = level
            if policy is not None:
                c.policy_id = policy.id

    _change(record, decide, before=before)


# --- recomputing running clocks (calendar corrections, re-applied policies) -------------------------------

BATCH = 500


def _rework(clock_ids: Sequence[int], *, reason: str, decide: Callable[[SlaClock, Any, CompiledPolicy | None],
                                                                        list[SlaClockEvent]] | None = None,
            policy: CompiledPolicy | None = None, note_action: str = "sla_recomputed") -> int:
    """Re-derive active clocks (in batches, each its own transaction), append what `decide` adds, and for
    every clock whose due time, target or state moved: a `recompute` event, the ticket's list fields and one
    internal timeline note per ticket. Returns the number of clocks that changed."""
    changed_total = 0
    ids = list(clock_ids)
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            changed_total += _rework_batch(ids[start:start + BATCH], reason=reason, decide=decide, policy=policy,
                                           note_action=note_action)
    return changed_total


def _rework_batch(ids: Sequence[int], *, reason: str, decide: Any, policy: CompiledPolicy | None,
                  note_action: str) -> int:
    clocks = list(SlaClock.objects.select_for_update().filter(pk__in=ids, status__in=ACTIVE_CLOCK_STATUSES)
                  .order_by("id"))
    if not clocks:
        return 0
    history: dict[int, list[SlaClockEvent]] = defaultdict(list)
    for row in SlaClockEvent.objects.filter(clock_id__in=[c.pk for c in clocks]).order_by("at", "id"):
        history[row.clock_id].append(row)
    tickets: dict[tuple[int, int], Any] = {}
    by_type: dict[int, set[int]] = defaultdict(set)
    for c in clocks:
        by_type[c.content_type_id].add(c.object_id)
    for ct_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for pk, found in model._default_manager.in_bulk(object_ids).items():
            tickets[(ct_id, pk)] = found
    engines = Engines()
    engines.load({c.calendar_id for c in clocks} | {r.calendar_id for rows in history.values() for r in rows
                                                     if r.calendar_id})
    now = timezone.now()
    new_rows: list[SlaClockEvent] = []
    changed: list[SlaClock] = []
    changes_by_ticket: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    notes: list[Activity] = []
    esc_policies: dict[int, CompiledPolicy | None] = {}
    for c in clocks:
        ticket = tickets.get((c.content_type_id, c.object_id))
        if ticket is None:
            continue
        added = decide(c, ticket, policy) if decide is not None else []
        for row in added:
            row.clock = c
        before = (c.status, c.due_at, c.target_seconds, c.calendar_id, c.elapsed_seconds, c.escalate_at)
        old_due = c.due_at
        state = pure.derive([_as_event(r) for r in history[c.pk] + added], engines, now=now)
        if escalation.applies(c) and c.contract_id not in esc_policies:
            esc_policies[c.contract_id] = policy or policy_for_contract(c.contract_id)[0]
        c.escalate_at = escalation.escalate_at(c, state, history[c.pk] + added, engines,
                                               esc_policies.get(c.contract_id))
        _store(c, state, bounds=_bounds(policy, c.metric))
        notes += _note_missing_years(ticket, c, state.missing_years)
        after = (c.status, c.due_at, c.target_seconds, c.calendar_id, c.elapsed_seconds, c.escalate_at)
        if before == after and not added:
            continue
        last = max((r.at for r in history[c.pk] + added), default=now)
        marker = _event(EventKind.RECOMPUTE, max(now, last), reason, data={
            "old_due": old_due.isoformat() if old_due else None,
            "new_due": c.due_at.isoformat() if c.due_at else None})
        marker.clock = c
        new_rows += [*added, marker]
        changed.append(c)
        changes_by_ticket[(c.content_type_id, c.object_id)].append({
            "metric": c.metric, "old_due": marker.data["old_due"], "new_due": marker.data["new_due"]})
    if new_rows:
        SlaClockEvent.objects.bulk_create(new_rows)
    if changed:
        SlaClock.objects.bulk_update(changed, DERIVED_FIELDS)
    for key, changes in changes_by_ticket.items():
        ticket = tickets[key]
        all_clocks = list(SlaClock.objects.filter(content_type_id=key[0], object_id=key[1]))
        ticket_sla_sync(ticket, all_clocks)
        notes.append(_timeline(ticket, action=note_action, body=_recompute_text(note_action, reason),
                               data={"reason": reason, "changes": changes}))
    if notes:
        Activity.objects.bulk_create(notes)
    return len(changed)


def _recompute_text(action: str, reason: str) -> str:
    if action == "sla_reapplied":
        return _("SLA targets re-applied from the edited policy; time already spent is kept.")
    return _("SLA due times recomputed after a business calendar change (%(reason)s).") % {"reason": reason}


def clocks_recompute_for_calendars(*, calendar_ids: Iterable[int], reason: str) -> int:
    """Recompute the running and paused clocks measured on these calendars (now or in an earlier stretch).

    The body of the job that `calendar_changed` queues. Safe to run twice: a second run finds nothing moved.
    Open alerts for years that are now loaded close by themselves.
    """
    ids = sorted({int(i) for i in calendar_ids})
    if not ids:
        return 0
    clock_ids = sorted(set(
        SlaClock.objects.filter(status__in=ACTIVE_CLOCK_STATUSES)
        .filter(Q(calendar_id__in=ids) | Q(events__calendar_id__in=ids)).values_list("id", flat=True)))
    changed = _rework(clock_ids, reason=reason[:300] or "calendar")
    closed = _close_loaded_alerts(ids)
    with transaction.atomic():
        audit_record(actor=None, action="sla.recompute", object_type="calendars.calendar",
                     object_id=",".join(str(i) for i in ids)[:64], object_repr=reason[:200],
                     after={"reason": reason, "clocks": len(clock_ids), "changed": changed, "alerts_closed": closed})
    return changed


def _close_loaded_alerts(calendar_ids: list[int]) -> int:
    engines = Engines()
    closed = 0
    for alert in SlaAlert.objects.filter(calendar_id__in=calendar_ids, resolved_at__isnull=True,
                                         kind=AlertKind.MISSING_HOLIDAYS):
        tz = timezone.get_current_timezone()
        noon = dt.datetime(alert.year, 7, 1, 12, tzinfo=tz)
        if alert.year not in engines(alert.calendar_id).missing_years(noon, noon):
            with transaction.atomic():
                SlaAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
                audit_record(actor=None, action="sla_alert.close", instance=alert, after={"reason": "loaded"})
            closed += 1
    return closed


def _reapply_decide(c: SlaClock, ticket: Any, policy: CompiledPolicy | None) -> list[SlaClockEvent]:
    """The events that bring an active clock in line with the (edited) policy, as of now."""
    assert policy is not None
    now = timezone.now()
    rows: list[SlaClockEvent] = []
    target = policy.target(c.level, c.item_id, c.metric)
    if target is None:
        c.policy_id = policy.id
        return [_event(EventKind.CANCEL, now, "policy re-applied: no target")]
    seconds, calendar_id = target
    if (seconds, calendar_id) != (c.target_seconds, c.calendar_id):
        rows.append(_event(EventKind.TARGET, now, "policy re-applied", target_seconds=seconds,
                           calendar_id=calendar_id))
    hold = str(getattr(ticket, "hold_reason", "") or "")
    should_pause = bool(hold) and hold in policy.pause_reasons
    if c.status == ClockStatus.RUNNING and should_pause:
        rows.append(_event(EventKind.PAUSE, now, hold))
    elif c.status == ClockStatus.PAUSED and not should_pause:
        rows.append(_event(EventKind.RESUME, now, "policy re-applied"))
    c.pause_reasons = sorted(policy.pause_reasons)
    c.policy_id = policy.id
    return rows


def policy_reapply(*, policy_id: int, by_id: int | None = None) -> int:
    """Re-apply a policy's current targets and pause rules to the running and paused clocks of its contract
    (the job behind "re-apply to running tickets"). Time already spent and paused time are kept."""
    policy = one_or_none(SlaPolicy.objects.filter(pk=policy_id))
    if policy is None or not policy.is_active:
        return 0
    compiled = compile_policy(policy)
    clock_ids = list(SlaClock.objects.filter(contract_id=policy.contract_id, status__in=ACTIVE_CLOCK_STATUSES)
                     .order_by("id").values_list("id", flat=True))
    changed = _rework(clock_ids, reason=f"policy:{policy.pk}", decide=_reapply_decide, policy=compiled,
                      note_action="sla_reapplied")
    by = one_or_none(User.objects.filter(pk=by_id)) if by_id else None
    with transaction.atomic():
        audit_record(actor=by, action="sla_policy.reapply", instance=policy,
                     after={"revision": policy.revision, "clocks": len(clock_ids), "changed": changed})
    return changed


# --- policies ------------------------------------------------------------------------------------------

POLICY_FIELDS = ("name", "tier", "is_active", "pause_reasons", "on_site_from", "escalate_3_to_2_minutes",
                 "escalate_2_to_1_minutes", "escalation_basis", "recurrence_count", "recurrence_days",
                 "response_very_satisfied_minutes", "response_satisfied_minutes", "response_pass_minutes",
                 "resolution_very_satisfied_minutes", "resolution_satisfied_minutes", "resolution_pass_minutes")
SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "escalate_3_to_2_minutes": (1, 7 * 24 * 60), "escalate_2_to_1_minutes": (1, 7 * 24 * 60),
    "recurrence_count": (2, 100), "recurrence_days": (1, 366),
    "response_very_satisfied_minutes": (0, 10080), "response_satisfied_minutes": (0, 10080),
    "response_pass_minutes": (0, 10080), "resolution_very_satisfied_minutes": (0, 100000),
    "resolution_satisfied_minutes": (0, 100000), "resolution_pass_minutes": (0, 100000),
}
MAX_TARGET_MINUTES = 366 * 24 * 60


def _require_editor(by: User | None, contract_id: int) -> None:
    if by is not None and not can_edit_policy(by, contract_id):
        raise PermissionDenied(_("Only the contract's project manager or a system administrator may change "
                                 "its SLA policy."))


def _targets_snapshot(policy: SlaPolicy) -> list[list[Any]]:
    return [[t.level, t.metric, t.category_id, t.minutes, t.calendar_id]
            for t in SlaTarget.objects.filter(policy=policy).order_by("category_id", "level", "metric")]


@transaction.atomic
def sla_policy_create(*, by: User | None, contract: Contract, tier: str = Tier.STANDARD,
                      preset: str = Preset.VENDOR, name: str = "") -> SlaPolicy:
    """Give a contract a policy from the default tables (DOMAIN.md sections 1 and 6) for a tier.

    It is in effect at once when the contract has none in effect yet. Calendars are the installation's
    "24x7" and "5x8" (calendars app); a missing one is reported, never guessed.
    """
    _require_editor(by, contract.pk)
    errors: dict[str, str] = {}
    if tier not in Tier.values:
        errors["tier"] = _("Unknown tier “%(value)s”.") % {"value": tier}
    if preset not in Preset.values:
        errors["preset"] = _("Unknown preset “%(value)s”.") % {"value": preset}
    elif SlaPolicy.objects.filter(contract=contract, tier=tier).exists():
        errors["tier"] = _("This contract already has a %(tier)s policy.") % {"tier": Tier(tier).label}
    if errors:
        raise ValidationError(fields=errors)
    rows = default_targets(tier=tier, preset=preset)
    calendars = {c.code: c for c in Calendar.objects.filter(code__in={r[3] for r in rows})}
    missing = sorted({r[3] for r in rows} - set(calendars))
    if missing:
        raise ValidationError(fields={"preset": _("The business calendar “%(code)s” does not exist.") % {
            "code": missing[0]}})
    active = not SlaPolicy.objects.filter(contract=contract, is_active=True).exists()
    policy = SlaPolicy.objects.create(
        contract=contract, tier=tier, is_active=active,
        name=(name.strip() or f"{contract.code} · {Tier(tier).label} · {Preset(preset).label}")[:100])
    SlaTarget.objects.bulk_create([SlaTarget(policy=policy, level=level, metric=metric, minutes=minutes,
                                             calendar=calendars[code]) for level, metric, minutes, code in rows])
    audit_record(actor=by, action="sla_policy.create", instance=policy,
                 after={**snapshot(policy, POLICY_FIELDS), "contract": contract.code, "preset": preset,
                        "targets": _targets_snapshot(policy)})
    return policy


def _int_setting(errors: dict[str, str], name: str, value: Any) -> int:
    low, high = SETTING_LIMITS[name]
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[name] = _("Enter a whole number.")
        return 0
    if not low <= number <= high:
        errors[name] = _("Must be between %(low)d and %(high)d.") % {"low": low, "high": high}
    return number


def _clean_targets(errors: dict[str, str], targets: Iterable[dict[str, Any]]) -> list[SlaTarget]:
    from opsdesk.incidents.models import IncidentCategory  # the catalogue items (incident categories for now)

    rows = list(targets)
    calendars = Calendar.objects.in_bulk({r.get("calendar") for r in rows if isinstance(r.get("calendar"), int)})
    categories = IncidentCategory.objects.in_bulk({r.get("category") for r in rows
                                                   if isinstance(r.get("category"), int)})
    seen: set[tuple[int, str, int | None]] = set()
    out = []
    for i, row in enumerate(rows):
        name = str(row.get("field") or f"targets.{i}")
        level, metric, minutes = row.get("level"), row.get("metric"), row.get("minutes")
        calendar = calendars.get(row.get("calendar")) if isinstance(row.get("calendar"), int) else None
        category_id = row.get("category")
        if level not in (1, 2, 3, 4):
            errors[name] = _("The level must be 1, 2, 3 or 4.")
        elif metric not in Metric.values:
            errors[name] = _("Unknown metric “%(value)s”.") % {"value": metric}
        elif not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_TARGET_MINUTES:
            errors[name] = _("Enter the target in whole minutes, from 1 to %(n)d.") % {"n": MAX_TARGET_MINUTES}
        elif calendar is None:
            errors[name] = _("Choose a business calendar.")
        elif category_id is not None and category_id not in categories:
            errors[name] = _("Unknown service-catalogue item.")
        elif (level, metric, category_id) in seen:
            errors[name] = _("This target is given twice.")
        else:
            seen.add((level, metric, category_id))
            out.append(SlaTarget(level=level, metric=metric, minutes=minutes, calendar=calendar,
                                 category_id=category_id))
    return out


@transaction.atomic
def sla_policy_update(*, policy: SlaPolicy, by: User | None, settings: dict[str, Any],
                      targets: Iterable[dict[str, Any]] | None = None, reapply: bool = False) -> SlaPolicy:
    """Edit a policy's settings and (when given) replace its targets; audited, revision bumped.

    The edit applies to tickets created from now on; with `reapply`, a background job brings the running
    tickets of the contract in line too, keeping the time they have already spent. Every problem is reported
    at once, per field; nothing changes unless all is valid.
    """
    _require_editor(by, policy.contract_id)
    locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    errors: dict[str, str] = {}
    before = {**snapshot(locked, POLICY_FIELDS), "targets": _targets_snapshot(locked)}
    values: dict[str, Any] = {}
    if "name" in settings:
        name = str(settings.get("name") or "").strip()
        if not name:
            errors["name"] = _("This field is required.")
        elif len(name) > 100:
            errors["name"] = _("At most %(n)d characters.") % {"n": 100}
        values["name"] = name
    if "pause_reasons" in settings:
        from opsdesk.incidents.choices import HoldReason

        reasons = list(settings.get("pause_reasons") or [])
        bad = [r for r in reasons if r not in HoldReason.values]
        if bad:
            errors["pause_reasons"] = _("Unknown hold reason “%(value)s”.") % {"value": bad[0]}
        values["pause_reasons"] = sorted(set(reasons))
    for name, choices in (("on_site_from", OnSiteFrom.values), ("escalation_basis", TimeBasis.values)):
        if name in settings:
            if settings[name] not in choices:
                errors[name] = _("“%(value)s” is not one of the allowed choices.") % {"value": settings[name]}
            values[name] = settings[name]
    for name in SETTING_LIMITS:
        if name in settings:
            values[name] = _int_setting(errors, name, settings[name])
    for prefix in ("response", "resolution"):
        keys = [f"{prefix}_very_satisfied_minutes", f"{prefix}_satisfied_minutes", f"{prefix}_pass_minutes"]
        bounds = [values.get(k, getattr(locked, k)) for k in keys]
        if not any(k in errors for k in keys) and not bounds[0] <= bounds[1] <= bounds[2]:
            errors[keys[1]] = _("The grading bounds must not decrease: very satisfied ≤ satisfied ≤ pass.")
    new_targets = _clean_targets(errors, targets) if targets is not None else None
    if errors:
        raise ValidationError(fields=errors)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.revision += 1
    locked.save()
    if new_targets is not None:
        SlaTarget.objects.filter(policy=locked).delete()
        for t in new_targets:
            t.policy = locked
        SlaTarget.objects.bulk_create(new_targets)
    audit_record(actor=by, action="sla_policy.update", instance=locked, before=before,
                 after={**snapshot(locked, POLICY_FIELDS), "targets": _targets_snapshot(locked),
                        "revision": locked.revision, "reapply": reapply})
    if reapply and locked.is_active:
        from .tasks import reapply_policy

        policy_id, by_id = locked.pk, getattr(by, "pk", None)
        transaction.on_commit(lambda: reapply_policy(policy_id, by_id))
    return locked


@transaction.atomic
def sla_policy_activate(*, policy: SlaPolicy, by: User | None) -> SlaPolicy:
    """Put this policy (tier) in effect for its contract instead of the one in effect now (new tickets)."""
    _require_editor(by, policy.contract_id)
    previous = list(SlaPolicy.objects.select_for_update().filter(contract_id=policy.contract_id, is_active=True)
                    .exclude(pk=policy.pk))
    for other in previous:
        SlaPolicy.objects.filter(pk=other.pk).update(is_active=False, revision=F("revision") + 1,
                                                     updated_at=timezone.now())
    SlaPolicy.objects.filter(pk=policy.pk).update(is_active=True, revision=F("revision") + 1,
                                                  updated_at=timezone.now())
    policy.refresh_from_db()
    audit_record(actor=by, action="sla_policy.activate", instance=policy,
                 after={"tier": policy.tier, "replaced": [p.pk for p in previous]})
    return policy


@transaction.atomic
def sla_alert_resolve(*, alert: SlaAlert, by: User) -> SlaAlert:
    """Mark an SLA alert as dealt with (e.g. the year's holidays were loaded, or confirmed as none)."""
    from .selectors import can_admin_sla

    if not can_admin_sla(by):
        raise PermissionDenied(_("Only system administrators may resolve SLA alerts."))
    if alert.resolved_at is not None:
        return alert
    alert.resolved_at = timezone.now()
    alert.resolved_by = by
    alert.save(update_fields=["resolved_at", "resolved_by", "last_seen_at"])
    audit_record(actor=by, action="sla_alert.resolve", instance=alert, after={"resolved_at": alert.resolved_at})
    return alert
