"""Automatic escalation (level 3 → 2 → 1 after N minutes at a level), recurring faults, and who is told.

The escalation timer is not a clock of its own: it is derived from the ticket's *resolution* clock, whose
events already say when the ticket took its current level (the start, or the target change of a level
change), when it was on hold (pause / resume) and when it was resolved or reopened (stop / restart). Replaying
those events from the level change with a target of N minutes, on the wall clock or on the resolution clock's
business calendar (the policy's `escalation_basis`), gives `SlaClock.escalate_at` through the same pure
`clock.derive` the SLA clocks use. It is stored with the clock's other derived fields and folded into
`next_event_at`, so the sweep finds due escalations through the one "next SLA event" index, calendar
corrections and re-applied policies move it like any due time, and no ticket list or attainment figure sees an
extra clock. Time on hold for a reason that pauses the SLA does not count (waiting for the customer does not
make a fault more severe), nor does time between resolution and a reopening.

The level is raised through the ticket workflow's `change_level` action, taken by the system, so the
SLA targets of the new level apply keeping the time spent, and the timeline and audit trail show it with its
reason, exactly like a manual level change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import RoleGrant, User
from opsdesk.calendars.engine import AlwaysOpen, CalendarEngine
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind

from . import clock as pure
from .choices import Metric, TimeBasis
from .models import SlaClock, SlaClockEvent
from .selectors import CompiledPolicy
from .signals import sla_event

log = logging.getLogger(__name__)

WALL = 0  # the timer's calendar id for wall-clock time (no Calendar row has id 0)
_ALWAYS = AlwaysOpen()
FOLLOWED = (pure.PAUSE, pure.RESUME, pure.STOP, pure.RESTART, pure.CANCEL)
ESCALATING_LEVELS = (3, 2)
WORKFLOW_ERRORS = (Conflict, NotFound, PermissionDenied, ValidationError)


# --- the escalation timer --------------------------------------------------------------------------------

def applies(clock: SlaClock) -> bool:
    """Whether this clock carries an escalation timer (resolution clocks at levels 3 and 2)."""
    return clock.metric == Metric.RESOLUTION and clock.level in ESCALATING_LEVELS


def escalate_at(clock: SlaClock, state: pure.State, rows: Sequence[SlaClockEvent],
                engines: Callable[[int], CalendarEngine], policy: CompiledPolicy | None) -> dt.datetime | None:
    """When the ticket, open at the clock's (current) level, has spent the policy's escalation time there.

    `state` is the clock freshly derived from `rows` (all its events; none for a clock being started).
    None when the clock does not escalate or does not run now (on hold, resolved).
    """
    if policy is None or not applies(clock) or state.status != pure.RUNNING or state.calendar_id is None:
        return None
    minutes = policy.escalate_minutes.get(clock.level)
    if not minutes:
        return None
    ordered = sorted(rows, key=lambda r: r.at)  # stable: same-instant events keep their recorded order
    begin, tail = state.started_at, list(ordered)
    for i, row in enumerate(ordered):
        data = row.data or {}
        if row.kind == pure.START or (row.kind == pure.TARGET and data.get("level") == clock.level
                                      and data.get("from_level") not in (None, clock.level)):
            begin, tail = row.at, ordered[i + 1:]
    if begin is None:
        return None
    calendar = WALL if policy.escalation_basis == TimeBasis.WALL else state.calendar_id
    timer = [pure.Event(pure.START, begin, minutes * 60, calendar)]
    timer += [pure.Event(r.kind, r.at) for r in tail if r.kind in FOLLOWED]
    derived = pure.derive(timer, lambda cid: _ALWAYS if cid == WALL else engines(cid))
    return derived.due_at if derived.status == pure.RUNNING else None


def duration_text(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


def time_rule_reason(*, level: int, minutes: int, basis: str) -> str:
    """The reason recorded for an escalation by time, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        if basis == TimeBasis.BUSINESS:
            return _("Level %(level)d open longer than %(duration)s of business time.") % {
                "level": level, "duration": duration_text(minutes)}
        return _("Level %(level)d open longer than %(duration)s.") % {"level": level,
                                                                      "duration": duration_text(minutes)}


