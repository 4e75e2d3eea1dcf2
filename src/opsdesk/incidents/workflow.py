"""The general incident handling procedure (问题受理和一般问题处理规程), declared as data.

new → accepted → in progress → escalated to second line → awaiting user confirmation → resolved → closed;
rejected as out of scope; on hold (customer / third party) and back; reopen from awaiting / resolved; the
level may change while open. The SLA clocks follow the actions through their effects (`_sla_*` below):
accepting stops the response clock, a dispatch starts the on-site one and arriving stops it, a hold for a
reason the policy lists pauses them, resolving stops resolution, reopening restarts it, a level change
takes the new level's targets keeping the time spent.
Besides the contract roles of DOMAIN.md, three roles come from the record itself: `requester`, `owner`
(who accepted it: one-stop) and `assignee` (who works it now).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for, staff_on_contract, staff_picker
from opsdesk.core.db import one_or_none
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow
from opsdesk.sla import services as sla
from opsdesk.sla.choices import Metric

from . import events
from .choices import HoldReason, IncidentStatus, Level, WorkOrderStatus
from .models import Incident, WorkOrder

S = IncidentStatus
REQUESTER, OWNER, ASSIGNEE = "requester", "owner", "assignee"

DESK = frozenset({Role.AGENT, Role.PROJECT_MANAGER, OWNER})
WORKERS = frozenset({Role.AGENT, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER})
HANDLERS = frozenset({OWNER, ASSIGNEE, Role.PROJECT_MANAGER})
CLIENT = frozenset({REQUESTER, Role.CLIENT_CONTACT})
WORKING = (S.ACCEPTED, S.IN_PROGRESS, S.ESCALATED)


def incident_roles(user: User | None, incident: Incident) -> frozenset[str]:
    """The roles `user` holds on `incident`: contract grants plus requester / owner / assignee."""
    if user is None:
        return frozenset({SYSTEM_ROLE})
    access = access_for(user)
    roles = set(access.roles_on(incident.contract_id)) - {Role.REQUESTER, Role.CLIENT_CONTACT}
    if incident.organisation_id in access.contact_org_ids:
        roles.add(Role.CLIENT_CONTACT)
    if incident.requester_id == user.pk:
        roles.add(REQUESTER)
    if incident.owner_id == user.pk:
        roles.add(OWNER)
    if incident.assignee_id == user.pk:
        roles.add(ASSIGNEE)
    return frozenset(roles)


# --- field helpers -------------------------------------------------------------------------------------

def _staff_choices(roles: frozenset[str]) -> Callable[[Incident], list[tuple[str, str]]]:
    def choices(incident: Incident) -> list[tuple[str, str]]:
        return staff_picker(incident, roles)
    return choices


def _staff_cleaner(roles: frozenset[str]) -> Callable[[Any, Field, Incident], User]:
    def clean(value: Any, field: Field, incident: Incident) -> User:
        user = one_or_none(staff_on_contract(contract_id=incident.contract_id, roles=roles).filter(username=str(value)))
        if user is None:
            raise ValueError(gettext("“%(value)s” is not an engineer on this contract.") % {"value": value})
        return user
    return clean


def _bool(value: Any, field: Field, incident: Incident) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


ENGINEERS = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.VENDOR, Role.AGENT, Role.PROJECT_MANAGER})
SECOND_LINE = frozenset({Role.SECOND_LINE, Role.VENDOR})


def _hold_choices(incident: Incident) -> list[tuple[str, Any]]:
    return list(HoldReason.choices)


def _level_choices(incident: Incident | None) -> list[tuple[str, Any]]:
    """The levels an incident can move to (all of them when no incident is given, e.g. timeline labels)."""
    current = getattr(incident, "level", None)
    return [(str(value), label) for value, label in Level.choices if value != current]


def _new_level(value: Any, field: Field, incident: Incident) -> int:
    level = int(value)
    if level == incident.level:
        raise ValueError(gettext("The incident is already at this level."))
    return level


# --- effects -----------------------------------------------------------------------------------------

def _take_ownership(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    inc.owner = inc.owner or ctx.actor
    inc.assignee = inc.assignee or ctx.actor
    inc.accepted_at = timezone.now()
    inc.save(update_fields=["owner", "assignee", "accepted_at"])
    ctx.audit_extra.update(owner=inc.owner.username, assignee=inc.assignee.username)


def _assign(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    user = ctx.data.get("assignee")
    if user is not None:
        inc.assignee = user
        inc.save(update_fields=["assignee"])
        ctx.audit_extra["assignee"] = user.username
        ctx.timeline_extra["assignee_id"] = user.pk  # who is told (notifications); not shown on the page


def _dispatch(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    engineer: User = ctx.data["engineer"]
    order = WorkOrder.objects.create(
        number=next_number("WO"), incident=inc, engineer=engineer, dispatched_by=ctx.actor,
        instructions=ctx.data.get("instructions") or "", site=ctx.data.get("site") or "")
    inc.assignee = engineer
    inc.save(update_fields=["assignee"])
    ctx.audit_extra.update(assignee=engineer.username, work_order=order.number)
    ctx.timeline_extra["work_order"] = order.number


def _open_order_for(incident: Incident, user: User | None) -> WorkOrder | None:
    if user is None:
        return None
    return (WorkOrder.objects.filter(incident=incident, engineer=user, status=WorkOrderStatus.DISPATCHED)
            .order_by("id").first())


def _has_open_order(incident: Incident, user: User | None) -> bool:
    # List APIs prefetch their rows' dispatched orders (selectors.incident_page_for_api): no query per row.
    prefetched = getattr(incident, "dispatched_work_orders", None)
    if prefetched is not None and user is not None:
        return any(order.engineer_id == user.pk for order in prefetched)
    return _open_order_for(incident, user) is not None


def _record_arrival(ctx: ActionContext) -> None:
    order = _open_order_for(ctx.record, ctx.actor)
    assert order is not None  # guarded by the action's condition
    order.status = WorkOrderStatus.ARRIVED
    order.arrived_at = timezone.now()
    order.save(update_fields=["status", "arrived_at", "updated_at"])
    ctx.audit_extra.update(work_order=order.number, arrived_at=order.arrived_at.isoformat())
    ctx.timeline_extra.update(work_order=order.number, arrived_at=order.arrived_at.isoformat())


def _remember_hold(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    inc.held_from = ctx.from_status
    inc.save(update_fields=["held_from"])


def _clear_hold(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    inc.held_from = ""
    inc.hold_reason = ""
    inc.save(update_fields=["held_from", "hold_reason"])


def _resolved(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    now = timezone.now()
    inc.resolved_at = now
    inc.save(update_fields=["resolved_at"])
    WorkOrder.objects.filter(incident=inc, status__in=[WorkOrderStatus.DISPATCHED, WorkOrderStatus.ARRIVED]).update(
        status=WorkOrderStatus.COMPLETED, completed_at=now, updated_at=now)


def _reopened(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    inc.reopen_count += 1
    inc.resolved_at = None
    inc.save(update_fields=["reopen_count", "resolved_at"])


def _closed(ctx: ActionContext) -> None:
    inc: Incident = ctx.record
    inc.closed_at = timezone.now()
    inc.save(update_fields=["closed_at"])


# --- SLA clocks (sla.services); the instant of the action is the record's new `updated_at` -----------------

def _sla_stop_response(ctx: ActionContext) -> None:
    sla.clocks_stop(ctx.record, metrics=(Metric.RESPONSE,), at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_resolved(ctx: ActionContext) -> None:
    # An on-site clock still waiting for an arrival ends without a result: no arrival is needed any more.
    sla.clocks_stop(ctx.record, metrics=(Metric.RESPONSE, Metric.RESOLUTION), cancel=(Metric.ON_SITE,),
                    at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_dispatched(ctx: ActionContext) -> None:
    sla.clock_start(ctx.record, metric=Metric.ON_SITE, at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_arrived(ctx: ActionContext) -> None:
    sla.clocks_stop(ctx.record, metrics=(Metric.ON_SITE,), at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_hold(ctx: ActionContext) -> None:
    sla.clocks_pause(ctx.record, reason=ctx.record.hold_reason, at=ctx.record.updated_at)


def _sla_resume(ctx: ActionContext) -> None:
    sla.clocks_resume(ctx.record, at=ctx.record.updated_at)


def _sla_reopened(ctx: ActionContext) -> None:
    sla.clocks_restart(ctx.record, metrics=(Metric.RESOLUTION,), at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_ended(ctx: ActionContext) -> None:
    sla.clocks_cancel(ctx.record, at=ctx.record.updated_at, reason=ctx.action.name)


def _sla_level_changed(ctx: ActionContext) -> None:
    sla.clocks_retarget(ctx.record, at=ctx.record.updated_at, reason=str(ctx.data.get("reason") or "")[:300])


def _announce(ctx: ActionContext) -> None:
    """After commit, tell other apps (SLA clocks, notifications) that an action was taken."""
    inc_id, action, from_s, to_s = ctx.record.pk, ctx.action.name, ctx.from_status, ctx.to_status
    actor_id = getattr(ctx.actor, "pk", None)

    def send() -> None:
        events.incident_action_taken.send(sender=Incident, incident_id=inc_id, action=action, from_status=from_s,
                                          to_status=to_s, actor_id=actor_id)

    ctx.on_commit.append(send)


def _close_on_confirmation(incident: Incident, actor: Any) -> bool:
    return bool(incident.contract.close_on_confirmation)


REASON = Field("reason", _("Reason"), kind="textarea", max_length=2000)

INCIDENT_WORKFLOW = Workflow(
    name="incident",
    model=Incident,
    states=IncidentStatus,
    initial=S.NEW,
    roles_of=incident_roles,
    audit_fields=("status", "owner", "assignee", "level", "solution"),
    terminal=(S.CLOSED, S.REJECTED),
    after_action=_announce,
    actions=(
        Action("accept", _("Accept"), sources=(S.NEW,), target=S.ACCEPTED, roles=WORKERS,
               effects=(_take_ownership, _sla_stop_response), style="primary",
               description=_("Take the incident: you own it until it is closed (one-stop).")),
        Action("start", _("Start work"), sources=(S.ACCEPTED,), target=S.IN_PROGRESS, roles=HANDLERS,
               style="primary"),
        Action("assign", _("Assign"), sources=(S.ACCEPTED, S.IN_PROGRESS, S.ESCALATED, S.ON_HOLD), roles=DESK,
               fields=(Field("assignee", _("Assignee"), kind="user", choices=_staff_choices(ENGINEERS),
                             clean=_staff_cleaner(ENGINEERS)),),
               effects=(_assign,)),
        Action("dispatch", _("Dispatch on site"), sources=WORKING, target=S.IN_PROGRESS, roles=DESK,
               fields=(Field("engineer", _("Engineer"), kind="user", choices=_staff_choices(ENGINEERS),
                             clean=_staff_cleaner(ENGINEERS)),
                       Field("site", _("Site"), required=False, max_length=200),
                       Field("instructions", _("Instructions"), kind="textarea", required=False, max_length=4000)),
               effects=(_dispatch, _sla_dispatched),
               description=_("Create a work order (派工单) that sends an engineer on site.")),
        Action("record_arrival", _("Record arrival on site"), sources=(S.IN_PROGRESS, S.ESCALATED),
               roles=frozenset({ASSIGNEE, Role.ENGINEER, Role.SECOND_LINE, Role.VENDOR}),
               condition=_has_open_order, effects=(_record_arrival, _sla_arrived), style="info"),
        Action("escalate", _("Escalate to second line"), sources=(S.ACCEPTED, S.IN_PROGRESS), target=S.ESCALATED,
               roles=HANDLERS | {Role.AGENT, Role.ENGINEER},
               fields=(Field("reason", _("Reason"), kind="textarea", max_length=2000,
                             model_field="escalation_reason"),
                       Field("assignee", _("Second-line engineer"), kind="user", required=False,
                             choices=_staff_choices(SECOND_LINE), clean=_staff_cleaner(SECOND_LINE))),
               effects=(_assign,), style="warning"),
        Action("hold", _("Put on hold"), sources=WORKING, target=S.ON_HOLD, roles=HANDLERS | {Role.AGENT},
               fields=(Field("hold_reason", _("Waiting for"), kind="choice", choices=_hold_choices,
                             model_field="hold_reason"),
                       Field("note", _("Reason"), kind="textarea", max_length=2000, model_field="hold_note")),
               effects=(_remember_hold, _sla_hold)),
        Action("resume", _("Resume"), sources=(S.ON_HOLD,), target=lambda inc: inc.held_from or S.IN_PROGRESS,
               roles=HANDLERS | {Role.AGENT}, effects=(_clear_hold, _sla_resume), style="primary"),
        Action("resolve", _("Resolve"), sources=WORKING, target=S.AWAITING_CONFIRMATION,
               roles=HANDLERS | {Role.SECOND_LINE},
               fields=(Field("solution", _("Solution"), kind="textarea", max_length=10000, model_field="solution"),),
               effects=(_resolved, _sla_resolved), style="success",
               description=_("Record the solution; the requester is asked to confirm it.")),
        Action("confirm", _("Confirm solved"), sources=(S.AWAITING_CONFIRMATION,), target=S.RESOLVED,
               roles=CLIENT | {OWNER, Role.AGENT, SYSTEM_ROLE}, style="success",
               description=_("The requester confirms the problem is solved (an agent may record a phone call).")),
        Action("reopen", _("Not solved – reopen"), sources=(S.AWAITING_CONFIRMATION, S.RESOLVED),
               target=S.IN_PROGRESS, roles=CLIENT | DESK | {SYSTEM_ROLE}, fields=(REASON,),
               effects=(_reopened, _sla_reopened),
               style="danger"),
        Action("close", _("Close"), sources=(S.RESOLVED,), target=S.CLOSED, roles=DESK | {SYSTEM_ROLE},
               fields=(Field("knowledge_candidate", _("Candidate for the knowledge base"), kind="bool",
                             required=False, clean=_bool, model_field="knowledge_candidate"),),
               effects=(_closed, _sla_ended), style="secondary"),
        Action("auto_close", _("Closed on confirmation"), sources=(S.RESOLVED,), target=S.CLOSED,
               roles=frozenset({SYSTEM_ROLE}), automatic=True, condition=_close_on_confirmation,
               effects=(_closed, _sla_ended)),
        Action("reject", _("Reject as out of scope"), sources=(S.NEW, S.ACCEPTED), target=S.REJECTED,
               roles=DESK, fields=(Field("reason", _("Reason"), kind="textarea", max_length=2000,
                                         model_field="reject_reason"),),
               effects=(_closed, _sla_ended), style="danger"),
        Action("change_level", _("Change level"), sources=(S.NEW, *WORKING, S.ON_HOLD),
               roles=DESK | {SYSTEM_ROLE},
               fields=(Field("level", _("New level"), kind="choice", choices=_level_choices, model_field="level",
                             clean=_new_level),
                       REASON),
               effects=(_sla_level_changed,), style="warning",
               description=_("Raise or lower the severity. The SLA targets of the new level apply from now on; "
                             "the time already spent is kept.")),
    ),
)
