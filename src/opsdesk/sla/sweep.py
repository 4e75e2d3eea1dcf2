"""The SLA sweep: due warnings (75 %, 90 %), breaches and automatic escalations, each taken exactly once.

Run every minute by a Huey periodic job (config/schedule.py) on any number of workers, and on demand by
`opsdesk manage sla_sweep`. It reads only clocks whose `next_event_at` has come, through the partial index on
that column, in batches ordered by (next_event_at, id); it never looks at open tickets as such.

Exactly once, with any number of sweepers, a sweeper killed half-way, and a retried job:

- a batch is one transaction: its tickets are locked first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a
  second sweeper or a ticket being worked on right now is passed over, and seen again on a later run; the
  same order as workflow actions, ticket then clocks, so the two never deadlock), then all their clocks;
  SQLite runs one write transaction at a time (IMMEDIATE), which serialises sweepers by itself;
- each stage is claimed by a conditional UPDATE (``WHERE id = … AND notified_stage < n AND status =
  'running'``) in the same transaction as its effects: the timeline entry, the audit record, the ticket's
  list fields and the clock's next event. An escalation is claimed on `escalate_at` and then taken through
  the workflow, whose own versioned UPDATE refuses a second taker. A sweeper that dies mid-batch leaves a
  rolled-back transaction; the next run finds the same clocks still due and does the work once;
- only the most advanced stage that is due is announced: a clock found past its due time gets the breach,
  not a 75 % warning as well;
- signals (sla.signals.sla_event) go out after the batch commits; the timeline entries are the durable record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.core.audit import audit_record
from opsdesk.core.models import Activity, ActivityKind

from . import escalation
from .choices import ClockStatus, Metric
from .models import SlaClock
from .selectors import policy_for_contract
from .services import clock_next_event_at, ticket_sla_sync

log = logging.getLogger(__name__)

BATCH = 200
WARNING, BREACH = 1, 3  # stages: 1 = 75 %, 2 = 90 %, 3 = breach (SlaClock.notified_stage)


@dataclass
class SweepResult:
    """What one run did. `skipped`: due clocks left for later (held by another sweeper or an action, not
    over their instant yet, or claimed meanwhile)."""

    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    skipped: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def due_clocks(*, now: dt.datetime, after: tuple[dt.datetime, int] | None = None,
               limit: int = BATCH) -> list[tuple[int, dt.datetime, int, int]]:
    """(id, next_event_at, content type id, object id) of clocks with an event due by `now`, in the order of
    the index, after the key `after`. The "find due" query: a range scan of the partial index."""
    qs = SlaClock.objects.filter(next_event_at__lte=now)
    if after is not None:
        qs = qs.filter(Q(next_event_at__gt=after[0]) | Q(next_event_at=after[0], id__gt=after[1]))
    rows = qs.order_by("next_event_at", "id").values_list("id", "next_event_at", "content_type_id", "object_id")
    return cast(list[tuple[int, dt.datetime, int, int]], list(rows[:limit]))  # next_event_at is never null here


def sla_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> SweepResult:
    """Take every SLA event due by `now` (default: the current time), batch by batch; returns the counts.

    Safe to run at the same time as other sweeps and workflow actions, and to run again after a crash.
    """
    now = now or timezone.now()
    result = SweepResult()
    after: tuple[dt.datetime, int] | None = None
    while True:
        with transaction.atomic():
            rows = due_clocks(now=now, after=after, limit=batch_size)
            if not rows:
                break
            after = (rows[-1][1], rows[-1][0])
            _sweep_batch(rows, now=now, result=result)
        result.batches += 1
        if len(rows) < batch_size:
            break
    if result.warnings or result.breaches or result.escalations:
        log.info("sla sweep at %s: %s", now.isoformat(), result.as_dict())
    return result


def _stage_due(clock: SlaClock, now: dt.datetime) -> int:
    """The most advanced stage not yet handled whose instant has come (0 for none). Warnings are due when
    their instant is reached; a breach once the due instant has passed (a response at the due second is on
    time, as in clock.derive)."""
    if clock.status != ClockStatus.RUNNING:
        return 0
    for stage, instant in ((3, clock.due_at), (2, clock.critical_at), (1, clock.warn_at)):
        if stage <= clock.notified_stage or instant is None:
            continue
        if instant < now or (stage < BREACH and instant <= now):
            return stage
    return 0


def _lock(rows: list[tuple[int, dt.datetime, int, int]]) -> tuple[dict[tuple[int, int], Any],
                                                                     dict[tuple[int, int], list[SlaClock]]]:
    """Lock the tickets of the due clocks, then all their clocks, skipping rows someone else holds. A
    ticket is kept only when every one of its clocks was locked (its list fields depend on all of them)."""
    by_type: dict[int, set[int]] = defaultdict(set)
    for _id, _at, ct_id, object_id in rows:
        by_type[ct_id].add(object_id)
    tickets: dict[tuple[int, int], Any] = {}
    clocks: dict[tuple[int, int], list[SlaClock]] = defaultdict(list)
    for ct_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        locked = {t.pk: t for t in model._default_manager.select_for_update(skip_locked=True)
                  .filter(pk__in=sorted(object_ids)).order_by("pk")}
        if not locked:
            continue
        expected: dict[int, set[int]] = defaultdict(set)
        for clock_id, object_id in SlaClock.objects.filter(content_type_id=ct_id, object_id__in=list(locked)) \
                .values_list("id", "object_id"):
            expected[object_id].add(clock_id)
        got: dict[int, list[SlaClock]] = defaultdict(list)
        for c in (SlaClock.objects.select_for_update(skip_locked=True)
                  .filter(content_type_id=ct_id, object_id__in=list(locked)).order_by("id")):
            got[c.object_id].append(c)
        for pk, ticket in locked.items():
            if {c.pk for c in got[pk]} == expected[pk]:
                tickets[(ct_id, pk)] = ticket
                clocks[(ct_id, pk)] = got[pk]
    return tickets, clocks


def _sweep_batch(rows: list[tuple[int, dt.datetime, int, int]], *, now: dt.datetime, result: SweepResult) -> None:
    tickets, clocks = _lock(rows)
    due_ids = {r[0] for r in rows}
    stages: list[tuple[Any, SlaClock, int]] = []
    escalations: list[tuple[Any, SlaClock]] = []
    for key, ticket in tickets.items():
        for c in clocks[key]:
            if c.pk not in due_ids:
                continue
            stage = _stage_due(c, now)
            if stage:
                stages.append((ticket, c, stage))
            if c.escalate_at is not None and c.escalate_at < now:
                escalations.append((ticket, c))
            if not stage and not (c.escalate_at is not None and c.escalate_at < now):
                result.skipped += 1
    result.skipped += len(due_ids) - sum(1 for cs in clocks.values() for c in cs if c.pk in due_ids)
    events: list[dict[str, Any]] = []
    if stages:
        events += _take_stages(stages, clocks, now=now, result=result)
    for ticket, c in escalations:  # after the stages: an escalation re-reads and re-derives the clocks
        _take_escalation(ticket, c, now=now, result=result)
    if events:
        transaction.on_commit(lambda: escalation.send(events))


def _stage_text(clock: SlaClock, stage: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"metric": Metric(clock.metric).label,
                  "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock.due_at else ""}
        if stage == BREACH:
            return _("%(metric)s target breached: it was due at %(due)s.") % values
        if stage == 2:
            return _("%(metric)s: 90 %% of the target used; due at %(due)s.") % values
        return _("%(metric)s: 75 %% of the target used; due at %(due)s.") % values


def _take_stages(stages: list[tuple[Any, SlaClock, int]], clocks: dict[tuple[int, int], list[SlaClock]], *,
                 now: dt.datetime, result: SweepResult) -> list[dict[str, Any]]:
    """Claim each stage, then record its effects; returns the signals to send after commit."""
    kinds = {"warning": [t for t, _c, s in stages if s < BREACH], "breach": [t for t, _c, s in stages if s == BREACH]}
    people = {kind: escalation.recipients_for(ts, kind=kind) for kind, ts in kinds.items() if ts}
    activities: list[Activity] = []
    signals: list[dict[str, Any]] = []
    breached_tickets: dict[tuple[int, int], Any] = {}
    for ticket, c, stage in stages:
        c.notified_stage = stage
        updates: dict[str, Any] = {"notified_stage": stage, "next_event_at": clock_next_event_at(c), "updated_at": now}
        if stage == BREACH:
            updates.update(breached=True, breached_at=c.due_at)
        claimed = SlaClock.objects.filter(pk=c.pk, notified_stage__lt=stage, status=ClockStatus.RUNNING) \
            .update(**updates)
        if not claimed:  # cannot happen under the locks; kept as the guarantee of "once"
            result.skipped += 1
            continue
        for name, value in updates.items():
            setattr(c, name, value)
        kind = "breach" if stage == BREACH else "warning"
        key = (c.content_type_id, c.object_id)
        recipients = people[kind].get(key, [])
        data = {"metric": c.metric, "stage": stage, "level": ticket.level,
                "due_at": c.due_at.isoformat() if c.due_at else None, "recipients": recipients}
        if stage == BREACH:
            data["breached_at"] = data["due_at"]
            breached_tickets[key] = ticket
            result.breaches += 1
        else:
            data["percent"] = 90 if stage == 2 else 75
            result.warnings += 1
        activities.append(Activity(content_type_id=c.content_type_id, object_id=c.object_id,
                                   kind=ActivityKind.SYSTEM, action=f"sla_{kind}", body=_stage_text(c, stage),
                                   data=data, internal=True))
        audit_record(actor=None, action=f"sla.{kind}", instance=ticket,
                     after={"clock": c.pk, "metric": c.metric, "stage": stage, "due_at": c.due_at,
                            "recipients": [p["id"] for p in recipients]})
        signals.append({"kind": kind, "ticket": ticket, "clock": c, "stage": stage, "level": ticket.level,
                        "from_level": None, "recipients": recipients, "reason": activities[-1].body})
    for key, ticket in breached_tickets.items():
        ticket_sla_sync(ticket, clocks[key])
    Activity.objects.bulk_create(activities)
    for signal, activity in zip(signals, activities, strict=True):
        signal["activity_id"] = activity.pk
    return signals


def _take_escalation(ticket: Any, c: SlaClock, *, now: dt.datetime, result: SweepResult) -> None:
    """Claim the clock's due escalation and raise the ticket one level through its workflow (which sends
    the escalation signal after commit)."""
    level = int(c.level)
    seen = c.escalate_at
    c.escalate_at = None
    claimed = SlaClock.objects.filter(pk=c.pk, level=level, escalate_at=seen, status=ClockStatus.RUNNING) \
        .update(escalate_at=None, next_event_at=clock_next_event_at(c), updated_at=now)
    if not claimed:
        result.skipped += 1
        return
    if int(ticket.level) != level or level not in escalation.ESCALATING_LEVELS:
        log.warning("sla sweep: %s is at level %s but its clock at %s; escalation dropped", ticket, ticket.level,
                    level)
        result.skipped += 1
        return
    policy = policy_for_contract(ticket.contract_id)[0]
    minutes = policy.escalate_minutes.get(level, 0) if policy is not None else 0
    basis = policy.escalation_basis if policy is not None else "wall"
    reason = escalation.time_rule_reason(level=level, minutes=minutes, basis=basis)
    try:
        with transaction.atomic():
            escalation.escalate(ticket=ticket, to_level=level - 1, reason=reason, rule="time", clock=c,
                                extra={"escalate_at": seen.isoformat() if seen else None, "basis": basis,
                                       "minutes": minutes})
    except escalation.WORKFLOW_ERRORS:
        # The workflow refused (e.g. a state without level changes): the claim stays, so it is not retried
        # every minute; the log says why.
        log.exception("sla sweep: could not escalate %s", ticket)
        result.skipped += 1
        return
    result.escalations += 1


def sweep_now() -> dict[str, int]:
    """The body of the every-minute job (config/schedule.py): one sweep at the current time, its counts."""
    return sla_sweep().as_dict()