# --- recurring faults ------------------------------------------------------------------------------------

def recurring_fault(record: Any, policy: CompiledPolicy | None, *, exclude: Sequence[int] = ()) -> list[str]:
    """Before a new ticket's INSERT: the numbers of the earlier tickets of the same affected system and
    catalogue item on the contract within the policy's window, when with this one they make
    `recurrence_count` occurrences; [] otherwise. One query on an index, run only when both are given.
    A batch asks after its INSERT, `exclude` holding the ids of this ticket and those logged after it."""
    system = str(getattr(record, "affected_system", "") or "").strip()
    category_id = getattr(record, "category_id", None)
    level = int(getattr(record, "level", 0) or 0)
    if policy is None or not system or category_id is None or level <= 1 or policy.recurrence_count < 2:
        return []
    reported = getattr(record, "reported_at", None) or timezone.now()
    earlier = policy.recurrence_count - 1
    found = type(record)._default_manager.filter(
        contract_id=record.contract_id, category_id=category_id, affected_system=system,
        reported_at__gte=reported - dt.timedelta(days=policy.recurrence_days), reported_at__lte=reported)
    if exclude:
        found = found.exclude(pk__in=list(exclude))
    numbers = list(found.order_by("-reported_at").values_list("number", flat=True)[:earlier])
    return numbers if len(numbers) >= earlier else []


def raise_recurring(record: Any, numbers: Sequence[str], policy: CompiledPolicy | None) -> None:
    """Inside the creating transaction, after the ticket and its clocks are inserted: raise its level by one
    as a recurring fault, the earlier tickets named in the reason. A refusal by the workflow is logged and
    leaves the ticket as created (creation must not fail because of it)."""
    if not numbers or policy is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Recurring fault: %(system)s occurred %(count)d times within %(days)d days (earlier: "
                   "%(numbers)s).") % {"system": record.affected_system, "count": len(numbers) + 1,
                                      "days": policy.recurrence_days, "numbers": ", ".join(sorted(numbers))}
    try:
        escalate(ticket=record, to_level=record.level - 1, reason=reason, rule="recurrence",
                 extra={"earlier": sorted(numbers)})
    except WORKFLOW_ERRORS:
        log.exception("recurring fault: could not raise the level of %s", record)
        return
    record.__dict__.pop("_sla_clocks", None)  # retargeted: let readers fetch them again


# --- raising a level -----------------------------------------------------------------------------------

def _workflow_for(model: type) -> Any:
    """The workflow with a `change_level` action for a ticket type (incidents for now)."""
    from opsdesk.incidents.models import Incident
    from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

    if model is Incident:
        return INCIDENT_WORKFLOW
    raise NotFound(f"no level workflow for {model.__name__}")


def escalate(*, ticket: Any, to_level: int, reason: str, rule: str, clock: SlaClock | None = None,
             extra: dict[str, Any] | None = None) -> Activity | None:
    """Raise `ticket` to `to_level` as the system through its workflow's `change_level` action (call inside
    a transaction). The workflow's timeline entry gets the recipients, an `sla.escalate` audit entry keeps
    the rule and reason, and the escalation signal goes out after commit. Raises the workflow's errors."""
    from opsdesk.core.workflow import perform

    from_level = int(ticket.level)
    perform(_workflow_for(type(ticket)), record=ticket, action="change_level", by=None,
            data={"level": str(to_level), "reason": reason})
    ct = ContentType.objects.get_for_model(type(ticket))
    activity = (Activity.objects.filter(content_type=ct, object_id=ticket.pk, kind=ActivityKind.ACTION,
                                        action="change_level").order_by("-id").first())
    people = recipients_for([ticket], kind="escalation")[(ct.pk, ticket.pk)]
    details = {"automatic": rule, "from_level": from_level, **(extra or {}), "recipients": people}
    if activity is not None:
        activity.data = {**(activity.data or {}), **details}
        Activity.objects.filter(pk=activity.pk).update(data=activity.data)
    audit_record(actor=None, action="sla.escalate", instance=ticket, before={"level": from_level},
                 after={"level": to_level, "rule": rule, "reason": reason, **(extra or {}),
                        "clock": clock.pk if clock is not None else None,
                        "recipients": [p["id"] for p in people]})
    signal = {"kind": "escalation", "ticket": ticket, "clock": clock, "stage": None, "level": to_level,
              "from_level": from_level, "recipients": people, "reason": reason,
              "activity_id": activity.pk if activity is not None else None}
    transaction.on_commit(lambda: send([signal]))
    return activity


