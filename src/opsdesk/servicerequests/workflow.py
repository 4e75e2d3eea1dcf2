"""The staffed procedures (调工 / 派工), one declaration per kind on the workflow engine (core.workflow).

Every kind shares a skeleton built from the same Action definitions below:

    requested → assess (应用运维岗) → assessed ─┬─ needs extra resources → staffing_needed → apply_staffing
                                                │   (application owner) → staffing_review → approve (division
                                                │   leader) → assessed | reject → staffing_needed (apply again,
                                                │   or the project manager proceeds without) …
                                                └─ dispatch (派工, project manager: the handler) → dispatched
    … the kind's own steps …
    write_report (the service report) → follow_up (a follow-up is opened; its outcome comes back through the
    system actions follow_up_confirmed / follow_up_sent_back) → awaiting_closure → close (application owner,
    闭单) → closed → maintain_knowledge (the handler, once).
    cancel (project manager, with a reason) from every working state; reject_request from `requested`.

Where a step's outcome depends on its input (extra resources needed? system down? test passed?), the step
records the input and an automatic system action moves the record on: the engine's targets see the record,
not the input, and the timeline then shows both the answer and where it led.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for, staff_on_contract, staff_picker
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import ValidationError
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from .choices import Difficulty, RequestKind, RequestStatus
from .models import ServiceRequest

S = RequestStatus
K = RequestKind
HANDLER = "handler"  # the staff member the request was dispatched to (a pseudo-role of this record)
ASSESSORS = frozenset({Role.SECOND_LINE, Role.ENGINEER})  # 应用运维岗
PM = frozenset({Role.PROJECT_MANAGER})
APP_OWNER = frozenset({Role.APP_OWNER})
DIVISION_LEADER = frozenset({Role.DIVISION_LEADER})
CLIENTS = frozenset({Role.REQUESTER, Role.CLIENT_CONTACT, Role.APP_OWNER})  # who signs the on-site form
REJECTERS = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER})
HANDLER_ROLES = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.VENDOR})  # who can be dispatched
CLIENT_CREATORS = frozenset({Role.REQUESTER, Role.CLIENT_CONTACT, Role.APP_OWNER})
STAFF_CREATORS = frozenset({Role.AGENT, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER})
CREATORS = CLIENT_CREATORS | STAFF_CREATORS
# Client people who see every request of their contract (besides the contact, who sees the organisation's).
CONTRACT_VIEWERS = frozenset({Role.APP_OWNER, Role.DIVISION_LEADER, Role.APP_DIVISION})
ACTING_ROLES = ASSESSORS | PM | APP_OWNER | DIVISION_LEADER | CLIENTS | REJECTERS
TEXT_MAX = 10000
EFFORT_MAX = Decimal(1000)
SKEW = dt.timedelta(minutes=5)


def request_roles(user: User | None, sr: ServiceRequest) -> frozenset[str]:
    """The roles `user` holds on the request's contract that carry an action, and `handler` if it is theirs."""
    if user is None:
        return frozenset({SYSTEM_ROLE})
    roles = set(access_for(user).roles_on(sr.contract_id) & ACTING_ROLES)
    if sr.handler_id is not None and sr.handler_id == user.pk:
        roles.add(HANDLER)
    return frozenset(roles)


# --- field cleaners ------------------------------------------------------------------------------------------

def _handler_choices(sr: ServiceRequest) -> list[tuple[str, str]]:
    return staff_picker(sr, HANDLER_ROLES)


def _handler(value: Any, field: Field, sr: ServiceRequest) -> User:
    user = one_or_none(staff_on_contract(contract_id=sr.contract_id, roles=HANDLER_ROLES).filter(username=str(value)))
    if user is None:
        raise ValueError(gettext("“%(value)s” is not an engineer, second-line or vendor engineer on this "
                                 "contract.") % {"value": str(value)[:40]})
    return user