def send(events: Iterable[dict[str, Any]]) -> None:
    """Send recorded SLA events (after commit). A failing receiver is logged, never stops the others."""
    for kwargs in events:
        for receiver, response in sla_event.send_robust(sender=SlaClock, **kwargs):
            if isinstance(response, Exception):
                log.error("sla_event receiver %r failed: %r", receiver, response)


# --- who is told -----------------------------------------------------------------------------------------

def recipients_for(tickets: Sequence[Any], *, kind: str) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The people to tell about an SLA event on each ticket, keyed by (content type id, pk); two queries
    for any number of tickets.

    Warnings go to those working the ticket (owner and assignee; the contract's project managers while
    nobody owns it). Breaches and escalations go to the owner and the contract's project managers, and for
    levels 1–2 (emergencies, DOMAIN.md section 5) to the contract's emergency team lead as well.
    """
    if not tickets:
        return {}
    contract_ids = {t.contract_id for t in tickets}
    roles = [Role.PROJECT_MANAGER]
    if kind != "warning" and any(int(t.level) <= 2 for t in tickets):
        roles.append(Role.EMERGENCY_LEAD)
    by_contract: dict[int, list[tuple[str, int]]] = defaultdict(list)
    wanted_ids: set[int] = set()
    for contract_id, role, user_id in (RoleGrant.objects.filter(contract_id__in=contract_ids, role__in=roles)
                                       .values_list("contract_id", "role", "user_id")):
        by_contract[contract_id].append((role, user_id))
        wanted_ids.add(user_id)
    for t in tickets:
        wanted_ids |= {i for i in (getattr(t, "owner_id", None), getattr(t, "assignee_id", None)) if i}
    users = User.objects.filter(is_active=True).in_bulk(wanted_ids)
    out: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for t in tickets:
        picked: dict[int, list[str]] = {}

        def add(user_id: int | None, role: str, picked: dict[int, list[str]] = picked) -> None:
            if user_id and user_id in users and role not in picked.setdefault(user_id, []):
                picked[user_id].append(role)

        owner_id = getattr(t, "owner_id", None)
        managers = [uid for role, uid in by_contract.get(t.contract_id, []) if role == Role.PROJECT_MANAGER]
        add(owner_id, "owner")
        if kind == "warning":
            add(getattr(t, "assignee_id", None), "assignee")
            if not owner_id:
                for uid in managers:
                    add(uid, Role.PROJECT_MANAGER.value)
        else:
            for uid in managers:
                add(uid, Role.PROJECT_MANAGER.value)
            if int(t.level) <= 2:
                for role, uid in by_contract.get(t.contract_id, []):
                    if role == Role.EMERGENCY_LEAD:
                        add(uid, Role.EMERGENCY_LEAD.value)
        key = (ContentType.objects.get_for_model(type(t)).pk, t.pk)
        out[key] = [{"id": uid, "username": users[uid].username, "name": users[uid].display_name,
                     "roles": role_list} for uid, role_list in sorted(picked.items()) if role_list]
    return out