def _bool(value: Any, field: Field, sr: ServiceRequest) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(gettext("Enter true or false."))


def _true(value: Any, field: Field, sr: ServiceRequest) -> bool:
    if not _bool(value, field, sr):
        raise ValueError(gettext("The form must carry the client's stamp before it is signed."))
    return True


def _effort(value: Any, field: Field, sr: ServiceRequest) -> str:
    try:
        hours = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(gettext("Enter a number of hours, e.g. 16 or 2.5.")) from None
    if not hours.is_finite() or hours <= 0 or hours > EFFORT_MAX:
        raise ValueError(gettext("The estimate must be more than 0 and at most %(n)d hours.") % {"n": EFFORT_MAX})
    return str(hours.quantize(Decimal("0.1")))  # text: the timeline stores it as JSON


def parse_moment(value: Any) -> dt.datetime:
    """An instant from a datetime or an ISO text (`2026-11-23T09:30`, local Asia/Shanghai when naive)."""
    moment: dt.datetime | None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value).strip().replace(" ", "T"))
        except ValueError:
            moment = None
        if moment is None:
            raise ValueError(gettext("Use a date and time like 2026-11-23 09:30."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _moment(value: Any, field: Field, sr: ServiceRequest) -> dt.datetime:
    return parse_moment(value)


def _past_moment(value: Any, field: Field, sr: ServiceRequest) -> dt.datetime:
    moment = parse_moment(value)
    if moment > timezone.now() + SKEW:
        raise ValueError(gettext("This cannot be in the future."))
    return moment


def _future_moment(value: Any, field: Field, sr: ServiceRequest) -> dt.datetime:
    moment = parse_moment(value)
    if moment < timezone.now() - SKEW:
        raise ValueError(gettext("This cannot be in the past."))
    return moment


def _text(name: str, label: Any, model_field: str | None = None, *, required: bool = True,
          max_length: int = TEXT_MAX, kind: str = "textarea") -> Field:
    return Field(name, label, kind=kind, required=required, max_length=max_length,
                 model_field=model_field if model_field is not None else name)


def _flag(name: str, label: Any, *, required: bool = True, clean: Callable[..., Any] = _bool) -> Field:
    return Field(name, label, kind="bool", required=required, model_field=name, clean=clean)


def _reason(model_field: str) -> Field:
    return _text("reason", _("Reason"), model_field, max_length=2000)


# --- effects -------------------------------------------------------------------------------------------------

def _save(sr: ServiceRequest, **values: Any) -> None:
    for name, value in values.items():
        setattr(sr, name, value)
    ServiceRequest.objects.filter(pk=sr.pk).update(**values)


def _staffing_approved(ctx: ActionContext) -> None:
    _save(ctx.record, staffing_approved=True)


def _staffing_waived(ctx: ActionContext) -> None:
    _save(ctx.record, staffing_waived=True)


def _dispatched(ctx: ActionContext) -> None:
    _save(ctx.record, dispatched_at=timezone.now())
    ctx.audit_extra["handler"] = ctx.data["handler"].username


def _restored(ctx: ActionContext) -> None:
    if ctx.record.restored_at is None:
        _save(ctx.record, restored_at=timezone.now())


def _plan_approved(ctx: ActionContext) -> None:
    _save(ctx.record, plan_approved=True, test_passed=None)


def _plan_rejected(ctx: ActionContext) -> None:
    _save(ctx.record, plan_approved=False)


def _change_window(ctx: ActionContext) -> None:
    start, end = ctx.data["change_window_start"], ctx.data["change_window_end"]
    if end <= start:
        raise ValidationError(fields={"change_window_end": gettext("The window must end after it starts.")})


def _arrived(ctx: ActionContext) -> None:
    _save(ctx.record, arrived_at=timezone.now())


def _implemented(ctx: ActionContext) -> None:
    _save(ctx.record, implemented_at=timezone.now())


def _signed(ctx: ActionContext) -> None:
    _save(ctx.record, signed_at=timezone.now())


def _reported(ctx: ActionContext) -> None:
    from opsdesk.followups.services import followup_open

    sr: ServiceRequest = ctx.record
    _save(sr, reported_at=timezone.now())
    follow_up = followup_open(ticket=sr, by=ctx.actor)
    ctx.audit_extra["follow_up"] = follow_up.number
    ctx.timeline_extra["follow_up"] = follow_up.number


def _sent_back(ctx: ActionContext) -> None:
    sr: ServiceRequest = ctx.record
    _save(sr, sent_back_count=sr.sent_back_count + 1, reported_at=None)


def _closed(ctx: ActionContext) -> None:
    _save(ctx.record, closed_at=timezone.now())


def _knowledge(ctx: ActionContext) -> None:
    """Either a draft knowledge article made from the service report, or the reason there is none."""
    from opsdesk.knowledge.models import SYSTEMS_MAX, TITLE_MAX
    from opsdesk.knowledge.services import article_create

    sr: ServiceRequest = ctx.record
    if ctx.data.get("new_article"):
        try:
            with transaction.atomic():
                article = article_create(
                    by=ctx.actor, contract=sr.contract, title=sr.title[:TITLE_MAX], symptom=sr.phenomenon,
                    cause="\n\n".join(t for t in (sr.cause, sr.root_cause) if t),
                    solution="\n\n".join(t for t in (sr.solution, sr.steps) if t),
                    affected_systems=sr.affected_system[:SYSTEMS_MAX], keywords=sr.number)
        except ValidationError as exc:
            raise ValidationError(fields={"new_article": next(iter(exc.fields.values()), exc.message)}) from None
        _save(sr, knowledge_done=True, knowledge_article=article)
        ctx.audit_extra["article"] = article.number
        ctx.timeline_extra["article"] = article.number
        return
    if not ctx.data.get("reason"):
        raise ValidationError(fields={"reason": gettext("Say why there is no new knowledge, or draft an article.")})
    _save(sr, knowledge_done=True)


# --- shared action definitions ---------------------------------------------------------------------------------

EFFORT = Field("effort_hours", _("Effort estimate (hours)"), kind="text", max_length=10, model_field="effort_hours",
               clean=_effort, help_text=_("More than 0, at most 1000."))
DIFFICULTY = Field("difficulty", _("Difficulty"), kind="choice", model_field="difficulty",
                   choices=lambda sr: list(Difficulty.choices))
PLAN_FIELDS = (_text("plan", _("Plan")), _text("impact_analysis", _("Impact analysis")),
               _text("rollback_plan", _("Rollback plan")))
REPORT_FIELDS = (_text("phenomenon", _("Phenomenon")), _text("analysis", _("Analysis")),
                 _text("cause", _("Cause")), _text("steps", _("Steps taken")), _text("log", _("Log")))

ASSESS = Action(
    "assess", _("Assess"), sources=(S.REQUESTED,), target=S.ASSESSED, roles=ASSESSORS, style="primary",
    fields=(EFFORT, DIFFICULTY, _flag("needs_extra_resources", _("Needs extra resources"), required=False)),
    description=_("Estimate the effort and difficulty; say whether extra people are needed (调工)."))
REQUIRE_STAFFING = Action(
    "require_staffing", _("Extra resources needed"), sources=(S.ASSESSED,), target=S.STAFFING_NEEDED,
    roles=frozenset({SYSTEM_ROLE}), automatic=True,
    condition=lambda sr, actor: sr.needs_extra_resources and not sr.staffing_approved and not sr.staffing_waived)
APPLY_STAFFING = Action(
    "apply_staffing", _("Apply for staffing"), sources=(S.STAFFING_NEEDED,), target=S.STAFFING_REVIEW,
    roles=APP_OWNER, style="primary",
    fields=(_text("staffing_resources", _("Resources requested")), _text("staffing_reason", _("Why they are needed"))),
    description=_("Ask the division leader for the extra people or resources (调工申请)."))
APPROVE_STAFFING = Action(
    "approve_staffing", _("Approve staffing"), sources=(S.STAFFING_REVIEW,), target=S.ASSESSED,
    roles=DIVISION_LEADER, effects=(_staffing_approved,), style="success")
REJECT_STAFFING = Action(
    "reject_staffing", _("Reject staffing"), sources=(S.STAFFING_REVIEW,), target=S.STAFFING_NEEDED,
    roles=DIVISION_LEADER, fields=(_reason("staffing_reject_reason"),), style="danger",
    description=_("The application owner may apply again, or the project manager proceed without."))
PROCEED_WITHOUT_STAFFING = Action(
    "proceed_without_staffing", _("Proceed without extra staff"), sources=(S.STAFFING_NEEDED,), target=S.ASSESSED,
    roles=PM, effects=(_staffing_waived,), style="warning")
DISPATCH = Action(
    "dispatch", _("Dispatch"), sources=(S.ASSESSED,), target=S.DISPATCHED, roles=PM, style="primary",
    fields=(Field("handler", _("Handler"), kind="user", model_field="handler", choices=_handler_choices,
                  clean=_handler),),
    effects=(_dispatched,), description=_("Hand the request to an engineer of the contract (派工单)."))
FOLLOW_UP_CONFIRMED = Action(
    "follow_up_confirmed", _("Follow-up confirmed"), sources=(S.FOLLOW_UP,), target=S.AWAITING_CLOSURE,
    roles=frozenset({SYSTEM_ROLE}), style="success")
CLOSE = Action(
    "close", _("Close"), sources=(S.AWAITING_CLOSURE,), target=S.CLOSED, roles=APP_OWNER, effects=(_closed,),
    style="success", description=_("The application owner closes the request (闭单)."))
MAINTAIN_KNOWLEDGE = Action(
    "maintain_knowledge", _("Maintain knowledge"), sources=(S.CLOSED,), roles=frozenset({HANDLER}),
    condition=lambda sr, actor: not sr.knowledge_done, effects=(_knowledge,), style="primary",
    fields=(Field("new_article", _("Draft a knowledge article from the report"), kind="bool", required=False,
                  clean=_bool),
            _text("reason", _("Why there is no new knowledge"), "no_knowledge_reason", required=False,
                  max_length=2000)),
    description=_("Draft a knowledge article from the service report, or record why there is nothing new."))
REJECT_REQUEST = Action(
    "reject_request", _("Reject request"), sources=(S.REQUESTED,), target=S.REJECTED, roles=REJECTERS,
    fields=(_reason("reject_reason"),), style="danger", description=_("Out of scope of the contract."))

COMMON_HEAD = (ASSESS, REQUIRE_STAFFING, APPLY_STAFFING, APPROVE_STAFFING, REJECT_STAFFING,
               PROCEED_WITHOUT_STAFFING, DISPATCH)
HEAD_STATES = (S.REQUESTED, S.STAFFING_NEEDED, S.STAFFING_REVIEW, S.ASSESSED, S.DISPATCHED)


def write_report(source: str) -> Action:
    return Action("write_report", _("Write the service report"), sources=(source,), target=S.FOLLOW_UP,
                  roles=frozenset({HANDLER}), fields=REPORT_FIELDS, effects=(_reported,), style="success",
                  description=_("问题处理服务报告: a follow-up with the user is opened."))


def follow_up_sent_back(rework: str) -> Action:
    return Action("follow_up_sent_back", _("Follow-up sent back"), sources=(S.FOLLOW_UP,), target=rework,
                  roles=frozenset({SYSTEM_ROLE}), fields=(_reason("sent_back_reason"),), effects=(_sent_back,),
                  style="danger")


def cancel(working: tuple[str, ...]) -> Action:
    return Action("cancel", _("Cancel"), sources=working, target=S.CANCELLED, roles=PM,
                  fields=(_reason("cancel_reason"),), style="danger")


def submit_plan(source: str) -> Action:
    return Action("submit_plan", _("Submit plan"), sources=(source,), target=S.PLAN_REVIEW,
                  roles=frozenset({HANDLER}), fields=PLAN_FIELDS, style="primary")


def review_plan(approved: str, rejected: str, reviewers: frozenset[str] = APP_OWNER) -> tuple[Action, Action]:
    return (Action("approve_plan", _("Approve plan"), sources=(S.PLAN_REVIEW,), target=approved, roles=reviewers,
                   effects=(_plan_approved,), style="success", description=_("方案审核: the plan may go ahead.")),
            Action("reject_plan", _("Reject plan"), sources=(S.PLAN_REVIEW,), target=rejected, roles=reviewers,
                   fields=(_reason("plan_reject_reason"),), effects=(_plan_rejected,), style="danger",
                   description=_("The handler makes a new plan.")))


def test_steps(passed: str, failed: str) -> tuple[Action, Action, Action]:
    return (Action("record_test", _("Record test"), sources=(S.TESTING,), roles=frozenset({HANDLER}),
                   style="primary",
                   fields=(_text("test_environment", _("Test environment")),
                           _flag("test_passed", _("Test passed")), _text("test_notes", _("Test notes")))),
            Action("test_passed", _("Test passed"), sources=(S.TESTING,), target=passed,
                   roles=frozenset({SYSTEM_ROLE}), automatic=True,
                   condition=lambda sr, actor: sr.test_passed is True),
            Action("test_failed", _("Test failed"), sources=(S.TESTING,), target=failed,
                   roles=frozenset({SYSTEM_ROLE}), automatic=True,
                   condition=lambda sr, actor: sr.test_passed is False))


def implement(source: str, target: str, *fields: Field) -> Action:
    return Action("implement", _("Implement"), sources=(source,), target=target, roles=frozenset({HANDLER}),
                  fields=fields or (_text("implementation_notes", _("Work done")),), effects=(_implemented,),
                  style="primary")


# --- the kinds -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KindSpec:
    """A kind's own steps, the state its service report is written from, the state a sent-back follow-up
    returns it to, and its main path (the step list of the detail page and of GET /kinds)."""

    steps: tuple[Action, ...]
    report_from: str
    rework: str
    path: tuple[str, ...]


def _plan_kind(*, tested: bool, window: bool) -> KindSpec:
    after_test = S.AWAITING_WINDOW if window else S.IMPLEMENTING
    steps: list[Action] = [submit_plan(S.DISPATCHED), *review_plan(S.TESTING if tested else S.IMPLEMENTING,
                                                                    S.DISPATCHED)]
    if tested:
        steps.extend(test_steps(after_test, S.DISPATCHED))
    if window:
        steps.append(Action(
            "schedule_change", _("Schedule the change"), sources=(S.AWAITING_WINDOW,), target=S.IMPLEMENTING,
            roles=frozenset({HANDLER, Role.PROJECT_MANAGER}), style="primary", effects=(_change_window,),
            fields=(Field("change_window_start", _("Change window start"), kind="datetime",
                          model_field="change_window_start", clean=_future_moment),
                    Field("change_window_end", _("Change window end"), kind="datetime",
                          model_field="change_window_end", clean=_future_moment))))
    steps.append(implement(S.IMPLEMENTING, S.IMPLEMENTED))
    path = (S.DISPATCHED, S.PLAN_REVIEW, *((S.TESTING,) if tested else ()), *((S.AWAITING_WINDOW,) if window else ()),
            S.IMPLEMENTING, S.IMPLEMENTED)
    return KindSpec(steps=tuple(steps), report_from=S.IMPLEMENTED, rework=S.IMPLEMENTING, path=path)


KINDS: dict[str, KindSpec] = {
    K.URGENT: KindSpec(
        steps=(
            Action("confirm_outage", _("Confirm outage"), sources=(S.DISPATCHED,), target=S.ANALYSING,
                   roles=frozenset({HANDLER, Role.PROJECT_MANAGER}), style="primary",
                   fields=(_flag("system_down", _("The system is down")),
                           _text("affected_business", _("Affected business"))),
                   description=_("A system that is down is restored first, then analysed.")),
            Action("start_restoring", _("System down: restore first"), sources=(S.ANALYSING,), target=S.RESTORING,
                   roles=frozenset({SYSTEM_ROLE}), automatic=True,
                   condition=lambda sr, actor: bool(sr.system_down) and sr.restored_at is None),
            Action("restore", _("Service restored"), sources=(S.RESTORING,), target=S.ANALYSING,
                   roles=frozenset({HANDLER}), effects=(_restored,), style="success",
                   fields=(_text("restore_notes", _("What was done")),
                           Field("restored_at", _("Restored at"), kind="datetime", required=False,
                                 model_field="restored_at", clean=_past_moment,
                                 help_text=_("Leave empty for now.")))),
            Action("record_solution", _("Record solution"), sources=(S.ANALYSING,), target=S.IMPLEMENTING,
                   roles=frozenset({HANDLER}), style="primary",
                   fields=(_text("root_cause", _("Root cause")), _text("potential_risks", _("Potential risks")),
                           _text("solution", _("Solution")), _text("om_advice", _("O&M advice")))),
        ),
        report_from=S.IMPLEMENTING, rework=S.ANALYSING,
        path=(S.DISPATCHED, S.RESTORING, S.ANALYSING, S.IMPLEMENTING)),
    K.MAJOR_CHANGE: _plan_kind(tested=True, window=True),
    K.OPTIMISATION: _plan_kind(tested=True, window=False),
    K.MIGRATION: _plan_kind(tested=True, window=False),
    K.DATA_MAINTENANCE: _plan_kind(tested=False, window=False),
    K.ONSITE: KindSpec(
        steps=(
            Action("agree_arrival", _("Agree arrival"), sources=(S.DISPATCHED,), target=S.SCHEDULED,
                   roles=frozenset({HANDLER}), style="primary",
                   fields=(Field("agreed_arrival_at", _("Agreed arrival"), kind="datetime",
                                 model_field="agreed_arrival_at", clean=_moment),
                           _text("resources_needed", _("Resources needed")))),
            Action("record_arrival", _("Record arrival"), sources=(S.SCHEDULED,), target=S.ON_SITE,
                   roles=frozenset({HANDLER}), effects=(_arrived,), style="primary"),
            submit_plan(S.ON_SITE),
            *review_plan(S.ON_SITE, S.ON_SITE, CLIENTS),
            implement(S.ON_SITE, S.SIGNING, _text("findings", _("Findings")),
                      _text("implementation_notes", _("Work done"))),
            Action("user_sign", _("Sign the service form"), sources=(S.SIGNING,), target=S.SIGNED, roles=CLIENTS,
                   effects=(_signed,), style="success",
                   fields=(_text("signer_name", _("Signed by"), max_length=100, kind="text"),
                           _flag("stamped", _("Stamped"), clean=_true), _flag("satisfied", _("Satisfied")))),
            Action("user_refuse", _("Refuse to sign"), sources=(S.SIGNING,), target=S.ON_SITE, roles=CLIENTS,
                   fields=(_reason("refuse_reason"),), style="danger"),
        ),
        report_from=S.SIGNED, rework=S.ON_SITE,
        path=(S.DISPATCHED, S.SCHEDULED, S.ON_SITE, S.SIGNING, S.SIGNED)),
    K.COLLABORATIVE: KindSpec(
        steps=(
            Action("coordinate", _("Coordinate"), sources=(S.DISPATCHED,), target=S.COLLABORATING,
                   roles=frozenset({HANDLER}), style="primary",
                   fields=(_text("collaborators", _("Other systems involved and their handlers")),)),
            submit_plan(S.COLLABORATING),
            *review_plan(S.TESTING, S.COLLABORATING),
            *test_steps(S.IMPLEMENTING, S.COLLABORATING),
            implement(S.IMPLEMENTING, S.IMPLEMENTED),
        ),
        report_from=S.IMPLEMENTED, rework=S.IMPLEMENTING,
        path=(S.DISPATCHED, S.COLLABORATING, S.PLAN_REVIEW, S.TESTING, S.IMPLEMENTING, S.IMPLEMENTED)),
}

AUDIT_FIELDS = ("status", "handler", "effort_hours", "difficulty", "needs_extra_resources", "staffing_approved",
                "staffing_waived", "system_down", "plan_approved", "test_passed", "change_window_start",
                "change_window_end", "stamped", "satisfied", "knowledge_done", "cancel_reason", "reject_reason",
                "sent_back_reason")


def _declare(kind: str, spec: KindSpec) -> Workflow:
    kind_states = {s for a in spec.steps for s in (*a.sources, *([a.target] if isinstance(a.target, str) else []))}
    working = tuple(s for s in S if s in set(HEAD_STATES) | kind_states)
    return Workflow(
        name=f"service_request.{kind}", model=ServiceRequest, states=RequestStatus, initial=S.REQUESTED,
        roles_of=request_roles, audit_fields=AUDIT_FIELDS, terminal=(S.CLOSED, S.CANCELLED, S.REJECTED),
        actions=(*COMMON_HEAD, *spec.steps, write_report(spec.report_from), FOLLOW_UP_CONFIRMED,
                 follow_up_sent_back(spec.rework), CLOSE, MAINTAIN_KNOWLEDGE, cancel(working), REJECT_REQUEST))


WORKFLOWS: dict[str, Workflow] = {kind: _declare(kind, spec) for kind, spec in KINDS.items()}
COMMON_PATH = (S.REQUESTED, S.ASSESSED)
TAIL_PATH = (S.FOLLOW_UP, S.AWAITING_CLOSURE, S.CLOSED)
# States shown at the place of a step of the main path.
PATH_ALIASES = {S.STAFFING_NEEDED: S.ASSESSED, S.STAFFING_REVIEW: S.ASSESSED}


def workflow_for(sr: ServiceRequest | str) -> Workflow:
    """The declaration of the request's kind (or of a kind given by its code)."""
    kind = sr if isinstance(sr, str) else sr.kind
    return WORKFLOWS[kind]


def path_of(kind: str) -> tuple[str, ...]:
    """The main path of a kind, from request to closure."""
    return (*COMMON_PATH, *KINDS[kind].path, *TAIL_PATH)


def step_list(sr: ServiceRequest) -> list[dict[str, Any]]:
    """The kind's main path with each step `done`, `current` or `next` (`skipped` for a step the request
    passed by, e.g. restoring when the system was not down; everything after the end when cancelled)."""
    path = path_of(sr.kind)
    status = str(PATH_ALIASES.get(sr.status, sr.status))  # type: ignore[call-overload]
    if sr.kind == K.ONSITE and status == S.PLAN_REVIEW:
        status = S.ON_SITE
    wf = workflow_for(sr)
    here = path.index(status) if status in path else None
    out = []
    for i, state in enumerate(path):
        if here is None:
            phase = "next"
        elif i < here:
            phase = "done"
        elif i == here:
            phase = "done" if status == S.CLOSED else "current"
        else:
            phase = "next"
        if state == S.RESTORING and phase == "done" and sr.system_down is False:
            phase = "skipped"
        out.append({"state": state, "label": wf.status_label(state), "phase": phase})
    return out
